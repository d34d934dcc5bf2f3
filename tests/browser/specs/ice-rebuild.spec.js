// A peer connection that an ICE restart cannot bring back is rebuilt by the impolite side (signal `reset`,
// then an offer from a new RTCPeerConnection), and the call recovers (protocol.md, negotiation item 7).
import { test, expect, roomName, tile, expectMediaFrom, serverInfo } from '../helpers.js';

test('a dead peer connection is restarted, then rebuilt with reset, and media flows again', async ({ join }) => {
  test.setTimeout(120_000);
  const room = roomName('rebuild');
  /** @type {string[]} signal kinds Ayu receives */
  const kinds = [];
  const a = await join({
    room, name: 'Ayu',
    onPage: (page) => page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      try { const m = JSON.parse(String(payload)); if (m.type === 'signal') kinds.push(m.data.kind); } catch { /* not JSON */ }
    })),
  });
  const b = await join({ room, name: 'Bima' }); // the newcomer: impolite towards Ayu
  await expectMediaFrom(a, [b], { audio: false });
  await expectMediaFrom(b, [a], { audio: false });
  expect((await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.peers))[0].polite).toBe(true);
  const createdBefore = { a: (await serverInfo(a.page)).pcCreated, b: (await serverInfo(b.page)).pcCreated };

  // Ayu's connection dies under her (as if the browser had dropped it): Bima's side stops hearing anything,
  // restarts ICE to no avail, and after 10 s more rebuilds
  await a.page.evaluate((id) => /** @type {any} */ (window).ruang.peers.get(id).close(), b.id);
  await expect.poll(() => kinds.includes('reset'), { message: 'Bima sends reset', timeout: 60_000 }).toBe(true);
  for (const [p, other] of /** @type {const} */ ([[a, b], [b, a]])) {
    await expect.poll(async () => (await serverInfo(p.page)).pcCreated, { timeout: 20_000 })
      .toBe(createdBefore[p === a ? 'a' : 'b'] + 1);
    await expect(tile(p, other.id)).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  }
  await expectMediaFrom(a, [b], { audio: false });
  await expectMediaFrom(b, [a], { audio: false });
});
