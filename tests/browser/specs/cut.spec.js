// One participant's signaling connection is cut like a dead network path (bytes vanish, nothing closes):
// nobody sees it leave, the others see it reconnecting, media keeps flowing peer to peer, and it resumes
// as the same participant. Its page loads the app through a small TCP proxy in this file, so that its
// WebSocket can be cut and healed; the others talk to the server directly.
import net from 'node:net';
import {
  test, expect, roomName, remoteTiles, tile, expectMediaFrom, startFrameSampler, stopFrameSampler, framesAt, serverInfo,
} from '../helpers.js';
import { startServer } from '../server.js';

/**
 * One proxied connection; `fromServer` keeps what the server sent while it was held.
 * @typedef {{ client: net.Socket, upstream: net.Socket, held: boolean, fromServer: Buffer[] }} Pair
 */

/**
 * A TCP proxy to 127.0.0.1:`port`. cut() blackholes it: existing connections are held open but every
 * byte is discarded both ways, and new connections are accepted and held the same way. heal() destroys
 * the held connections (both sides) and forwards new ones normally again. holdExisting() blackholes only
 * the connections open now, for good (what the server sends on them is kept, to read its close code).
 * @param {number} port
 */
async function startProxy(port) {
  /** @type {Set<Pair>} */
  const pairs = new Set();
  let cutting = false;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    /** @type {Pair} */
    const pair = { client, upstream, held: cutting, fromServer: [] };
    pairs.add(pair);
    client.on('data', (d) => { if (!pair.held) upstream.write(d); });
    upstream.on('data', (d) => { if (pair.held) pair.fromServer.push(d); else client.write(d); });
    client.on('end', () => { if (!pair.held) upstream.end(); });
    upstream.on('end', () => { if (!pair.held) client.end(); });
    const gone = () => {
      if (pair.held) return; // a dead path says nothing about closes either
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('close', gone);
    upstream.on('close', gone);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/`,
    cut() {
      cutting = true;
      for (const p of pairs) p.held = true;
    },
    heal() {
      cutting = false;
      for (const p of [...pairs]) {
        if (!p.held) continue;
        p.client.destroy();
        p.upstream.destroy();
        pairs.delete(p);
      }
    },
    /** @returns {Pair[]} */
    holdExisting() {
      const held = [...pairs];
      for (const p of held) p.held = true;
      return held;
    },
    close() {
      for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/**
 * The close code of a WebSocket close frame the server sent in `bytes` (server frames are unmasked), or null.
 * @param {Buffer} bytes
 */
function closeCode(bytes) {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0x88 && (bytes[i + 1] & 0x7f) >= 2 && (bytes[i + 1] & 0x7f) <= 125) return bytes.readUInt16BE(i + 2);
  }
  return null;
}

/**
 * Record, in `page`, whether the tile of `id` is ever removed and whether it ever shows "Reconnecting…".
 * @param {import('@playwright/test').Page} page
 * @param {string} id
 */
function watchTile(page, id) {
  return page.evaluate((peerId) => {
    const seen = { removed: false, reconnecting: false, label: '' };
    /** @type {any} */ (window).__tileWatch = seen;
    const grid = /** @type {HTMLElement} */ (document.getElementById('grid'));
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.removedNodes) if (n instanceof HTMLElement && n.dataset.peerId === peerId) seen.removed = true;
        const t = /** @type {HTMLElement} */ (r.target);
        if (r.type === 'attributes' && t.dataset.peerId === peerId && t.dataset.reconnecting === 'true') {
          seen.reconnecting = true;
          seen.label = `${t.getAttribute('aria-label')} / ${t.querySelector('.tile-status')?.textContent}`;
        }
      }
    }).observe(grid, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-reconnecting'] });
  }, id);
}

/** @param {import('@playwright/test').Page} page */
const tileWatch = (page) => page.evaluate(() => /** @type {{ removed: boolean, reconnecting: boolean, label: string }} */ (/** @type {any} */ (window).__tileWatch));

/**
 * Collect the room messages about participants (`peer_left`, `peer_reconnecting`, …) a page receives.
 * @param {{ type: string, id?: string }[]} into
 */
const recordPeerEvents = (into) => (/** @type {import('@playwright/test').Page} */ page) => {
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    let m;
    try { m = JSON.parse(String(payload)); } catch { return; }
    if (typeof m.type === 'string' && m.type.startsWith('peer_')) into.push({ type: m.type, id: m.id ?? m.peer?.id });
  }));
};

test('a 5 s cut of one page\'s WebSocket: nobody leaves, the call goes on, it resumes as itself', async ({ join }) => {
  test.setTimeout(150_000);
  const server = await startServer();
  const proxy = await startProxy(Number(new URL(server.url).port));
  try {
    const room = roomName('cut');
    /** @type {Record<string, { type: string, id?: string }[]>} */
    const events = { Ayu: [], Bima: [] };
    const a = await join({ room, name: 'Ayu', url: server.url, onPage: recordPeerEvents(events.Ayu) });
    const b = await join({ room, name: 'Bima', url: server.url, onPage: recordPeerEvents(events.Bima) });
    const c = await join({ room, name: 'Citra', url: proxy.url });
    const people = [a, b, c];
    for (const p of people) await expectMediaFrom(p, people.filter((o) => o !== p), { audio: false });
    for (const p of [a, b]) await watchTile(p.page, c.id);
    for (const p of people) await startFrameSampler(p.page);
    await a.page.waitForTimeout(1000);

    const cutAt = Date.now();
    proxy.cut();
    await a.page.waitForTimeout(2500);
    // said in the room while Citra is cut off: replayed to her when she resumes
    await a.page.locator('#btn-chat').click();
    await a.page.locator('#chat-input').fill('said during the cut');
    await a.page.locator('#chat-input').press('Enter');
    await a.page.waitForTimeout(Math.max(0, cutAt + 5000 - Date.now()));
    const healedAt = Date.now();
    proxy.heal();

    await expect.poll(async () => {
      const s = await serverInfo(c.page);
      return s.state === 'connected' && s.resumes >= 1;
    }, { message: 'Citra resumes', timeout: 30_000 }).toBe(true);
    const resumedAt = Date.now();
    const info = await serverInfo(c.page);
    expect(info.you, 'Citra keeps her id').toBe(c.id);
    expect(info.rejoins).toBe(0);
    expect(info.pcCreated, 'no new RTCPeerConnection').toBe(2);
    await expect(c.page.locator('#conn-status .banner')).toHaveCount(0);

    for (const p of [a, b]) {
      // the others saw her reconnecting, never leaving
      const seen = await tileWatch(p.page);
      expect(seen.removed, `${p.name}: Citra's tile was never removed`).toBe(false);
      expect(seen.reconnecting, `${p.name}: Citra's tile showed "Reconnecting…"`).toBe(true);
      expect(seen.label).toBe('Citra, reconnecting / Reconnecting…');
      const mine = events[p.name].filter((e) => e.id === c.id).map((e) => e.type);
      expect(mine, `${p.name}: what the server said about Citra`).not.toContain('peer_left');
      expect(mine).toContain('peer_reconnecting');
      await expect.poll(() => events[p.name].filter((e) => e.id === c.id).at(-1)?.type).toBe('peer_reconnected');
      await expect(tile(p, c.id)).toHaveAttribute('data-reconnecting', 'false');
      await expect(remoteTiles(p)).toHaveCount(2);
    }
    // what she missed was replayed exactly once; chat works both ways again
    await expect(c.page.locator('.msg-text', { hasText: 'said during the cut' })).toHaveCount(1);
    await c.page.locator('#btn-chat').click();
    await c.page.locator('#chat-input').fill('back from the cut');
    await c.page.locator('#chat-input').press('Enter');
    for (const p of people) await expect(p.page.locator('.msg-text', { hasText: 'back from the cut' })).toHaveCount(1);

    // the call went on during the cut, both ways, and goes on now
    for (const p of people) await expectMediaFrom(p, people.filter((o) => o !== p), { audio: false });
    /** @type {string[]} */
    const report = [];
    for (const p of people) {
      const stats = await stopFrameSampler(p.page);
      for (const o of people.filter((x) => x !== p)) {
        const s = stats[o.id];
        const atCut = framesAt(s.samples, cutAt);
        const atHeal = framesAt(s.samples, healedAt);
        expect(atCut, `${p.name} sampled ${o.name} at the cut`).not.toBeNull();
        expect(atHeal, `${p.name} sampled ${o.name} at the end of the cut`).not.toBeNull();
        expect(/** @type {number} */ (atHeal), `${p.name} decoded ${o.name}'s video during the cut`).toBeGreaterThan(/** @type {number} */ (atCut));
        report.push(`${p.name} ← ${o.name}: ${Number(atHeal) - Number(atCut)} frames during the cut, longest stall ${s.stallMs} ms`);
      }
    }
    console.log(`cut: Citra noticed by '${info.lastLoss}', back ${info.lastOutageMs} ms after losing the socket, `
      + `${resumedAt - healedAt} ms after the cut ended (replay ${info.lastReplay})\n  ${report.join('\n  ')}`);
  } finally {
    await proxy.close();
    await server.stop();
  }
});

test('a silent half-open socket: the page notices by itself and resumes; the server replaces the old connection (4004)', async ({ join }) => {
  test.setTimeout(120_000);
  // the server would notice the silence only after 30 s: the page has to notice first
  const server = await startServer(['--heartbeat-timeout-ms', '30000']);
  const proxy = await startProxy(Number(new URL(server.url).port));
  try {
    const room = roomName('halfopen');
    /** @type {{ type: string, id?: string }[]} */
    const events = [];
    const a = await join({ room, name: 'Ayu', url: server.url, onPage: recordPeerEvents(events) });
    const c = await join({ room, name: 'Citra', url: proxy.url });
    await expectMediaFrom(a, [c], { audio: false });
    await expectMediaFrom(c, [a], { audio: false });
    await watchTile(a.page, c.id);

    const held = proxy.holdExisting(); // its socket goes silent for good; new connections pass
    await expect.poll(async () => (await serverInfo(c.page)).resumes, { message: 'Citra resumes', timeout: 30_000 }).toBe(1);
    const info = await serverInfo(c.page);
    expect(info).toMatchObject({ state: 'connected', you: c.id, lastLoss: 'silent', lastReplay: 'replayed', rejoins: 0, pcCreated: 1 });
    // the server closed the old, half-open connection with 4004 once the participant resumed elsewhere
    await expect.poll(() => held.map((p) => closeCode(Buffer.concat(p.fromServer))).filter((x) => x !== null),
      { message: 'the old connection is closed with 4004', timeout: 15_000 }).toEqual([4004]);
    expect((await tileWatch(a.page)).removed).toBe(false);
    expect(events.filter((e) => e.id === c.id && e.type === 'peer_left')).toEqual([]);
    await expectMediaFrom(a, [c], { audio: false });
    await expectMediaFrom(c, [a], { audio: false });
    await c.page.locator('#btn-chat').click();
    await c.page.locator('#chat-input').fill('still here');
    await c.page.locator('#chat-input').press('Enter');
    await expect(a.page.locator('.msg-text', { hasText: 'still here' })).toHaveCount(1);
    console.log(`half-open: Citra noticed the silent socket and resumed ${info.lastOutageMs} ms later`);
  } finally {
    await proxy.close();
    await server.stop();
  }
});

test('cut off for longer than the grace period: the resume is refused and the page joins afresh', async ({ join }) => {
  test.setTimeout(120_000);
  // the server notices the silence within 1.5 s and forgets the participant 1 s later
  const server = await startServer(['--heartbeat-interval-ms', '500', '--heartbeat-timeout-ms', '1500', '--resume-grace-ms', '1000']);
  const proxy = await startProxy(Number(new URL(server.url).port));
  try {
    const room = roomName('refused');
    const a = await join({ room, name: 'Ayu', url: server.url });
    const c = await join({ room, name: 'Citra', url: proxy.url });
    await expectMediaFrom(a, [c], { audio: false });
    proxy.holdExisting(); // silent for good; Citra notices after 6 s, long after the server let her go
    await expect(tile(a, c.id)).toHaveCount(0, { timeout: 20_000 });
    await expect.poll(async () => (await serverInfo(c.page)).rejoins, { message: 'Citra joins afresh', timeout: 30_000 }).toBe(1);
    const info = await serverInfo(c.page);
    expect(info.state).toBe('connected');
    expect(info.you).not.toBe(c.id);
    await expect(c.page.locator('.toast', { hasText: 'rejoined the call as a new participant' })).toBeVisible();
    // everything is rebuilt around the new id: her own tile, Ayu's tile, connections
    await expect(c.page.locator(`.tile[data-local="true"][data-peer-id="${info.you}"]`)).toHaveCount(1);
    await expect(remoteTiles(c)).toHaveCount(1);
    await expect(tile(a, /** @type {string} */ (info.you))).toHaveCount(1);
    const again = { ...c, id: /** @type {string} */ (info.you) };
    await expectMediaFrom(a, [again], { audio: false });
    await expectMediaFrom(again, [a], { audio: false });
  } finally {
    await proxy.close();
    await server.stop();
  }
});
