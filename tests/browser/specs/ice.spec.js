// ICE configuration from the server: TURN credentials in welcome, and relay-only rooms.
import { test, expect, roomName, expectMediaFrom } from '../helpers.js';
import { startServer } from '../server.js';

/** Candidate types of the selected pair of every peer connection in `page`. */
function selectedPairs(/** @type {import('@playwright/test').Page} */ page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of /** @type {any} */ (window).ruang.peers.values()) {
      const stats = await pc.getStats();
      /** @type {any} */ let pair;
      stats.forEach((/** @type {any} */ s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
      out.push(pair ? `${stats.get(pair.localCandidateId)?.candidateType}/${stats.get(pair.remoteCandidateId)?.candidateType}` : 'none');
    }
    return out;
  });
}

test('relay-only room: media flows through the built-in TURN server', async ({ join }) => {
  const server = await startServer(['--relay-only', '--turn-allow-private-peers']);
  try {
    const room = roomName('relay');
    const a = await join({ room, name: 'Ayu', url: server.url });
    const b = await join({ room, name: 'Bima', url: server.url });
    // the client used what welcome said
    const config = await a.page.evaluate(() => {
      const pc = [.../** @type {any} */ (window).ruang.peers.values()][0];
      const c = pc.getConfiguration();
      return { policy: c.iceTransportPolicy, turn: c.iceServers.some((/** @type {any} */ s) => s.urls.some((/** @type {string} */ u) => u.startsWith('turn:')) && s.username && s.credential) };
    });
    expect(config).toEqual({ policy: 'relay', turn: true });
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    expect(await selectedPairs(a.page)).toEqual(['relay/relay']);
    expect(await selectedPairs(b.page)).toEqual(['relay/relay']);
  } finally {
    await server.stop();
  }
});
