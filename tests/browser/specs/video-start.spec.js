// A new connection sends camera video scaled down to 180 lines (the encoder starts at a low bitrate and
// would otherwise drop the first frames of a bigger picture) and goes to full resolution once it has
// settled; a screen share (a sender of its own, beside the camera) is never scaled. (How fast is the benchmark's business: bench/call-setup.bench.js.)
import { test, expect, roomName } from '../helpers.js';

/**
 * The video sender's scaleResolutionDownBy on each of `page`'s connections, and its track's label.
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<{ scale: number | undefined, label: string }[]>}
 */
function videoSenders(page) {
  return page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()].map((/** @type {RTCPeerConnection} */ pc) => {
    const sender = pc.getSenders().find((s) => s.track?.kind === 'video' && !/screen/i.test(s.track.label));
    return { scale: sender?.getParameters().encodings?.[0]?.scaleResolutionDownBy, label: sender?.track?.label ?? '' };
  }));
}

/**
 * The screen share sender's scale on each of `page`'s connections (none while not sharing).
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<number[]>}
 */
function screenSenders(page) {
  return page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()].flatMap((/** @type {RTCPeerConnection} */ pc) => pc.getSenders()
    .filter((s) => s.track && /screen/i.test(s.track.label))
    .map((s) => s.getParameters().encodings?.[0]?.scaleResolutionDownBy ?? 1)));
}

test('camera video starts at 180 lines and goes to full resolution; a screen is sent whole', async ({ join }) => {
  const room = roomName('start');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  // the fake camera is 1280×720: a quarter of it at first, on both sides (offering and answering)
  for (const p of [a, b]) await expect.poll(() => videoSenders(p.page)).toEqual([{ scale: 4, label: expect.stringMatching(/fake/i) }]);
  // on loopback the bandwidth estimate soon carries it (and after 10 s it is full anyway)
  for (const p of [a, b]) await expect.poll(() => videoSenders(p.page), { timeout: 20_000 }).toEqual([{ scale: 1, label: expect.any(String) }]);

  // a third one: Citra's screen share goes out unscaled from the start, beside her camera
  const c = await join({ room, name: 'Citra' });
  await c.page.locator('#btn-screen').click();
  await expect.poll(() => screenSenders(c.page)).toEqual([1, 1]);
  expect((await videoSenders(c.page)).map((s) => s.label)).toEqual([expect.stringMatching(/fake/i), expect.stringMatching(/fake/i)]);
  await c.page.locator('#btn-screen').click();
  await expect.poll(() => screenSenders(c.page)).toEqual([]);
});
