// The signaling server dies (SIGKILL) and comes back on the same port with the same secret: the calls go
// on peer to peer without a hiccup, and every page resumes as the same participant with the same
// RTCPeerConnections; chat works again afterwards.
import { randomBytes } from 'node:crypto';
import {
  test, expect, roomName, remoteTiles, expectMediaFrom, startFrameSampler, stopFrameSampler, serverInfo,
} from '../helpers.js';
import { startServer } from '../server.js';

/** The goal: no remote video stalls longer than this across the restart. */
const MAX_STALL_MS = 1000;

test('server killed and restarted: no stall, same ids, same peer connections, chat goes on', async ({ join }) => {
  test.setTimeout(180_000);
  const secret = randomBytes(16).toString('hex');
  let server = await startServer(['--secret', secret]);
  try {
    const room = roomName('restart');
    const people = [];
    for (const name of ['Ayu', 'Bima', 'Citra']) people.push(await join({ room, name, url: server.url }));
    for (const p of people) await expect(remoteTiles(p)).toHaveCount(2);
    for (const p of people) await expectMediaFrom(p, people.filter((o) => o !== p), { audio: false });

    // what must survive: ids, and the very same RTCPeerConnection objects (kept in the page)
    /** @type {Record<string, Awaited<ReturnType<typeof serverInfo>>>} */
    const before = {};
    for (const p of people) {
      before[p.name] = await serverInfo(p.page);
      expect(before[p.name]).toMatchObject({ state: 'connected', you: p.id, resumes: 0 });
      await p.page.evaluate(() => { /** @type {any} */ (window).__pcsBefore = /** @type {any} */ (window).ruang.peers; });
    }
    for (const p of people) await startFrameSampler(p.page);
    await people[0].page.waitForTimeout(1500); // a stretch of normal call in the samples

    const killedAt = Date.now();
    await server.kill('SIGKILL');
    server = await server.restart(); // same port, same --secret
    const restartedAt = Date.now();

    // every page resumes (generous bound: backoff is at most 5 s between attempts)
    for (const p of people) {
      await expect.poll(async () => {
        const s = await serverInfo(p.page);
        return s.state === 'connected' && s.resumes >= 1;
      }, { message: `${p.name} resumes`, timeout: 45_000 }).toBe(true);
    }
    const allResumedAt = Date.now();

    for (const p of people) {
      const s = await serverInfo(p.page);
      expect(s.you, `${p.name} keeps its id`).toBe(p.id);
      expect(s.rejoins, `${p.name} resumed rather than joined afresh`).toBe(0);
      expect(s.lastReplay, 'a restarted server cannot replay').toBe('reset');
      expect(s.pcCreated, `${p.name} created no RTCPeerConnection`).toBe(before[p.name].pcCreated);
      const same = await p.page.evaluate(() => {
        const w = /** @type {any} */ (window);
        const now = w.ruang.peers;
        return now.size === w.__pcsBefore.size && [...now].every(([id, pc]) => w.__pcsBefore.get(id) === pc);
      });
      expect(same, `${p.name} has the same peer connections`).toBe(true);
      await expect(p.page.locator('#conn-status .banner')).toHaveCount(0);
      await expect(remoteTiles(p)).toHaveCount(2);
      // everyone is back in the room: no tile waits for its participant any more
      await expect(p.page.locator('.tile[data-reconnecting="true"]')).toHaveCount(0, { timeout: 20_000 });
    }

    // chat after the restart reaches everyone (the restarted server counts seq from 1 again)
    const [a, , c] = people;
    for (const [from, text] of /** @type {const} */ ([[a, 'after the restart, from Ayu'], [c, 'and from Citra']])) {
      await from.page.locator('#btn-chat').click();
      await from.page.locator('#chat-input').fill(text);
      await from.page.locator('#chat-input').press('Enter');
      for (const p of people) await expect(p.page.locator('.msg-text', { hasText: text })).toHaveCount(1);
    }

    await people[0].page.waitForTimeout(2000); // and a stretch after everything settled
    /** @type {string[]} */
    const report = [];
    let worst = 0;
    for (const p of people) {
      const stats = await stopFrameSampler(p.page);
      expect(Object.keys(stats).sort(), `${p.name} sampled both remote videos`).toEqual(people.filter((o) => o !== p).map((o) => o.id).sort());
      for (const [id, s] of Object.entries(stats)) {
        const from = people.find((o) => o.id === id)?.name;
        report.push(`${p.name} ← ${from}: longest stall ${s.stallMs} ms (${s.samples.length} samples, largest sampling gap ${s.maxGapMs} ms)`);
        worst = Math.max(worst, s.stallMs);
        // the samples cover the whole outage
        expect(s.samples[0][0]).toBeLessThan(killedAt);
        expect(s.samples[s.samples.length - 1][0]).toBeGreaterThan(allResumedAt);
      }
    }
    const outages = [];
    for (const p of people) outages.push(`${p.name} ${(await serverInfo(p.page)).lastOutageMs} ms`);
    console.log(`restart: server back ${restartedAt - killedAt} ms after the kill; all resumed after ${allResumedAt - killedAt} ms `
      + `(outage per page: ${outages.join(', ')})\n  ${report.join('\n  ')}`);
    expect(worst, `longest video stall across the restart:\n${report.join('\n')}`).toBeLessThanOrEqual(MAX_STALL_MS);
  } finally {
    await server.stop();
  }
});
