// The core call: a mesh of three, media really decoded; glare on renegotiation never wedges a call.
import { test, expect, roomName, expectMediaFrom, remoteTiles, tile, inboundStats } from '../helpers.js';

test('three participants see and hear each other', async ({ join }) => {
  const room = roomName('three');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  const c = await join({ room, name: 'Citra' });
  const all = [a, b, c];
  for (const p of all) {
    const others = all.filter((x) => x !== p);
    await expect(remoteTiles(p)).toHaveCount(2);
    for (const o of others) {
      await expect(tile(p, o.id)).toHaveAttribute('data-connection', 'connected');
      await expect(tile(p, o.id).locator('.tile-name')).toHaveText(o.name);
    }
    await expect(p.page.locator('.tile[data-local="true"] .tile-name')).toHaveText(`${p.name} (you)`);
    await expectMediaFrom(p, others);
  }
  // the remote video elements really play (not just the RTP counters)
  await expect.poll(() => a.page.evaluate(() => [...document.querySelectorAll('.tile[data-local="false"] video')]
    .every((v) => /** @type {HTMLVideoElement} */ (v).videoWidth > 0 && !(/** @type {HTMLVideoElement} */ (v).paused)))).toBe(true);
  // the speaking indicator follows the audio level (the fake microphone beeps)
  await a.page.waitForFunction((id) => /** @type {HTMLElement | null} */ (document.querySelector(`.tile[data-peer-id="${id}"]`))?.dataset.speaking === 'true',
    b.id, { polling: 50, timeout: 20_000 });
  // a quality hint shows up from getStats()
  await expect(tile(a, b.id)).toHaveAttribute('data-quality', /good|fair|poor/);
  // own tile mirrored, remote not
  await expect(a.page.locator('.tile[data-local="true"] video')).toHaveClass(/mirror/);
  await expect(tile(a, b.id).locator('video')).not.toHaveClass(/mirror/);
});

test('simultaneous renegotiation (glare) resolves and media keeps flowing', async ({ join }) => {
  const room = roomName('glare');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  await expectMediaFrom(a, [b]);
  await expectMediaFrom(b, [a]);
  // both sides restart ICE at the same moment: both send an offer, perfect negotiation must sort it out
  const restart = (/** @type {import('@playwright/test').Page} */ page) => page.evaluate(() => {
    for (const pc of /** @type {any} */ (window).ruang.peers.values()) pc.restartIce();
  });
  for (let round = 0; round < 3; round++) {
    await Promise.all([restart(a.page), restart(b.page)]);
    for (const p of [a, b]) {
      await expect.poll(() => p.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()]
        .map((pc) => `${pc.signalingState}/${pc.connectionState}`).join()), { timeout: 15_000 }).toBe('stable/connected');
    }
  }
  await expectMediaFrom(a, [b]);
  await expectMediaFrom(b, [a]);
});

test('switching the camera mid-call uses replaceTrack, without renegotiation', async ({ join }) => {
  const room = roomName('switch');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  await expectMediaFrom(b, [a]);
  const sdpBefore = await a.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()][0].localDescription.sdp);
  const trackBefore = await a.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()][0].getSenders().find((s) => s.track?.kind === 'video').track.id);
  await a.page.keyboard.press('d');
  const select = a.page.locator('#settings-camera');
  await expect(select).toBeVisible();
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
  // Chromium's fake capture offers fake_device_0 (I420), _1 (Y16, a depth format WebRTC cannot encode) and _2
  expect(options.length).toBe(3);
  expect(await select.inputValue()).toBe(options[0]);
  await select.selectOption(options[2]);
  await expect.poll(() => a.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()][0].getSenders().find((s) => s.track?.kind === 'video')?.track.id)).not.toBe(trackBefore);
  await a.page.keyboard.press('Escape');
  const before = (await inboundStats(b.page))[a.id].framesDecoded;
  await expect.poll(async () => (await inboundStats(b.page))[a.id].framesDecoded).toBeGreaterThan(before + 10);
  const sdpAfter = await a.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()][0].localDescription.sdp);
  expect(sdpAfter).toBe(sdpBefore);
});
