// Global setup of the NAT test: builds the namespace lab (lab.sh up + check), starts ruang in this
// namespace on the lab's "public" address, and writes one wrapper per client namespace that starts the
// system Chromium inside it (Playwright talks to Chromium over a pipe, which survives `ip netns exec`).
// Teardown stops ruang and removes the lab.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAB = path.join(here, 'lab.sh');
export const SERVER_IP = '198.51.100.10';
export const NAMESPACES = { a: 'ruang-ca', b: 'ruang-cb' };

/** @param {string} arg */
function lab(arg) {
  execFileSync('bash', [LAB, arg], { stdio: 'inherit', timeout: 60_000 });
}

export default async function natSetup() {
  if (process.getuid?.() !== 0) throw new Error('the NAT test needs root (network namespaces, nftables)');
  lab('up');
  /** @type {Awaited<ReturnType<typeof startServer>> | null} */
  let server = null;
  const dir = mkdtempSync(path.join(tmpdir(), 'ruang-nat-'));
  const cleanup = async () => {
    await server?.stop();
    lab('down');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    try {
      lab('check');
    } catch (err) {
      // seen once, not reproduced: the server address was missing from lo right after `up`. Show the state
      // and build the lab once more before giving up.
      console.error(`nat-setup: lab check failed (${err}); state:`);
      execFileSync('sh', ['-c', 'ip -4 addr show lo; ip netns list; ip -br link'], { stdio: 'inherit' });
      lab('up');
      lab('check');
    }
    // ICE policy "all" (not relay-only): ICE has to find out by itself that only the relay works
    server = await startServer(['--turn-public-ip', SERVER_IP], { listen: `${SERVER_IP}:0`, turnListen: `${SERVER_IP}:3478` });
    process.env.RUANG_NAT_URL = server.url;
    const chromium = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
    for (const [side, ns] of Object.entries(NAMESPACES)) {
      const wrapper = path.join(dir, `chromium-${side}`);
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} '${chromium}' "$@"\n`, { mode: 0o755 });
      process.env[`RUANG_NAT_CHROMIUM_${side.toUpperCase()}`] = wrapper;
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return cleanup;
}
