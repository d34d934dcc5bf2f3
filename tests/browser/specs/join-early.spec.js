// Join clicked while the pre-join screen's camera and microphone are still starting (a returning user who
// clicks at once, a slow camera, a permission prompt not yet answered): Join waits for them, at most
// MEDIA_START_WAIT_MS (app.js), so the join announces them as on; past that it joins without them and they
// follow; and a receive-only join made meanwhile leaves them off, whenever they come. The page's
// getUserMedia is held by the test (an init script) and let go when the test says.
import { test, expect, roomName } from '../helpers.js';

/**
 * A page on a room's pre-join screen whose getUserMedia answers only when the test calls
 * `window.__letCameraGo()`; every stream it answered is kept in `window.__streams`; the `join` and
 * `media` messages the page sends are collected.
 * @param {import('@playwright/test').Browser} browser @param {string} url
 */
async function heldCamera(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  await context.addInitScript(() => {
    const w = /** @type {any} */ (window);
    localStorage.setItem('ruang.name', 'Ayu');
    w.__streams = [];
    let go = () => {};
    const gate = new Promise((resolve) => { go = () => resolve(undefined); });
    w.__letCameraGo = go;
    const md = navigator.mediaDevices;
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      const s = await gum(c);
      await gate;
      w.__streams.push(s);
      return s;
    };
  });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  /** @type {{ type: string, media?: { audio: boolean, video: boolean, screen: boolean } }[]} `join` and `media`, with the state each says */
  const sent = [];
  page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => {
    const m = JSON.parse(String(payload));
    if (m.type === 'join') sent.push({ type: m.type, media: m.media });
    if (m.type === 'media') sent.push({ type: m.type, media: { audio: m.audio, video: m.video, screen: m.screen } });
  }));
  await page.goto(`${url}r/${roomName('early')}`);
  await expect(page.locator('#join-button')).toBeVisible();
  const letGo = () => page.evaluate(() => /** @type {any} */ (window).__letCameraGo());
  /** whether every track the page was given has been stopped */
  const allStopped = () => page.evaluate(() => /** @type {any} */ (window).__streams
    .flatMap((/** @type {MediaStream} */ s) => s.getTracks()).every((/** @type {MediaStreamTrack} */ t) => t.readyState === 'ended'));
  return { context, page, sent, errors, letGo, allStopped };
}

test('Join clicked while the camera starts waits for it, and joins with camera and microphone on', async ({ browser, baseUrl }) => {
  const { context, page, sent, errors, letGo } = await heldCamera(browser, baseUrl);
  await page.locator('#join-button').click();
  await expect(page.locator('#join-button')).toBeDisabled(); // "Joining…"
  expect(sent.filter((m) => m.type === 'join'), 'not joined while the camera starts').toEqual([]);
  await letGo();
  await expect(page.locator('#call')).toBeVisible();
  expect(sent[0]).toEqual({ type: 'join', media: { audio: true, video: true, screen: false } });
  await expect(page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'true');
  await context.close();
  expect(errors).toEqual([]);
});

test('a camera that does not start (a prompt nobody answers) does not hold Join: it joins, the camera follows', async ({ browser, baseUrl }) => {
  const { context, page, sent, errors, letGo } = await heldCamera(browser, baseUrl);
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible(); // (after MEDIA_START_WAIT_MS)
  expect(sent[0]).toEqual({ type: 'join', media: { audio: false, video: false, screen: false } });
  await letGo();
  await expect(page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => sent.filter((m) => m.type === 'media').at(-1)?.media).toEqual({ audio: true, video: true, screen: false });
  await context.close();
  expect(errors).toEqual([]);
});

test('a receive-only join while the camera starts leaves camera and microphone off when they come', async ({ browser, baseUrl }) => {
  const { context, page, sent, errors, letGo, allStopped } = await heldCamera(browser, baseUrl);
  await page.locator('#join-receive-only').click();
  await expect(page.locator('#join-receive-only')).toBeDisabled();
  await letGo();
  await expect(page.locator('#call')).toBeVisible();
  expect(sent[0]).toEqual({ type: 'join', media: { audio: false, video: false, screen: false } });
  await expect.poll(() => page.evaluate(() => /** @type {any} */ (window).__streams.length)).toBe(1);
  await expect.poll(allStopped, { message: 'the devices the start got are released' }).toBe(true);
  await expect(page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  expect(sent.filter((m) => m.type === 'media' && (m.media?.audio || m.media?.video)), 'never announced on').toEqual([]);
  await context.close();
  expect(errors).toEqual([]);
});
