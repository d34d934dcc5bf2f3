// The Firefox side of the cross-browser tests: Debian's firefox-esr (never a downloaded build), headless,
// driven over WebDriver BiDi by puppeteer-core, with Firefox's fake camera and microphone; and a ruang
// participant in it (join, read the test hook) shaped like helpers.js's Participant, so inboundStats() and
// expectMediaFrom() work on either browser's page.
import puppeteer from 'puppeteer-core';

export const FIREFOX_BIN = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';

/** Preferences of the test profile (on top of the ones Puppeteer sets for automation). */
export const FIREFOX_PREFS = {
  // fake camera/microphone (a test pattern and a tone), granted without a permission prompt
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // the page follows the browser's languages: the specs read its English texts
  'intl.accept_languages': 'en-US',
  // camera and microphone allowed for every site, as a persistent permission: Firefox gathers ICE candidates
  // on every local address (loopback included) only for a page that has one (or captures in a way it counts:
  // the fake capture above is not); otherwise only on the default route's address, and in the tests'
  // network namespace, which has only `lo` and no default route, that is none, so the call never connects
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // ICE: gather loopback candidates too, and give host candidates as addresses, not mDNS names (the
  // counterpart of Chromium's --disable-features=WebRtcHideLocalIpsWithMdns)
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // remote <video>/<audio> play without a user gesture (Chromium: --autoplay-policy=no-user-gesture-required)
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // a page in a background tab keeps its timers and decoding like a foreground one
  'dom.min_background_timeout_value': 0,
  'dom.timeout.enable_budget_timer_throttling': false,
};

/**
 * Start headless firefox-esr over WebDriver BiDi.
 * @returns {Promise<import('puppeteer-core').Browser>}
 */
export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX_BIN,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    protocolTimeout: 60_000,
  });
}

/**
 * @typedef {{ page: import('puppeteer-core').Page, context: import('puppeteer-core').BrowserContext,
 *   id: string, name: string, errors: string[] }} FirefoxParticipant
 * `errors`: uncaught exceptions and console errors of the page, for the test to assert empty at its end.
 */

/**
 * Open `url`r/`room` in a fresh browser context of `browser`, enter `name`, wait for both devices in the
 * preview, join, and wait for the call. Every wait is bounded by `timeout` (ms).
 * `onPage`: called before the page loads (e.g. page.evaluateOnNewDocument); a promise it returns is awaited.
 * @param {import('puppeteer-core').Browser} browser
 * @param {{ url: string, room: string, name: string, timeout?: number,
 *   onPage?: (page: import('puppeteer-core').Page) => unknown }} o
 * @returns {Promise<FirefoxParticipant>}
 */
export async function joinFirefox(browser, { url, room, name, timeout = 20_000, onPage }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (err) => errors.push(`[${name}] page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`[${name}] console error: ${msg.text()}`); });
  await page.setViewport({ width: 1000, height: 640 });
  await onPage?.(page);
  await page.goto(`${url}r/${room}`);
  await page.waitForSelector('#name-input');
  if (await page.$eval('#name-input', (el) => !el.hasAttribute('readonly'))) {
    await page.$eval('#name-input', (el) => { /** @type {HTMLInputElement} */ (el).value = ''; });
    await page.type('#name-input', name);
  }
  // the preview has both devices
  await page.waitForSelector('#prejoin-camera[aria-pressed="true"]');
  await page.waitForSelector('#prejoin-mic[aria-pressed="true"]');
  await page.click('#join-button');
  await page.waitForSelector('#call', { visible: true });
  const id = await page.evaluate(() => /** @type {any} */ (window).ruang.state.you);
  if (!/^[0-9a-f]{16}$/.test(String(id))) throw new Error(`[${name}] joined without a participant id: ${id}`);
  return { page, context, id, name, errors };
}

/**
 * Send a chat message from a Firefox participant (opens the panel if closed).
 * @param {FirefoxParticipant} p
 * @param {string} text
 */
export async function sendChatFirefox(p, text) {
  if (!(await p.page.$eval('#chat-input', (el) => /** @type {HTMLElement} */ (el).offsetParent !== null))) {
    await p.page.click('#btn-chat');
    await p.page.waitForSelector('#chat-input', { visible: true });
  }
  await p.page.type('#chat-input', text);
  await p.page.keyboard.press('Enter');
}

/**
 * Wait (bounded) until the Firefox page shows `texts`, in order, as its chat messages' text.
 * @param {FirefoxParticipant} p
 * @param {string[]} texts
 * @param {number} [timeout]
 */
export async function waitForChatFirefox(p, texts, timeout = 15_000) {
  await p.page.waitForFunction(
    (want) => JSON.stringify([...document.querySelectorAll('.msg-text')].map((e) => e.textContent)) === JSON.stringify(want),
    { timeout },
    texts,
  ).catch(async (err) => {
    const seen = await p.page.$$eval('.msg-text', (els) => els.map((e) => e.textContent));
    throw new Error(`[${p.name}] chat shows ${JSON.stringify(seen)}, expected ${JSON.stringify(texts)}: ${err.message}`);
  });
}
