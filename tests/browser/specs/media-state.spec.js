// Mic, camera and screen state travel through the server (`media`), show on every other page within a
// second, and a late joiner sees the current state from `welcome`. A screen share goes beside the camera:
// both are seen, the screen in a tile of its own.
import { test, expect, roomName, tile, remoteTiles, screenTile, expectMediaFrom, expectScreenFrom } from '../helpers.js';

// Once the change has happened locally (devices may take a while to start on a loaded machine), the
// others must see it within a second.
const FAST = { timeout: 1000 };
/** Our own tile. @param {import('../helpers.js').Participant} p */
const own = (p) => p.page.locator('.tile[data-peer-id][data-local="true"]');

/** The labels of the tracks our video senders (camera, then screen) send to the first peer. */
function sentVideoLabels(/** @type {import('@playwright/test').Page} */ page) {
  return page.evaluate(() => {
    const pc = [.../** @type {any} */ (window).ruang.peers.values()][0];
    return pc.getTransceivers().filter((/** @type {RTCRtpTransceiver} */ t) => t.receiver.track.kind === 'video')
      .map((/** @type {RTCRtpTransceiver} */ t) => t.sender.track?.label ?? null);
  });
}
/** The label of the track our camera's sender is sending to the first peer. @param {import('@playwright/test').Page} page */
const sentVideoLabel = async (page) => (await sentVideoLabels(page))[0] ?? null;

test('mute, camera off and screen share show everywhere, also for a late joiner', async ({ join }) => {
  const room = roomName('state');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  const c = await join({ room, name: 'Citra' });
  for (const p of [a, b, c]) await expect(remoteTiles(p)).toHaveCount(2);
  await expect(tile(b, a.id)).toHaveAttribute('data-muted', 'false');
  await expect(tile(b, a.id)).toHaveAttribute('data-camera-off', 'false');

  // microphone off (button)
  await a.page.locator('#btn-mic').click();
  await expect(a.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  await expect(own(a)).toHaveAttribute('data-muted', 'true');
  for (const p of [b, c]) await expect(tile(p, a.id)).toHaveAttribute('data-muted', 'true', FAST);
  await expect(tile(b, a.id).locator('.tile-mic')).toBeVisible();

  // camera off (keyboard shortcut V)
  await a.page.locator('body').press('v');
  await expect(a.page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'false');
  await expect(own(a)).toHaveAttribute('data-camera-off', 'true');
  for (const p of [b, c]) {
    await expect(tile(p, a.id)).toHaveAttribute('data-camera-off', 'true', FAST);
    await expect(tile(p, a.id).locator('.avatar')).toBeVisible();
    await expect(tile(p, a.id).locator('.avatar-text')).toHaveText('A');
    await expect(tile(p, a.id).locator('.tile-cam')).toBeVisible();
  }
  // the camera is really released, and nothing is sent
  expect(await sentVideoLabel(a.page)).toBeNull();

  // screen share (button); the browser's fake capture picks "Entire screen". It goes beside the camera.
  await b.page.locator('#btn-screen').click();
  await expect(b.page.locator('#btn-screen')).toHaveAttribute('aria-pressed', 'true');
  await expect(own(b)).toHaveAttribute('data-screen', 'true');
  await expect(own(b)).toHaveAttribute('data-camera-off', 'false');
  await expect(b.page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'true');
  for (const p of [a, c]) {
    await expect(tile(p, b.id)).toHaveAttribute('data-screen', 'true', FAST);
    await expect(tile(p, b.id)).toHaveAttribute('data-camera-off', 'false');
    await expect(screenTile(p, b.id)).toHaveAttribute('aria-label', "Bima's screen");
  }
  // the shared screen takes the stage for the others, not for the one who shares; the camera stays in view
  await expect(a.page.locator('#grid')).toHaveClass(/spotlight/);
  await expect(screenTile(a, b.id)).toHaveClass(/\bspot\b/);
  await expect(a.page.locator(`.filmstrip .tile[data-peer-id="${b.id}"]`)).toBeVisible();
  await expect(b.page.locator('#grid')).not.toHaveClass(/spotlight/);
  await expect.poll(() => sentVideoLabels(b.page)).toEqual([expect.stringMatching(/^fake/), expect.stringMatching(/^screen/)]);
  await expectScreenFrom(a, b.id);
  await expectMediaFrom(a, [b], { audio: false }); // (and its camera)
  // our own screen share shows in a tile of its own, not mirrored; our camera is
  await expect(screenTile(b, b.id)).toHaveAttribute('aria-label', 'Your screen');
  await expect(screenTile(b, b.id).locator('video')).not.toHaveClass(/mirror/);
  await expect(own(b).locator('video')).toHaveClass(/mirror/);

  // a late fourth participant sees the current state at once (welcome.peers[].media)
  const d = await join({ room, name: 'Dewi' });
  await expect(remoteTiles(d)).toHaveCount(3);
  await expect(tile(d, a.id)).toHaveAttribute('data-muted', 'true');
  await expect(tile(d, a.id)).toHaveAttribute('data-camera-off', 'true');
  await expect(tile(d, b.id)).toHaveAttribute('data-screen', 'true');
  await expect(tile(d, c.id)).toHaveAttribute('data-muted', 'false');
  await expect(tile(d, c.id)).toHaveAttribute('data-camera-off', 'false');
  await expectMediaFrom(d, [b, c]);
  await expectScreenFrom(d, b.id); // the screen share is decoded too, beside the camera

  // the browser's own "Stop sharing" ends the track: the share ends, the camera goes on
  await b.page.evaluate(() => {
    const pc = [.../** @type {any} */ (window).ruang.peers.values()][0];
    const track = pc.getTransceivers().map((/** @type {RTCRtpTransceiver} */ t) => t.sender.track)
      .find((/** @type {MediaStreamTrack | null} */ t) => t?.label.startsWith('screen'));
    track.stop();
    track.dispatchEvent(new Event('ended')); // what the browser fires when the user stops sharing
  });
  await expect(own(b)).toHaveAttribute('data-screen', 'false');
  await expect(own(b)).toHaveAttribute('data-camera-off', 'false');
  for (const p of [a, c, d]) {
    await expect(tile(p, b.id)).toHaveAttribute('data-screen', 'false', FAST);
    await expect(tile(p, b.id)).toHaveAttribute('data-camera-off', 'false', FAST);
    await expect(screenTile(p, b.id)).toHaveCount(0);
  }
  await expect.poll(() => sentVideoLabels(b.page)).toEqual([expect.stringMatching(/^fake/), null]);
  await expect(a.page.locator('#grid')).not.toHaveClass(/spotlight/);
  await expect(screenTile(b, b.id)).toHaveCount(0);
  await expect(b.page.locator('#btn-screen')).toHaveAttribute('aria-pressed', 'false');

  // microphone and camera back on (keyboard)
  await a.page.locator('body').press('m');
  await a.page.locator('body').press('v');
  await expect(own(a)).toHaveAttribute('data-muted', 'false');
  await expect(own(a)).toHaveAttribute('data-camera-off', 'false');
  for (const p of [b, c, d]) {
    await expect(tile(p, a.id)).toHaveAttribute('data-muted', 'false', FAST);
    await expect(tile(p, a.id)).toHaveAttribute('data-camera-off', 'false', FAST);
  }
  await expectMediaFrom(d, [a]);
});
