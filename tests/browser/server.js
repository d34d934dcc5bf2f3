// Start and stop a ruang server process for tests. The binary comes from RUANG_BIN, else
// ../../target/debug/ruang relative to this folder.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RUANG_BIN = process.env.RUANG_BIN || path.resolve(here, '../../target/debug/ruang');

/**
 * @typedef {{ listen?: string, turnListen?: string, sfuListen?: string, bin?: string }} Where (bin: another ruang binary than RUANG_BIN)
 * @typedef {{ url: string, listen: string, fingerprint: string | null, output: () => string, stop: () => Promise<void>,
 *   kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<Server> }} Server
 * (`url` is https:// with '--tls-self-signed' among the arguments, and `fingerprint` the SHA-256 of its
 * certificate as the server printed it at start; null over plain HTTP)
 */

/**
 * Start ruang and wait until it serves (GET /healthz answers). With a TURN port of 0 the built-in TURN
 * server binds its TCP listener to the port its UDP socket drew, which another TCP socket can hold; the
 * process then exits right after printing its URL. That is retried (up to three starts).
 * @param {string[]} [extraArgs] e.g. ['--max-participants', '2']; without '--media-mode', the server is started in mesh mode
 * @param {Where} [where] addresses (default: free ports on 127.0.0.1)
 * @returns {Promise<Server>}
 */
export async function startServer(extraArgs = [], where = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(extraArgs, where);
    } catch (err) {
      if (attempt >= 3 || !(where.turnListen ?? '127.0.0.1:0').endsWith(':0') || !String(err).includes('exited early')) throw err;
      console.warn(`ruang did not start (attempt ${attempt}), trying again: ${String(err).split('\n').slice(0, 4).join(' | ')}`);
    }
  }
}

/**
 * @param {string[]} extraArgs
 * @param {Where} where
 * @returns {Promise<Server>}
 */
async function startOnce(extraArgs, where) {
  const { listen = '127.0.0.1:0', turnListen = '127.0.0.1:0', sfuListen = '127.0.0.1:0', bin = RUANG_BIN } = where;
  if (!existsSync(bin)) throw new Error(`ruang binary not found at ${bin}: run "cargo build -p ruang" (run.sh does)`);
  // the built-in STUN/TURN server gets a free port too, so several servers (and a developer's own) coexist
  // every test's rooms come from 127.0.0.1: the per-address room-creation limit is not what these tests test
  // and the SFU's media port too (its default, port 3479, would be shared by every server a run starts)
  const args = ['--listen', listen, '--turn-listen', turnListen, '--sfu-listen', sfuListen, '--rooms-per-address-per-minute', '100000'];
  // The specs test the mesh unless they ask for a media mode (sfu.spec.js does): the server's default,
  // `auto`, would move any room of four onto the SFU and change what they look at.
  if (!extraArgs.includes('--media-mode')) args.push('--media-mode', 'mesh');
  const child = spawn(bin, [...args, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  let out = '';
  // a self-signed server prints its certificate's fingerprint after its URL: wait for both
  const selfSigned = extraArgs.includes('--tls-self-signed');
  /** @type {string | null} */
  let fingerprint = null;
  /** @type {string} */
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ruang did not print its URL within 15 s:\n${out}`)), 15_000);
    const onData = (/** @type {Buffer} */ d) => {
      out += d.toString();
      const m = /https?:\/\/\S+/.exec(out);
      const f = /self-signed certificate, SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n/.exec(out);
      if (f) fingerprint = f[1];
      if (m && (!selfSigned || fingerprint)) { clearTimeout(timer); resolve(m[0].endsWith('/') ? m[0] : `${m[0]}/`); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ruang exited early (${code}):\n${out}`)); });
  });
  // serving (the TURN server is up before HTTP is answered), or gone
  await new Promise((resolve, reject) => {
    let done = false;
    const finish = (/** @type {Error | null} */ err) => { if (done) return; done = true; clearTimeout(timer); if (err) reject(err); else resolve(undefined); };
    const timer = setTimeout(() => finish(new Error(`ruang did not answer /healthz within 15 s:\n${out}`)), 15_000);
    child.removeAllListeners('exit');
    child.once('exit', (code) => finish(new Error(`ruang exited early (${code}):\n${out}`)));
    if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`ruang exited early (${child.exitCode}):\n${out}`));
    const probe = () => {
      if (done) return;
      healthy(`${url}healthz`, fingerprint).then((ok) => (ok ? finish(null) : setTimeout(probe, 100)), (err) => {
        if (err instanceof CertificateMismatch) finish(err); else setTimeout(probe, 100);
      });
    };
    probe();
  });
  child.removeAllListeners('exit');
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  /** the address it really listens on (port 0 resolved), for a restart on the same one */
  const address = new URL(url).host;
  return {
    url,
    listen: address,
    fingerprint,
    output: () => out,
    stop: () => new Promise((resolve) => {
      if (gone()) { resolve(); return; }
      const kill = setTimeout(() => child.kill('SIGKILL'), 8000);
      child.once('exit', () => { clearTimeout(kill); resolve(); });
      child.kill('SIGTERM');
    }),
    /** end the process with `signal` (default SIGKILL: no goodbye to anyone); resolves once it is gone */
    kill: (signal = 'SIGKILL') => new Promise((resolve) => {
      if (gone()) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill(signal);
    }),
    /**
     * Start the binary again with the same arguments on the same web address (after stop() or kill()), so
     * pages that were served by this one reconnect to it; retried briefly while the port is still taken.
     */
    restart: async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startServer(extraArgs, { ...where, listen: address });
        } catch (err) {
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    },
  };
}

class CertificateMismatch extends Error {}

/**
 * Whether GET `url` answers 2xx. Over https:// the certificate is the self-signed one whose SHA-256 the
 * server printed (`fingerprint`), or the promise rejects with a CertificateMismatch: what the server
 * prints is what it serves.
 * @param {string} url @param {string | null} fingerprint
 * @returns {Promise<boolean>}
 */
function healthy(url, fingerprint) {
  if (!url.startsWith('https:')) return fetch(url).then((r) => r.ok);
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false }, (res) => {
      const seen = /** @type {import('node:tls').TLSSocket} */ (res.socket).getPeerCertificate().fingerprint256;
      res.resume();
      if (fingerprint && seen !== fingerprint) reject(new CertificateMismatch(`${url} serves a certificate with SHA-256 ${seen}, ruang printed ${fingerprint}`));
      else resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timed out')));
  });
}
