// When the signaling server goes away, the page says it is reconnecting (without getting in the way), the
// call goes on peer to peer, and when the server is back everyone resumes. Someone who left meanwhile,
// with no server to tell, is removed once the grace period is over.
import { randomBytes } from 'node:crypto';
import {
  test, expect, roomName, remoteTiles, tile, expectMediaFrom, serverInfo, startFrameSampler, stopFrameSampler, framesAt,
} from '../helpers.js';
import { startServer } from '../server.js';

test('server stop and restart: reconnecting status, media keeps flowing, everyone resumes', async ({ join }) => {
  test.setTimeout(150_000);
  const secret = randomBytes(16).toString('hex');
  // grace 15 s: resume tokens stay valid for 24 s (at least 16.5 s after the stop, as they are renewed every
  // 7.5 s), beyond the outage below with the pages' reconnect back-off (up to ~5 s) on a loaded machine, and
  // Citra's tile goes soon
  let server = await startServer(['--shutdown-grace-ms', '1000', '--secret', secret, '--resume-grace-ms', '15000']);
  try {
    const room = roomName('loss');
    const a = await join({ room, name: 'Ayu', url: server.url });
    const b = await join({ room, name: 'Bima', url: server.url });
    const c = await join({ room, name: 'Citra', url: server.url });
    for (const p of [a, b]) await expectMediaFrom(p, [a, b, c].filter((o) => o !== p), { audio: false });
    for (const p of [a, b]) await startFrameSampler(p.page);

    // the outage: kept short and free of slow checks, so that the tokens are still valid at the end
    const stoppedAt = Date.now();
    await server.stop(); // SIGTERM: `shutdown`, then close 1001; nobody leaves
    for (const p of [a, b, c]) {
      const status = p.page.locator('#conn-status');
      await expect(status).toHaveAttribute('role', 'status');
      await expect(status).toHaveAttribute('aria-live', 'polite');
      await expect(status.locator('.banner')).toContainText('Reconnecting to the server');
      expect(await p.page.evaluate(() => /** @type {any} */ (window).ruang.connection)).toBe('reconnecting');
      await expect(p.page.locator('#chat-input')).toBeEnabled();
      await expect(remoteTiles(p)).toHaveCount(2);
    }
    // nothing modal: the controls still work
    await expect(a.page.locator('dialog[open]')).toHaveCount(0);
    // a message written meanwhile is sent when the server is back
    await a.page.locator('#btn-chat').click();
    await a.page.locator('#chat-input').fill('written while the server was away');
    await a.page.locator('#chat-input').press('Enter');
    await expect(a.page.locator('.chat-hint')).toContainText('Reconnecting');
    // Citra leaves while nobody can tell the server
    await c.page.close();
    await a.page.waitForTimeout(1000);
    const restartingAt = Date.now();

    server = await server.restart(); // same port, same secret
    for (const p of [a, b]) {
      await expect.poll(async () => (await serverInfo(p.page)).state, { message: `${p.name} resumes`, timeout: 45_000 }).toBe('connected');
      const s = await serverInfo(p.page);
      expect(s).toMatchObject({ you: p.id, resumes: 1, rejoins: 0, lastReplay: 'reset', lastLoss: 'shutdown' });
      await expect(p.page.locator('#conn-status .banner')).toHaveCount(0);
      await expect(p.page.locator('.msg-text', { hasText: 'written while the server was away' })).toHaveCount(1);
    }
    // the call went on while the server was away
    for (const [p, other] of /** @type {const} */ ([[a, b], [b, a]])) {
      const samples = (await stopFrameSampler(p.page))[other.id].samples;
      const atStop = framesAt(samples, stoppedAt);
      const atRestart = framesAt(samples, restartingAt);
      expect(atStop).not.toBeNull();
      expect(/** @type {number} */ (atRestart), `${p.name} decoded ${other.name}'s video during the outage`).toBeGreaterThan(/** @type {number} */ (atStop));
    }
    // Citra does not come back: after the grace period her tile goes, with a toast
    for (const p of [a, b]) {
      await expect(tile(p, c.id)).toHaveCount(0, { timeout: 40_000 });
      await expect(p.page.locator('.toast', { hasText: 'Citra disconnected' })).toBeVisible();
      await expect(remoteTiles(p)).toHaveCount(1);
      await expect(tile(p, p === a ? b.id : a.id)).toHaveAttribute('data-reconnecting', 'false');
    }
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
  } finally {
    await server.stop();
  }
});
