// A call across a cluster (docs/design/cluster.md): three ruang nodes share a real redis-server, and three
// Chromium pages in one call are each on another node. The node that owns the room, which one page is
// connected to (through a load balancer, as deployed), is killed with SIGKILL: video keeps decoding on every
// page meanwhile (the media is peer to peer), the other two nodes end their pages' connections so they resume
// with the room's new owner, the dead node's page reconnects through the balancer to a live node, and all
// three are back with the same ids, seeing each other, with chat going both ways.
import {
  test, expect, roomName, remoteTiles, expectMediaFrom, serverInfo, startFrameSampler, stopFrameSampler, framesAt,
} from '../helpers.js';
import { startRedis, startNodes, startBalancer } from '../cluster.js';

/**
 * How many rooms a node runs (owns), from its /healthz.
 * @param {import('../server.js').Server} node
 */
async function roomsOwned(node) {
  return (await (await fetch(`${node.url}healthz`)).json()).rooms;
}

test('three pages on three nodes: the owner node is killed, video keeps decoding and everyone resumes', async ({ join }) => {
  test.setTimeout(150_000);
  const redis = await startRedis();
  /** @type {import('../server.js').Server[]} */
  let nodes = [];
  /** @type {{ url: string, stop: () => Promise<void> } | null} */
  let balancer = null;
  try {
    // grace 30 s: the pages' tokens outlive the failover and their reconnect back-off on a loaded machine
    nodes = await startNodes(redis.url, 3, ['--resume-grace-ms', '30000']);
    // Ayu comes through the balancer, which prefers node 0; Bima and Citra use nodes 1 and 2 directly.
    balancer = await startBalancer(nodes.map((n) => n.listen));
    const room = roomName('cluster');
    const a = await join({ room, name: 'Ayu', url: balancer.url });
    const b = await join({ room, name: 'Bima', url: nodes[1].url });
    const c = await join({ room, name: 'Citra', url: nodes[2].url });
    const everyone = [a, b, c];
    for (const p of everyone) await expectMediaFrom(p, everyone.filter((o) => o !== p), { audio: false });
    // the room opened where Ayu joined: node 0 owns it, and Bima's and Citra's nodes relay to it
    expect(await Promise.all(nodes.map(roomsOwned))).toEqual([1, 0, 0]);
    for (const p of everyone) expect(await serverInfo(p.page)).toMatchObject({ state: 'connected', you: p.id, resumes: 0 });
    for (const p of everyone) await startFrameSampler(p.page);

    const killedAt = Date.now();
    await nodes[0].kill('SIGKILL');
    // every page resumes (Ayu's through the balancer, now to a live node), with the same id
    for (const p of everyone) {
      await expect.poll(async () => {
        const s = await serverInfo(p.page);
        return s.state === 'connected' && s.resumes >= 1;
      }, { message: `${p.name} resumes`, timeout: 60_000 }).toBe(true);
      expect(await serverInfo(p.page)).toMatchObject({ you: p.id, rejoins: 0 });
      await expect(p.page.locator('#conn-status .banner')).toHaveCount(0);
    }
    const resumedAt = Date.now();
    console.log(`kill -9 of the owner node -> all three pages resumed in ${resumedAt - killedAt} ms (polled)`);
    // one of the surviving nodes took the room over
    expect((await Promise.all(nodes.slice(1).map(roomsOwned))).sort()).toEqual([0, 1]);
    // video kept decoding across the failover: every page decoded more of each other's frames
    for (const p of everyone) {
      const sampled = await stopFrameSampler(p.page);
      for (const other of everyone.filter((o) => o !== p)) {
        const samples = sampled[other.id]?.samples ?? [];
        const atKill = framesAt(samples, killedAt);
        const atResume = framesAt(samples, resumedAt) ?? samples.at(-1)?.[1] ?? null;
        expect(atKill, `${p.name} was decoding ${other.name}'s video when the node died`).not.toBeNull();
        expect(/** @type {number} */ (atResume), `${p.name} decoded ${other.name}'s video during the failover`)
          .toBeGreaterThan(/** @type {number} */ (atKill));
      }
      console.log(`${p.name}: longest video stall ${Math.max(...Object.values(sampled).map((s) => s.stallMs))} ms`);
    }
    // everyone still sees the other two, and media flows now
    for (const p of everyone) {
      await expect(remoteTiles(p)).toHaveCount(2);
      await expectMediaFrom(p, everyone.filter((o) => o !== p), { audio: false });
    }
    // signaling works again through the new owner: chat from a page of each surviving node reaches all
    for (const [sender, text] of /** @type {const} */ ([[b, 'after the failover from Bima'], [a, 'after the failover from Ayu']])) {
      await sender.page.locator('#btn-chat').click();
      await sender.page.locator('#chat-input').fill(text);
      await sender.page.locator('#chat-input').press('Enter');
      for (const p of everyone) await expect(p.page.locator('.msg-text', { hasText: text })).toHaveCount(1);
    }
  } finally {
    await balancer?.stop();
    for (const node of nodes) await node.stop();
    await redis.stop();
  }
});
