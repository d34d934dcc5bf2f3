// Playwright configuration of the cross-browser tests (firefox/*.spec.js): Chromium pages through
// Playwright as in the main suite (same launch options), Firefox pages through puppeteer-core over WebDriver
// BiDi (firefox.js), all against the one ruang binary that global-setup.js starts. run.sh runs it after the
// main suite.
import { defineConfig } from '@playwright/test';
import main from '../playwright.config.js';

export default defineConfig({
  ...main,
  testDir: '.',
  testMatch: '*.spec.js',
  globalSetup: '../global-setup.js',
  timeout: 120_000,
  outputDir: '../test-results/firefox',
});
