// Firefox and Chromium in one call: each decodes the other's video (getStats() on both sides, frame counts
// growing) and chat arrives both ways, in both join orders, over loopback addresses only (run.sh runs this
// in netns.sh's namespace); mute state is seen and a file crosses, both ways; and a Firefox page in an SFU
// room with two Chromium pages decodes them and is decoded by them. Chromium through Playwright
// (helpers.js's join), Firefox through puppeteer-core over WebDriver BiDi (firefox.js).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, roomName, expectMediaFrom, expectLoopbackOnly, tile } from '../helpers.js';
import { recordConnectionsInPage } from '../ice-addresses.js';
import { startServer } from '../server.js';
import { launchFirefox, joinFirefox, sendChatFirefox, waitForChatFirefox } from './firefox.js';

/** @type {import('puppeteer-core').Browser | undefined} */
let firefox;
test.beforeAll(async () => { firefox = await launchFirefox(); });
test.afterAll(async () => { await firefox?.close(); });

/** onPage of either join: record the page's connections and ICE candidates from before its scripts run. */
const recordChromium = (/** @type {import('@playwright/test').Page} */ page) => page.addInitScript(recordConnectionsInPage);
const recordFirefox = (/** @type {import('puppeteer-core').Page} */ page) => page.evaluateOnNewDocument(recordConnectionsInPage);

for (const first of /** @type {const} */ (['chromium', 'firefox'])) {
  test(`a Firefox page and a Chromium page see and hear each other and chat (${first} joins first)`, async ({ join, baseUrl }) => {
    if (!firefox) throw new Error('firefox did not start');
    const room = roomName('xb');
    /** @type {import('../helpers.js').Participant} */
    let c;
    /** @type {import('./firefox.js').FirefoxParticipant} */
    let f;
    if (first === 'chromium') {
      c = await join({ room, name: 'Chromium Citra', onPage: recordChromium });
      f = await joinFirefox(firefox, { url: baseUrl, room, name: 'Firefox Fajar', onPage: recordFirefox });
    } else {
      f = await joinFirefox(firefox, { url: baseUrl, room, name: 'Firefox Fajar', onPage: recordFirefox });
      c = await join({ room, name: 'Chromium Citra', onPage: recordChromium });
    }
    try {
      // each page has the other's tile, with its name
      await expect(tile(c, f.id).locator('.tile-name')).toHaveText('Firefox Fajar');
      await f.page.waitForSelector(`.tile[data-peer-id="${c.id}"]`);

      // video decoded and audio arriving both ways, and still growing on a second look
      await expectMediaFrom(c, [f]);
      await expectMediaFrom(/** @type {any} */ (f), [c]);
      // Chromium's speaking indicator (its WebAudio meter, made after Join) follows Firefox's microphone.
      // (Not the other way here: the test machine has no sound device — no /dev/snd, no sound server — and
      // Firefox's AudioContext then stays 'suspended' and meters nothing: RMS 0 of Chromium's beeping audio.)
      await expect(tile(c, f.id)).toHaveAttribute('data-speaking', 'true', { timeout: 20_000 });
      // over loopback only, on both sides (hermetic: the namespace has nothing else)
      await expectLoopbackOnly([c, f]);

      // chat both ways, through the DOM of each page
      await c.page.locator('#btn-chat').click();
      await c.page.locator('#chat-input').fill('dari Chromium');
      await c.page.locator('#chat-input').press('Enter');
      await waitForChatFirefox(f, ['dari Chromium']);
      await sendChatFirefox(f, 'dari Firefox');
      await expect(c.page.locator('.msg-text')).toHaveText(['dari Chromium', 'dari Firefox']);
      await waitForChatFirefox(f, ['dari Chromium', 'dari Firefox']);
      await expect(c.page.locator('.msg-name').last()).toHaveText('Firefox Fajar');

      expect(f.errors, 'errors in the Firefox page').toEqual([]);
    } finally {
      await f.context.close().catch(() => {});
    }
  });
}

test('mute state is seen and a file crosses both ways between Firefox and Chromium', async ({ join, baseUrl }) => {
  if (!firefox) throw new Error('firefox did not start');
  const room = roomName('xbf');
  const c = await join({ room, name: 'Chromium Citra' });
  const f = await joinFirefox(firefox, { url: baseUrl, room, name: 'Firefox Fajar' });
  const dir = await mkdtemp(path.join(tmpdir(), 'ruang-xb-'));
  try {
    const ffTile = (/** @type {string} */ id) => `.tile[data-peer-id="${id}"]`;
    await expect(tile(c, f.id)).toHaveAttribute('data-connection', 'connected');
    await f.page.waitForSelector(`${ffTile(c.id)}[data-connection="connected"]`);

    // microphone off in Chromium: Firefox sees it muted, then unmuted
    await f.page.waitForSelector(`${ffTile(c.id)}[data-muted="false"]`);
    await c.page.locator('#btn-mic').click();
    await expect(c.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
    await f.page.waitForSelector(`${ffTile(c.id)}[data-muted="true"]`);
    await c.page.locator('#btn-mic').click();
    await f.page.waitForSelector(`${ffTile(c.id)}[data-muted="false"]`);
    // and in Firefox: Chromium sees it
    await expect(tile(c, f.id)).toHaveAttribute('data-muted', 'false');
    await f.page.click('#btn-mic');
    await f.page.waitForSelector('#btn-mic[aria-pressed="false"]');
    await expect(tile(c, f.id)).toHaveAttribute('data-muted', 'true');
    await f.page.click('#btn-mic');
    await expect(tile(c, f.id)).toHaveAttribute('data-muted', 'false');

    // a file from Chromium to Firefox: accepted, checksum verified on both sides, the same as Node's
    const toFirefox = randomBytes(3 * 1024 * 1024 + 17);
    const toFirefoxHash = createHash('sha256').update(toFirefox).digest('hex');
    await c.page.locator('#btn-chat').click();
    await c.page.locator('#file-input').setInputFiles({ name: 'dari-chromium.bin', mimeType: 'application/octet-stream', buffer: toFirefox });
    await f.page.click('#btn-chat');
    await f.page.waitForSelector('.xfer[data-direction="in"][data-state="incoming"]');
    expect(await f.page.$eval('.xfer[data-direction="in"] .xfer-name', (e) => e.textContent)).toBe('dari-chromium.bin');
    await f.page.click('.xfer[data-direction="in"] [data-action="accept"]');
    await f.page.waitForSelector('.xfer[data-direction="in"][data-state="done"]', { timeout: 60_000 });
    expect(await f.page.$eval('.xfer[data-direction="in"] .xfer-status', (e) => e.textContent)).toBe('Received, checksum verified');
    const outCard = c.page.locator('.xfer[data-direction="out"]');
    await expect(outCard).toHaveAttribute('data-state', 'done');
    await expect(outCard.locator('.xfer-status')).toHaveText('Delivered, checksum verified');
    /** @param {any} page @param {'in' | 'out'} direction */
    const hashOf = (page, direction) => page.evaluate(
      (/** @type {string} */ d) => /** @type {any} */ (window).ruang.state.transfers.find((/** @type {any} */ t) => t.direction === d)?.sha256 ?? null,
      direction,
    );
    expect(await hashOf(f.page, 'in')).toBe(toFirefoxHash);
    expect(await hashOf(c.page, 'out')).toBe(toFirefoxHash);

    // a file from Firefox to Chromium (Firefox picks it from disk: WebDriver BiDi's input.setFiles)
    const toChromium = randomBytes(2 * 1024 * 1024 + 5);
    const toChromiumHash = createHash('sha256').update(toChromium).digest('hex');
    const file = path.join(dir, 'dari-firefox.bin');
    await writeFile(file, toChromium);
    const input = await f.page.$('#file-input');
    if (!input) throw new Error('no #file-input in the Firefox page');
    await /** @type {import('puppeteer-core').ElementHandle<HTMLInputElement>} */ (input).uploadFile(file);
    const inCard = c.page.locator('.xfer[data-direction="in"]');
    await expect(inCard).toHaveAttribute('data-state', 'incoming');
    await expect(inCard.locator('.xfer-name')).toHaveText('dari-firefox.bin');
    await inCard.locator('[data-action="accept"]').click();
    await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(inCard.locator('.xfer-status')).toHaveText('Received, checksum verified');
    await f.page.waitForSelector('.xfer[data-direction="out"][data-state="done"]');
    expect(await f.page.$eval('.xfer[data-direction="out"] .xfer-status', (e) => e.textContent)).toBe('Delivered, checksum verified');
    expect(await hashOf(c.page, 'in')).toBe(toChromiumHash);
    expect(await hashOf(f.page, 'out')).toBe(toChromiumHash);

    expect(f.errors, 'errors in the Firefox page').toEqual([]);
  } finally {
    await f.context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});

test('a Firefox page in an SFU room with two Chromium pages decodes them and is decoded by them', async ({ join }) => {
  if (!firefox) throw new Error('firefox did not start');
  const server = await startServer(['--media-mode', 'sfu']);
  /** @type {import('./firefox.js').FirefoxParticipant | undefined} */
  let f;
  try {
    const room = roomName('xbsfu');
    const a = await join({ room, name: 'Chromium Citra', url: server.url, onPage: recordChromium });
    f = await joinFirefox(firefox, { url: server.url, room, name: 'Firefox Fajar', onPage: recordFirefox });
    const b = await join({ room, name: 'Chromium Bima', url: server.url, onPage: recordChromium });
    // the room is on the SFU, for Firefox too: one connection, to the SFU
    await f.page.waitForFunction(() => /** @type {any} */ (window).ruang.state.mediaMode === 'sfu', { timeout: 15_000 })
      .catch(async (err) => { throw new Error(`Firefox's media mode: ${await f?.page.evaluate(() => JSON.stringify(/** @type {any} */ (window).ruang.state.mediaMode))}: ${err.message}`); });
    const ff = /** @type {any} */ (f);
    await expectMediaFrom(ff, [a, b]);
    await expectMediaFrom(a, [ff, b]);
    await expectMediaFrom(b, [ff, a]);
    await expectLoopbackOnly([a, b, f]);
    expect(f.errors, 'errors in the Firefox page').toEqual([]);
  } catch (err) {
    console.log(server.output().split('\n').filter((l) => /WARN|ERROR/.test(l)).slice(-20).join('\n'));
    throw err;
  } finally {
    await f?.context.close().catch(() => {});
    await server.stop();
  }
});
