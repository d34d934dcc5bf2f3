// Playwright configuration of the terminal file-transfer benchmark (not a test: run by hand, see docs/benchmarks.md).
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config.js';

export default defineConfig({
  testDir: '.',
  testMatch: 'terminal-transfer.bench.js',
  workers: 1,
  retries: 0,
  timeout: 600_000,
  reporter: [['list']],
  use: { browserName: 'chromium', launchOptions: { executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: CHROMIUM_ARGS } },
});
