// Playwright configuration of the NAT traversal test (nat.spec.js): two Chromium processes, each inside its
// own client network namespace behind its own NAT (lab.sh), and ruang in this namespace on 198.51.100.10.
// Needs root, iproute2 and nftables; run.sh runs it after the main suite when it can.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: 'nat.spec.js',
  globalSetup: './nat-setup.js',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [['list'], ['line']] : [['list']],
  outputDir: '../test-results/nat',
});
