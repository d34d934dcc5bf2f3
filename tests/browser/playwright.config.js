// Playwright configuration for the ruang browser tests: real Chromium (the system one, never a downloaded
// build), fake camera/microphone/screen, one worker (2-core machines), the real ruang binary started
// once by global-setup.js.
import { defineConfig } from '@playwright/test';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream=device-count=3',
  '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // gather candidates on the loopback interface: the tests run in a network namespace that has only `lo`
  // (run.sh), where Chromium would otherwise find no network to gather on at all (not even a relay)
  '--allow-loopback-in-peer-connection',
  // background tabs must keep decoding and running timers like a foreground one
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export default defineConfig({
  testDir: './specs',
  globalSetup: './global-setup.js',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['line']] : [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    viewport: { width: 1280, height: 720 },
    // the page follows the browser's language: specs find controls by their English names
    locale: 'en-US',
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
  },
});
