// ICE configuration from the server: TURN credentials in welcome, and relay-only rooms.
import { test, expect, roomName, expectMediaFrom, selectedPairs } from '../helpers.js';
import { startServer } from '../server.js';

/** "local/remote" candidate types of the selected pair of every peer connection in `page`. */
async function pairTypes(/** @type {import('@playwright/test').Page} */ page) {
  return (await selectedPairs(page)).map((pair) => (pair ? `${pair.local}/${pair.remote}` : 'none'));
}

/** address:port of the local candidate of the first connection's selected pair in `page` */
async function selectedLocalAddress(/** @type {import('@playwright/test').Page} */ page) {
  return (await selectedPairs(page))[0]?.localAddress ?? 'none';
}

test('relay-only room: media flows through the built-in TURN server', async ({ join }) => {
  const server = await startServer(['--relay-only']);
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
    expect(await pairTypes(a.page)).toEqual(['relay/relay']);
    expect(await pairTypes(b.page)).toEqual(['relay/relay']);
  } finally {
    await server.stop();
  }
});

test('renewed TURN credentials reach every peer connection, and an ICE restart with them works', async ({ join }) => {
  // credentials live 2 s and are renewed every second; relay-only, so the restart below needs fresh ones
  const server = await startServer(['--turn-credential-ttl-secs', '2', '--relay-only']);
  try {
    const room = roomName('renew');
    /** every TURN username the server sent each page over its socket, in order (welcome first) */
    /** @type {Record<string, string[]>} */
    const seen = { Ayu: [], Bima: [] };
    /** @type {Record<string, number>} */
    const renewals = { Ayu: 0, Bima: 0 };
    const watch = (/** @type {string} */ name) => (/** @type {import('@playwright/test').Page} */ page) => {
      page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
        let m;
        try { m = JSON.parse(String(payload)); } catch { return; }
        if (m.type !== 'welcome' && m.type !== 'ice_servers') return;
        if (m.type === 'ice_servers') renewals[name]++;
        const turn = m.ice_servers.find((/** @type {any} */ s) => s.urls.some((/** @type {string} */ u) => u.startsWith('turn:')));
        if (turn) seen[name].push(turn.username);
      }));
    };
    const a = await join({ room, name: 'Ayu', url: server.url, onPage: watch('Ayu') });
    const b = await join({ room, name: 'Bima', url: server.url, onPage: watch('Bima') });
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    const expiry = (/** @type {string} */ u) => Number(u.split(':')[0]);
    for (const p of [a, b]) {
      const welcomeUser = seen[p.name][0];
      expect(welcomeUser, `${p.name}: TURN username from welcome`).toMatch(new RegExp(`^\\d+:${p.id}$`));
      // wait until at least two ice_servers messages arrived after the welcome
      await expect.poll(() => renewals[p.name], { message: `${p.name} gets ice_servers`, timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      // every connection now carries one of the renewed usernames, with a later expiry than the welcome's
      await expect.poll(async () => {
        const users = await p.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()].map((pc) => {
          const c = pc.getConfiguration();
          return { policy: c.iceTransportPolicy, users: c.iceServers.filter((/** @type {any} */ s) => s.username).map((/** @type {any} */ s) => s.username) };
        }));
        const renewed = seen[p.name].slice(1);
        return users.length > 0 && users.every((u) => u.policy === 'relay' && u.users.length > 0
          && u.users.every((name) => renewed.includes(name) && expiry(name) > expiry(welcomeUser)));
      }, { message: `${p.name}: every RTCPeerConnection has the renewed credentials` }).toBe(true);
    }
    // by now the welcome credentials have expired: a relay-only ICE restart must gather with the new ones
    await a.page.waitForTimeout(1000);
    const relayBefore = await selectedLocalAddress(a.page);
    await a.page.evaluate(() => { for (const pc of /** @type {any} */ (window).ruang.peers.values()) pc.restartIce(); });
    // a new allocation (new relay port) carries the call now
    await expect.poll(() => selectedLocalAddress(a.page), { timeout: 15_000 }).not.toBe(relayBefore);
    for (const p of [a, b]) {
      await expect.poll(() => p.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()]
        .map((pc) => `${pc.signalingState}/${pc.connectionState}`).join()), { timeout: 15_000 }).toBe('stable/connected');
    }
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    expect(await pairTypes(a.page)).toEqual(['relay/relay']);
  } finally {
    await server.stop();
  }
});
