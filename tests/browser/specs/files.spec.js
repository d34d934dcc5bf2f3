// Peer-to-peer file transfer over the data channel, and the incremental SHA-256 it relies on.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test, expect, roomName } from '../helpers.js';

test('incremental SHA-256 matches crypto.subtle.digest', async ({ page, baseUrl }) => {
  await page.goto(baseUrl);
  const results = await page.evaluate(async () => {
    const { Sha256 } = await import('/js/sha256.js');
    const hex = (/** @type {ArrayBuffer} */ b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
    const sizes = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65536, 1_000_003, 20 * 1024 * 1024 + 17];
    const out = [];
    let seed = 12345;
    const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
    for (const n of sizes) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(n, i + 65536)));
      const expected = hex(await crypto.subtle.digest('SHA-256', data));
      // feed it in uneven pieces, including empty ones
      const h = new Sha256();
      for (let off = 0; off < n;) {
        const len = Math.min(n - off, rand() % (n < 4096 ? 70 : 300_000));
        h.update(data.subarray(off, off + len));
        off += len;
      }
      const oneShot = new Sha256().update(data.buffer).hex();
      out.push({ n, ok: h.hex() === expected && oneShot === expected });
    }
    const abc = new Sha256().update(new TextEncoder().encode('abc')).hex();
    return { out, abc };
  });
  expect(results.abc).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (const r of results.out) expect(r, `size ${r.n}`).toEqual({ n: r.n, ok: true });
});

test('a 20 MB file arrives intact, with progress on both sides', async ({ join }) => {
  const room = roomName('files');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima', camera: false });
  await expect(b.page.locator(`.tile[data-peer-id="${a.id}"]`)).toHaveAttribute('data-connection', 'connected');

  const bytes = randomBytes(20 * 1024 * 1024);
  const expected = createHash('sha256').update(bytes).digest('hex');

  await a.page.locator('#btn-chat').click();
  await a.page.locator('#file-input').setInputFiles({ name: 'random.bin', mimeType: 'application/octet-stream', buffer: bytes });
  const outCard = a.page.locator('.xfer[data-direction="out"]');
  await expect(outCard).toHaveAttribute('data-state', 'offered');
  await expect(outCard.locator('.xfer-sub')).toHaveText('20 MB · to Bima');

  // the receiver is told, sees name and size, and decides
  await expect(b.page.locator('.toast', { hasText: 'Ayu wants to send you a file' })).toBeVisible();
  await expect(b.page.locator('#btn-chat .badge')).toHaveText('1');
  await b.page.locator('#btn-chat').click();
  const inCard = b.page.locator('.xfer[data-direction="in"]');
  await expect(inCard).toHaveAttribute('data-state', 'incoming');
  await expect(inCard.locator('.xfer-name')).toHaveText('random.bin');
  await expect(inCard.locator('.xfer-sub')).toHaveText('20 MB · from Ayu');

  // record every progress value both bars show
  const watchProgress = (/** @type {import('@playwright/test').Page} */ page) => page.evaluate(() => {
    const seen = /** @type {number[]} */ ([]);
    /** @type {any} */ (window).__progress = seen;
    const bar = /** @type {HTMLProgressElement} */ (document.querySelector('.xfer progress'));
    new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
  });
  await watchProgress(a.page);
  await watchProgress(b.page);

  await inCard.locator('[data-action="accept"]').click();
  await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(outCard).toHaveAttribute('data-state', 'done');
  await expect(inCard.locator('.xfer-status')).toHaveText('Received, checksum verified');
  await expect(outCard.locator('.xfer-status')).toHaveText('Delivered, checksum verified');
  const size = bytes.length;
  for (const p of [a, b]) {
    const seen = await p.page.evaluate(() => /** @type {any} */ (window).__progress);
    expect(seen.some((/** @type {number} */ v) => v > 0 && v < size), `${p.name} showed partial progress`).toBe(true);
  }
  // both sides computed the same hash as Node
  const hashes = await Promise.all([a, b].map((p) => p.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0].sha256)));
  expect(hashes).toEqual([expected, expected]);

  // and the downloaded file is byte-identical
  const [download] = await Promise.all([b.page.waitForEvent('download'), inCard.locator('[data-action="download"]').click()]);
  expect(download.suggestedFilename()).toBe('random.bin');
  const got = await readFile(await download.path());
  expect(got.length).toBe(size);
  expect(createHash('sha256').update(got).digest('hex')).toBe(expected);
});

test('a declined file is not sent', async ({ join }) => {
  const room = roomName('decline');
  const a = await join({ room, name: 'Ayu', camera: false, mic: false });
  const b = await join({ room, name: 'Bima', camera: false, mic: false });
  await expect(b.page.locator(`.tile[data-peer-id="${a.id}"]`)).toHaveAttribute('data-connection', 'connected');
  await a.page.locator('#btn-chat').click();
  await a.page.locator('#file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await b.page.locator('#btn-chat').click();
  await b.page.locator('.xfer [data-action="decline"]').click();
  await expect(b.page.locator('.xfer')).toHaveAttribute('data-state', 'declined');
  await expect(a.page.locator('.xfer')).toHaveAttribute('data-state', 'declined');
  await expect(a.page.locator('.xfer .xfer-status')).toHaveText('Declined');
});

test('a file sent from a participant\'s tile goes to that participant only', async ({ join }) => {
  const room = roomName('tilefile');
  const a = await join({ room, name: 'Ayu', camera: false, mic: false });
  const b = await join({ room, name: 'Bima', camera: false, mic: false });
  const c = await join({ room, name: 'Citra', camera: false, mic: false });
  for (const p of [b, c]) await expect(a.page.locator(`.tile[data-peer-id="${p.id}"]`)).toHaveAttribute('data-connection', 'connected');
  const bytes = randomBytes(300_000);
  const expected = createHash('sha256').update(bytes).digest('hex');

  // Ayu opens Citra's tile menu and sends her a file (the chat panel stays closed)
  const tile = a.page.locator(`.tile[data-peer-id="${c.id}"]`);
  await tile.hover();
  await tile.locator('.tile-menu-btn').click();
  const [chooser] = await Promise.all([a.page.waitForEvent('filechooser'), tile.locator('.menu .menu-send-file').click()]);
  await chooser.setFiles({ name: 'for-citra.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(a.page.locator('.toast', { hasText: 'Offered to Citra' })).toBeVisible();

  // Citra is asked, Bima is not
  await expect(c.page.locator('.toast', { hasText: 'Ayu wants to send you a file' })).toBeVisible();
  await c.page.locator('#btn-chat').click();
  const inCard = c.page.locator('.xfer[data-direction="in"]');
  await inCard.locator('[data-action="accept"]').click();
  await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  expect(await c.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0].sha256)).toBe(expected);
  await expect(a.page.locator('.xfer[data-direction="out"] .xfer-sub')).toHaveText(/to Citra$/);
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers.length)).toBe(0);
  // our own tile offers no such thing
  const own = a.page.locator('.tile[data-peer-id][data-local="true"]');
  await own.hover();
  await own.locator('.tile-menu-btn').click();
  await expect(own.locator('.menu .menu-send-file')).toHaveCount(0);
});
