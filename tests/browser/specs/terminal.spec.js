// ruang from a terminal (issue 19): the real `ruang send` and `ruang receive` processes and a Chromium page
// in one meeting, files both ways over the peer-to-peer data channel, each checked with SHA-256 on both
// sides. The terminal speaks the web client's own file protocol (docs/protocol.md), so the page needs no
// help: it accepts through its UI.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RUANG_BIN, startServer } from '../server.js';
import { test, expect, roomName, selectedPairs } from '../helpers.js';

const MB = 1024 * 1024;
const SIZE = 50 * MB;

/** The directories scratch() made for the running test: removed after it, passed or failed. @type {string[]} */
const scratchDirs = [];

/** A new empty directory under the system's temporary directory, removed after the test. @param {string} prefix */
async function scratch(prefix) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

// after each test's own `finally` has killed its `ruang` processes; the retries cover one still exiting
test.afterEach(async () => {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
});

/** @param {string} file */
function sha256(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

/** A file of `size` random-looking bytes (written in pieces: no 50 MB buffer in memory at once). */
async function bigFile(/** @type {string} */ dir, /** @type {string} */ name, /** @type {number} */ size) {
  const file = path.join(dir, name);
  const piece = Buffer.alloc(MB);
  let x = 0x2545f491;
  for (let i = 0; i < MB; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; piece.writeUInt32LE(x >>> 0, i); }
  const parts = [];
  for (let off = 0; off < size; off += MB) parts.push(Buffer.from(piece.map((b, i) => b ^ ((off / MB + i) & 0xff))).subarray(0, Math.min(MB, size - off)));
  await writeFile(file, Buffer.concat(parts));
  return file;
}

/**
 * The `ruang` binary with these arguments: its output so far, a way to wait for a line, and its exit.
 * @param {string[]} args
 */
function ruang(args) {
  const child = spawn(RUANG_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d.toString(); });
  child.stderr.on('data', (d) => { out += d.toString(); });
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    interrupt: () => child.kill('SIGINT'),
    /** @param {RegExp} re */
    waitFor: (re) => expect.poll(() => out, { timeout: 20_000, message: `ruang ${args[0]} printed ${re}` }).toMatch(re),
    exited,
    kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}

test.describe.configure({ timeout: 180_000 });

test('ruang send → a page: a 50 MB file, accepted in the page, hashes equal', async ({ join, baseUrl }) => {
  const room = roomName('term-send');
  const dir = await scratch('ruang-send-');
  const file = await bigFile(dir, 'from-terminal.bin', SIZE);
  const expected = await sha256(file);
  const a = await join({ room, name: 'Ayu', camera: false, mic: false });

  // the terminal joins after the page: it offers (a connection with only the data channel)
  const send = ruang(['send', file, '--to', `${baseUrl}r/${room}`, '--name', 'Terminal']);
  try {
    await expect(a.page.locator('.toast', { hasText: 'Terminal wants to send you a file' })).toBeVisible({ timeout: 20_000 });
    await a.page.locator('#btn-chat').click();
    const inCard = a.page.locator('.xfer[data-direction="in"]');
    await expect(inCard.locator('.xfer-name')).toHaveText('from-terminal.bin');
    await expect(inCard.locator('.xfer-sub')).toHaveText('50 MB · from Terminal');
    await inCard.locator('[data-action="accept"]').click();
    await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
    await expect(inCard.locator('.xfer-status')).toHaveText('Received, checksum verified');
    expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0].sha256)).toBe(expected);
    expect(await send.exited, send.output()).toBe(0);
    expect(send.output()).toContain(`from-terminal.bin (${SIZE} bytes) to Ayu: delivered, checksum verified sha256 ${expected}`);
  } finally {
    send.kill();
  }
});

test('a page → ruang receive: a 50 MB file written under its name, hashes equal', async ({ join, baseUrl }) => {
  const room = roomName('term-recv');
  const src = await scratch('ruang-page-');
  const file = await bigFile(src, 'from-page.bin', SIZE);
  const expected = await sha256(file);
  const into = await scratch('ruang-recv-');

  // the terminal is there first: the page offers to it, with its audio and video m-lines (camera and mic on)
  const receive = ruang(['receive', '--from', `${baseUrl}r/${room}`, '--dir', into, '--count', '1', '--name', 'Terminal']);
  try {
    await receive.waitFor(/joined /);
    const a = await join({ room, name: 'Ayu' });
    await receive.waitFor(/connected to Ayu/);
    await a.page.locator('#btn-chat').click();
    // (a path, not a buffer: Playwright passes a page at most 50 MB of buffer)
    await a.page.locator('#file-input').setInputFiles(file);
    const outCard = a.page.locator('.xfer[data-direction="out"]');
    await expect(outCard.locator('.xfer-sub')).toHaveText('50 MB · to Terminal');
    await expect(outCard).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
    await expect(outCard.locator('.xfer-status')).toHaveText('Delivered, checksum verified');
    expect(await receive.exited, receive.output()).toBe(0);
    expect(await readdir(into)).toEqual(['from-page.bin']);
    expect(await sha256(path.join(into, 'from-page.bin'))).toBe(expected);
    expect(receive.output()).toContain(`from Ayu: received, checksum verified: ${path.join(into, 'from-page.bin')} sha256 ${expected}`);
  } finally {
    receive.kill();
  }
});

test('a page declines what ruang send offers: the terminal says so and fails', async ({ join, baseUrl }) => {
  const room = roomName('term-decline');
  const dir = await scratch('ruang-decline-');
  const file = path.join(dir, 'unwanted.txt');
  await writeFile(file, 'no thanks');
  const a = await join({ room, name: 'Ayu', camera: false, mic: false });
  const send = ruang(['send', file, '--to', `${baseUrl}r/${room}`]);
  try {
    await expect(a.page.locator('.toast', { hasText: 'wants to send you a file' })).toBeVisible({ timeout: 20_000 });
    await a.page.locator('#btn-chat').click();
    await a.page.locator('.xfer [data-action="decline"]').click();
    expect(await send.exited, send.output()).toBe(1);
    expect(send.output()).toContain('unwanted.txt (9 bytes) to Ayu: declined');
  } finally {
    send.kill();
  }
});

test('ruang receive declines a file over its --max-size: the page is told', async ({ join, baseUrl }) => {
  const room = roomName('term-refuse');
  const dir = await scratch('ruang-refuse-');
  const file = path.join(dir, 'too-big.txt');
  await writeFile(file, 'x'.repeat(5000));
  const into = await scratch('ruang-refuse-in-');
  const receive = ruang(['receive', '--from', `${baseUrl}r/${room}`, '--dir', into, '--max-size', '1000', '--name', 'Terminal']);
  try {
    await receive.waitFor(/joined /);
    const a = await join({ room, name: 'Ayu', camera: false, mic: false });
    await receive.waitFor(/connected to Ayu/);
    await a.page.locator('#btn-chat').click();
    await a.page.locator('#file-input').setInputFiles(file);
    const outCard = a.page.locator('.xfer[data-direction="out"]');
    await expect(outCard).toHaveAttribute('data-state', 'declined');
    await expect(outCard.locator('.xfer-status')).toHaveText('Declined');
    receive.interrupt();
    expect(await receive.exited, receive.output()).toBe(1);
    expect(receive.output()).toContain('too-big.txt (5000 bytes) from Ayu: declined');
    expect(await readdir(into)).toEqual([]);
  } finally {
    receive.kill();
  }
});

/** A sparse file of `size` zero bytes: long enough to be cancelled mid-way whatever the machine's speed. */
async function longFile(/** @type {string} */ dir, /** @type {string} */ name, /** @type {number} */ size) {
  const file = path.join(dir, name);
  await writeFile(file, '');
  await truncate(file, size);
  return file;
}

test('the page cancels what ruang send is sending: the terminal says so and fails', async ({ join, baseUrl }) => {
  const room = roomName('term-pcancel');
  const dir = await scratch('ruang-pcancel-');
  const file = await longFile(dir, 'long.bin', 2000 * MB);
  const a = await join({ room, name: 'Ayu', camera: false, mic: false });
  const send = ruang(['send', file, '--to', `${baseUrl}r/${room}`]);
  try {
    await expect(a.page.locator('.toast', { hasText: 'wants to send you a file' })).toBeVisible({ timeout: 20_000 });
    await a.page.locator('#btn-chat').click();
    const inCard = a.page.locator('.xfer[data-direction="in"]');
    await inCard.locator('[data-action="accept"]').click();
    await expect(inCard).toHaveAttribute('data-state', 'receiving');
    await inCard.locator('[data-action="cancel"]').click();
    await expect(inCard).toHaveAttribute('data-state', 'cancelled');
    expect(await send.exited, send.output()).toBe(1);
    expect(send.output()).toContain('long.bin (2097152000 bytes) to Ayu: cancelled by the other side');
  } finally {
    send.kill();
  }
});

test('Ctrl-C in ruang receive cancels the page\'s transfer and leaves nothing behind', async ({ join, baseUrl }) => {
  const room = roomName('term-rcancel');
  const dir = await scratch('ruang-rcancel-');
  const file = await longFile(dir, 'long.bin', 2000 * MB);
  const into = await scratch('ruang-rcancel-in-');
  const receive = ruang(['receive', '--from', `${baseUrl}r/${room}`, '--dir', into, '--name', 'Terminal']);
  try {
    await receive.waitFor(/joined /);
    const a = await join({ room, name: 'Ayu', camera: false, mic: false });
    await receive.waitFor(/connected to Ayu/);
    await a.page.locator('#btn-chat').click();
    await a.page.locator('#file-input').setInputFiles(file);
    const outCard = a.page.locator('.xfer[data-direction="out"]');
    await expect(outCard).toHaveAttribute('data-state', 'sending');
    receive.interrupt();
    await expect(outCard).toHaveAttribute('data-state', 'cancelled');
    expect(await receive.exited, receive.output()).toBe(1);
    expect(receive.output()).toContain('long.bin (2097152000 bytes) from Ayu: cancelled');
    expect(await readdir(into)).toEqual([]);
  } finally {
    receive.kill();
  }
});

test('a server restart mid-transfer: both sides resume and the file arrives whole', async ({ join }) => {
  let server = await startServer(['--secret', 'terminal-restart-secret-0123456789abcdef']);
  try {
    const room = roomName('term-restart');
    const dir = await scratch('ruang-restart-');
    // long enough to span the restart (stopped as soon as the page receives), short enough not to make a
    // loaded CI machine the subject: the 150 MB of the first version failed once there
    const size = 60 * MB;
    const file = await longFile(dir, 'zeros.bin', size);
    const expected = await sha256(file);
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: server.url });
    const send = ruang(['send', file, '--to', `${server.url}r/${room}`, '--name', 'Terminal']);
    try {
      await expect(a.page.locator('.toast', { hasText: 'Terminal wants to send you a file' })).toBeVisible({ timeout: 20_000 });
      await a.page.locator('#btn-chat').click();
      const inCard = a.page.locator('.xfer[data-direction="in"]');
      await inCard.locator('[data-action="accept"]').click();
      await expect(inCard).toHaveAttribute('data-state', 'receiving');
      // the signaling goes away and comes back; the data channel is peer to peer and goes on
      await server.stop();
      server = await server.restart();
      await send.waitFor(/the connection to the server was lost and is back/);
      await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 150_000 }).catch((err) => {
        // what the terminal saw, and the page's own account, for the report
        console.log(`ruang send said:\n${send.output()}`);
        throw err;
      });
      expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0].sha256)).toBe(expected);
      expect(await send.exited, send.output()).toBe(0);
    } finally {
      send.kill();
    }
  } finally {
    await server.stop();
  }
});

/**
 * `ruang send` of `file` into `roomUrl`, once its output matches `ready`; the page `a` accepts it from the
 * chat panel and verifies it (`hash`), and the terminal exits with success.
 * @param {{ page: import('@playwright/test').Page }} a @param {string} file @param {string} hash
 * @param {string} roomUrl @param {RegExp} ready @param {string[]} [extra] more arguments for `ruang send`
 */
async function sendToPage(a, file, hash, roomUrl, ready, extra = []) {
  const send = ruang(['send', file, '--to', roomUrl, '--name', 'Sender', ...extra]);
  try {
    await send.waitFor(ready);
    await expect(a.page.locator('.toast', { hasText: 'Sender wants to send you a file' })).toBeVisible({ timeout: 20_000 });
    await a.page.locator('#btn-chat').click();
    const inCard = a.page.locator('.xfer[data-direction="in"]');
    await inCard.locator('[data-action="accept"]').click();
    await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0].sha256)).toBe(hash);
    expect(await send.exited, send.output()).toBe(0);
  } finally {
    send.kill();
  }
}

test.describe('in an SFU room', () => {
  /** @type {import('../server.js').Server} */ let sfu;
  test.beforeAll(async () => { sfu = await startServer(['--media-mode', 'sfu']); });
  test.afterAll(async () => { await sfu?.stop(); });

  test('files go both ways over files-only peer connections', async ({ join }) => {
    const room = roomName('term-sfu');
    const dir = await scratch('ruang-sfu-');
    const toPage = await bigFile(dir, 'to-page.bin', 5 * MB);
    const toPageHash = await sha256(toPage);
    const fromPage = await bigFile(dir, 'from-page.bin', 3 * MB + 5);
    const fromPageHash = await sha256(fromPage);
    const into = await scratch('ruang-sfu-in-');
    const roomUrl = `${sfu.url}r/${room}`;
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: sfu.url });

    // the terminal sends: it opens a files-only connection to the page, which answers it
    await sendToPage(a, toPage, toPageHash, roomUrl, /sfu room/);

    // the page sends: it opens a files-only connection to the terminal (from the terminal's tile menu)
    const receive = ruang(['receive', '--from', roomUrl, '--dir', into, '--count', '1', '--name', 'Receiver']);
    try {
      await receive.waitFor(/sfu room/);
      const tile = a.page.locator('.tile[data-peer-id]', { hasText: 'Receiver' });
      await tile.hover();
      await tile.locator('.tile-menu-btn').click();
      const [chooser] = await Promise.all([a.page.waitForEvent('filechooser'), tile.locator('.menu .menu-send-file').click()]);
      await chooser.setFiles(fromPage);
      const outCard = a.page.locator('.xfer[data-direction="out"]');
      await expect(outCard).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
      expect(await receive.exited, receive.output()).toBe(0);
      expect(await sha256(path.join(into, 'from-page.bin'))).toBe(fromPageHash);
    } finally {
      receive.kill();
    }
  });
});

test.describe('in a relay-only room', () => {
  /** @type {import('../server.js').Server} */ let relay;
  test.beforeAll(async () => { relay = await startServer(['--relay-only']); });
  test.afterAll(async () => { await relay?.stop(); });

  test('ruang send → a page and back, through the built-in TURN server only', async ({ join }) => {
    const room = roomName('term-relay');
    const dir = await scratch('ruang-relay-');
    const toPage = await bigFile(dir, 'to-page.bin', 4 * MB);
    const toPageHash = await sha256(toPage);
    const fromPage = await bigFile(dir, 'from-page.bin', 2 * MB + 3);
    const fromPageHash = await sha256(fromPage);
    const into = await scratch('ruang-relay-in-');
    const roomUrl = `${relay.url}r/${room}`;
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: relay.url });

    await sendToPage(a, toPage, toPageHash, roomUrl, /relay-only/);

    const receive = ruang(['receive', '--from', roomUrl, '--dir', into, '--count', '1', '--name', 'Receiver']);
    try {
      await receive.waitFor(/connected to Ayu/);
      await a.page.locator('#file-input').setInputFiles(fromPage);
      await expect(a.page.locator('.xfer[data-direction="out"]')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
      expect(await receive.exited, receive.output()).toBe(0);
      expect(await sha256(path.join(into, 'from-page.bin'))).toBe(fromPageHash);
    } finally {
      receive.kill();
    }
  });
});

/** Runs an nftables script in the test's network namespace (netns.sh: we are root there). @param {string} script */
function nft(script) {
  const run = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`nft failed (run.sh installs nftables): ${run.error ?? run.stderr}`);
}

test.describe('in a relay-only room whose TURN server gets no UDP', () => {
  /** @type {import('../server.js').Server} */ let relay;
  /** the built-in TURN server's port (UDP and TCP) */
  let port = '';
  test.beforeAll(async () => {
    relay = await startServer(['--relay-only']);
    port = /built-in STUN\/TURN on 127\.0\.0\.1:(\d+) /.exec(relay.output())?.[1] ?? '';
    expect(port, relay.output()).not.toBe('');
    // as a firewall that lets TCP through but drops UDP to the TURN port would: for the page and the terminal
    nft(`table inet ruang_no_udp_turn {
      chain out { type filter hook output priority 0; ip daddr 127.0.0.1 udp dport ${port} drop; }
    }`);
  });
  test.afterAll(async () => {
    if (port) nft('delete table inet ruang_no_udp_turn');
    await relay?.stop();
  });

  test('ruang send → a page and back, both relayed through TURN over TCP', async ({ join }) => {
    const room = roomName('term-turn-tcp');
    const dir = await scratch('ruang-turn-tcp-');
    const toPage = await bigFile(dir, 'to-page.bin', 3 * MB + 1);
    const toPageHash = await sha256(toPage);
    const fromPage = await bigFile(dir, 'from-page.bin', 2 * MB + 9);
    const fromPageHash = await sha256(fromPage);
    const into = await scratch('ruang-turn-tcp-in-');
    const roomUrl = `${relay.url}r/${room}`;
    const overTcp = new RegExp(`TURN relay ready at 127\\.0\\.0\\.1:\\d+ \\(via turn:127\\.0\\.0\\.1:${port}\\?transport=tcp\\)`);
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: relay.url });

    // the terminal gives up on UDP (no answer), allocates over TCP, and only then can the page reach it
    await sendToPage(a, toPage, toPageHash, roomUrl, overTcp);

    const receive = ruang(['receive', '--from', roomUrl, '--dir', into, '--count', '1', '--name', 'Receiver']);
    try {
      await receive.waitFor(overTcp);
      await receive.waitFor(/connected to Ayu/);
      // the page's side of the pair is its relay over TCP too (its UDP allocation got no answer either)
      await expect.poll(() => selectedPairs(a.page)).toEqual([expect.objectContaining({ local: 'relay', relayProtocol: 'tcp' })]);
      await a.page.locator('#file-input').setInputFiles(fromPage);
      await expect(a.page.locator('.xfer[data-direction="out"]')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
      expect(await receive.exited, receive.output()).toBe(0);
      expect(await sha256(path.join(into, 'from-page.bin'))).toBe(fromPageHash);
    } finally {
      receive.kill();
    }
  });
});

test.describe('over HTTPS with a self-signed certificate', () => {
  /** @type {import('../server.js').Server} */ let secure;
  test.beforeAll(async () => { secure = await startServer(['--tls-self-signed']); });
  test.afterAll(async () => { await secure?.stop(); });

  test('ruang send and receive pinned with --insecure-fingerprint, as the server printed it, with a page on https://', async ({ join }) => {
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    // what the server printed at start (startServer reads it from its output and checked that it is the
    // certificate it serves): what a person copies into the terminal
    const pin = /** @type {string} */ (secure.fingerprint);
    expect(pin).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const room = roomName('term-tls');
    const dir = await scratch('ruang-tls-');
    const toPage = await bigFile(dir, 'to-page.bin', 5 * MB);
    const toPageHash = await sha256(toPage);
    const fromPage = await bigFile(dir, 'from-page.bin', 3 * MB + 7);
    const fromPageHash = await sha256(fromPage);
    const into = await scratch('ruang-tls-in-');
    const roomUrl = `${secure.url}r/${room}`;
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: secure.url, ignoreHTTPSErrors: true });
    expect(await a.page.evaluate(() => location.protocol)).toBe('https:');

    await sendToPage(a, toPage, toPageHash, roomUrl, /joined /, ['--insecure-fingerprint', pin]);

    // and back, the fingerprint typed as people do: lower case, no colons
    const typed = pin.replaceAll(':', '').toLowerCase();
    const receive = ruang(['receive', '--from', roomUrl, '--dir', into, '--count', '1', '--name', 'Receiver', '--insecure-fingerprint', typed]);
    try {
      await receive.waitFor(/connected to Ayu/);
      await a.page.locator('#file-input').setInputFiles(fromPage);
      await expect(a.page.locator('.xfer[data-direction="out"]')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
      expect(await receive.exited, receive.output()).toBe(0);
      expect(await sha256(path.join(into, 'from-page.bin'))).toBe(fromPageHash);
    } finally {
      receive.kill();
    }
  });

  test('a wrong fingerprint, or none: ruang send refuses the server with a TLS error and exits 1', async ({ join }) => {
    const pin = /** @type {string} */ (secure.fingerprint);
    const room = roomName('term-tls-bad');
    const dir = await scratch('ruang-tls-bad-');
    const file = path.join(dir, 'secret.txt');
    await writeFile(file, 'for the right server only');
    // someone is in the room: a terminal that got in would offer them the file
    const a = await join({ room, name: 'Ayu', camera: false, mic: false, url: secure.url, ignoreHTTPSErrors: true });
    const roomUrl = `${secure.url}r/${room}`;

    // the right fingerprint with its last byte changed: another certificate
    const last = pin.slice(-2) === '00' ? '01' : '00';
    const wrong = `${pin.slice(0, -2)}${last}`;
    const pinned = ruang(['send', file, '--to', roomUrl, '--insecure-fingerprint', wrong]);
    try {
      expect(await pinned.exited, pinned.output()).toBe(1);
      expect(pinned.output()).toContain(`ruang: TLS with 127.0.0.1: the server's certificate is ${pin}, not the pinned ${wrong}`);
      expect(pinned.output()).not.toContain('joined');
    } finally {
      pinned.kill();
    }

    // without a pin: the system's roots do not know a self-signed certificate; the message says what to do
    const unpinned = ruang(['send', file, '--to', roomUrl]);
    try {
      expect(await unpinned.exited, unpinned.output()).toBe(1);
      expect(unpinned.output()).toContain('ruang: TLS with 127.0.0.1: ');
      expect(unpinned.output()).toContain('pass --insecure-fingerprint with the fingerprint it printed');
      expect(unpinned.output()).not.toContain('joined');
    } finally {
      unpinned.kill();
    }
    // the page never saw anyone else
    expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.peers.length)).toBe(0);
  });
});
