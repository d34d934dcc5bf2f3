// File-transfer throughput on loopback, terminal → page beside page → page: the same SIZE_MB file (default
// 40) sent by `ruang send` to a Chromium page, and by one page to another, alternately, RUNS times each
// (default 3). Time is the receiving page's own, as in file-transfer.bench.js: from its first chunk (state
// `receiving`) until the file is verified. The pages keep camera and microphone off.
//
// Run: cd tests/browser && RUANG_BIN=../../target/release/ruang ./netns.sh npx playwright test -c bench/terminal-transfer.config.js
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RUANG_BIN, startServer } from '../server.js';
import { roomName } from '../helpers.js';

const RUNS = Number(process.env.RUNS || 3);
const SIZE_MB = Number(process.env.SIZE_MB || 40); // (Playwright passes a page at most 50 MB of buffer)

/** @param {import('@playwright/test').Browser} browser @param {string} url @param {string} name */
async function joinPage(browser, url, name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('#name-input').fill(name);
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  await page.locator('#prejoin-camera').click();
  await page.locator('#prejoin-mic').click();
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  return { page, context };
}

/** Accept the incoming file on `page`; the receiver's MB/s once it is verified. */
async function receive(/** @type {import('@playwright/test').Page} */ page, /** @type {string} */ expected) {
  await expect(page.locator('.toast', { hasText: 'wants to send you a file' })).toBeVisible({ timeout: 30_000 });
  await page.locator('#btn-chat').click();
  const inCard = page.locator('.xfer[data-direction="in"]');
  await inCard.locator('[data-action="accept"]').click();
  await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  const got = await page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers[0]);
  expect(got.sha256).toBe(expected);
  return (SIZE_MB * 1024 * 1024) / ((got.finishedAt - got.startedAt) / 1000) / 1e6;
}

test('file transfer throughput, terminal → page beside page → page', async ({ browser }) => {
  const server = await startServer([]);
  const dir = await mkdtemp(path.join(tmpdir(), 'ruang-bench-'));
  try {
    /** @type {number[]} */ const terminal = [];
    /** @type {number[]} */ const pages = [];
    for (let run = 0; run < RUNS; run++) {
      const bytes = randomBytes(SIZE_MB * 1024 * 1024);
      const expected = createHash('sha256').update(bytes).digest('hex');
      const file = path.join(dir, 'bench.bin');
      await writeFile(file, bytes);

      // terminal → page
      const url = `${server.url}r/${roomName('tbench')}`;
      const b = await joinPage(browser, url, 'Bima');
      const child = spawn(RUANG_BIN, ['send', file, '--to', url, '--name', 'Terminal'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      terminal.push(await receive(b.page, expected));
      expect(await exited).toBe(0);
      await b.context.close();

      // page → page
      const url2 = `${server.url}r/${roomName('pbench')}`;
      const a = await joinPage(browser, url2, 'Ayu');
      const c = await joinPage(browser, url2, 'Citra');
      await a.page.locator('#btn-chat').click();
      await a.page.locator('#file-input').setInputFiles({ name: 'bench.bin', mimeType: 'application/octet-stream', buffer: bytes });
      pages.push(await receive(c.page, expected));
      await Promise.all([a.context.close(), c.context.close()]);
      console.log(`run ${run + 1}: terminal → page ${terminal.at(-1)?.toFixed(1)} MB/s, page → page ${pages.at(-1)?.toFixed(1)} MB/s`);
    }
    const median = (/** @type {number[]} */ xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    console.log(`${SIZE_MB} MB, ${RUNS} runs: median terminal → page ${median(terminal).toFixed(1)} MB/s, page → page ${median(pages).toFixed(1)} MB/s`);
  } finally {
    await server.stop();
  }
});
