// File-transfer throughput between two Chromium pages of one call on loopback: a SIZE_MB file (default 40)
// offered from one page's chat and accepted on the other, RUNS times (default 3). Time is the receiver's own:
// from its first chunk (state `receiving`) until the file is verified (its SHA-256 matched) — what the
// progress bar shows. Also the sender's view, from `begin` until the receiver's `ok` arrived. MEDIA=1 keeps
// camera and microphone on (the media shares the connection with the data channel); CHUNK_KB=n changes the
// chunk size.
//
// Run: cd tests/browser && RUANG_BIN=../../target/release/ruang ./netns.sh npx playwright test -c bench/file-transfer.config.js
import { test, expect } from '@playwright/test';
import { randomBytes, createHash } from 'node:crypto';
import { startServer } from '../server.js';
import { roomName } from '../helpers.js';

const RUNS = Number(process.env.RUNS || 3);
const SIZE_MB = Number(process.env.SIZE_MB || 40); // (Playwright passes a page at most 50 MB of file)
/** MEDIA=1: both pages keep camera and microphone on during the transfer (media shares the connection). */
const MEDIA = process.env.MEDIA === '1';
/** CHUNK_KB=n: the pages' files.js sends chunks of n KiB instead of its own size (an experiment knob). */
const CHUNK_KB = Number(process.env.CHUNK_KB || 0);

/** @param {import('@playwright/test').Browser} browser @param {string} url @param {string} name */
async function joinPage(browser, url, name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (CHUNK_KB) {
    await page.route('**/js/files.js', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/^const MAX_CHUNK = .*$/m, `const MAX_CHUNK = ${CHUNK_KB} * 1024;`);
      await route.fulfill({ response, body });
    });
  }
  await page.goto(url);
  await page.locator('#name-input').fill(name);
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  if (!MEDIA) {
    await page.locator('#prejoin-camera').click();
    await page.locator('#prejoin-mic').click();
  }
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  return { page, context };
}

test('file transfer throughput, page to page', async ({ browser }) => {
  const server = await startServer([]);
  try {
    /** @type {number[]} */ const receiver = [];
    /** @type {number[]} */ const sender = [];
    for (let run = 0; run < RUNS; run++) {
      const url = `${server.url}r/${roomName('xfer')}`;
      const a = await joinPage(browser, url, 'Ayu');
      const b = await joinPage(browser, url, 'Bima');
      await expect(b.page.locator('.tile[data-peer-id]:not([data-local="true"])')).toHaveAttribute('data-connection', 'connected');
      const bytes = randomBytes(SIZE_MB * 1024 * 1024);
      const expected = createHash('sha256').update(bytes).digest('hex');
      await a.page.locator('#btn-chat').click();
      await a.page.locator('#file-input').setInputFiles({ name: 'bench.bin', mimeType: 'application/octet-stream', buffer: bytes });
      await b.page.locator('#btn-chat').click();
      const inCard = b.page.locator('.xfer[data-direction="in"]');
      await inCard.locator('[data-action="accept"]').click();
      await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
      await expect(a.page.locator('.xfer[data-direction="out"]')).toHaveAttribute('data-state', 'done');
      const got = await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0]);
      const sent = await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0]);
      expect(got.sha256).toBe(expected);
      const mbps = (/** @type {number} */ ms) => (SIZE_MB * 1024 * 1024) / (ms / 1000) / 1e6;
      receiver.push(mbps(got.finishedAt - got.startedAt));
      sender.push(mbps(sent.finishedAt - sent.startedAt));
      console.log(`run ${run + 1}: receiver ${receiver.at(-1)?.toFixed(1)} MB/s, sender ${sender.at(-1)?.toFixed(1)} MB/s`);
      await Promise.all([a.context.close(), b.context.close()]);
    }
    const median = (/** @type {number[]} */ xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    console.log(`${SIZE_MB} MB, ${RUNS} runs: median receiver ${median(receiver).toFixed(1)} MB/s, sender ${median(sender).toFixed(1)} MB/s`);
  } finally {
    await server.stop();
  }
});
