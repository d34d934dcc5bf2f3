// A ruang cluster for browser tests: a real redis-server (Debian package; run.sh installs it) on a free
// loopback port, ruang nodes started with --redis (server.js startServer), and a minimal TCP load balancer,
// the way a deployment puts one in front of its nodes (deploy/cluster/): it sends each new connection to the
// first node of its list that accepts it, so a page whose node died reconnects through it to another.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { startServer } from './server.js';

/** A free TCP port on 127.0.0.1 (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Start a redis-server of this test (nothing saved to disk) and wait (up to 10 s) until it accepts connections.
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let failed = '';
  child.on('error', (err) => { failed = `redis-server could not start (apt-get install redis-server; run.sh does): ${err.message}`; });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(undefined); return; }
    child.once('exit', () => resolve(undefined));
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (failed) throw new Error(failed);
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) { await stop(); throw new Error('redis-server did not accept connections within 10 s'); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}/`, stop };
}

/**
 * Start `count` ruang nodes sharing `redisUrl` and one secret (so resume tokens hold on every node).
 * @param {string} redisUrl
 * @param {number} count
 * @param {string[]} [extraArgs]
 * @returns {Promise<import('./server.js').Server[]>}
 */
export async function startNodes(redisUrl, count, extraArgs = []) {
  const secret = randomBytes(16).toString('hex');
  const nodes = [];
  for (let i = 0; i < count; i++) nodes.push(await startServer(['--redis', redisUrl, '--secret', secret, ...extraArgs]));
  return nodes;
}

/**
 * A TCP load balancer on a free loopback port: each connection goes to the first of `backends` (`host:port`)
 * that accepts it; when either side closes, so does the other.
 * @param {string[]} backends
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startBalancer(backends) {
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.pause();
    const tryBackend = (/** @type {number} */ i) => {
      if (i >= backends.length) { client.destroy(); return; }
      const [host, port] = backends[i].split(':');
      const upstream = net.connect(Number(port), host);
      // refused (the node is down): the next one
      upstream.once('error', () => { upstream.destroy(); tryBackend(i + 1); });
      upstream.once('connect', () => {
        sockets.add(upstream);
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve(undefined));
    }),
  };
}
