// Recording in the browser: a host records the meeting (the tiles composited on a canvas, everyone's audio
// mixed) and gets a WebM download when it stops; everyone sees the "Recording" indicator, a late joiner
// too, and it goes when the recording stops or the recorder leaves. The server's rules are tested in
// crates/ruang-server/tests/recording.rs.
import fs from 'node:fs';
import { test, expect, roomName, shot } from '../helpers.js';

test('a host records to a WebM download; everyone sees the indicator, late joiners too; it ends when the host leaves', async ({ join }) => {
  const room = roomName('rec');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  const indicator = (/** @type {{ page: import('@playwright/test').Page }} */ p) => p.page.locator('#recording-indicator');

  // only hosts and moderators get the button
  await expect(b.page.locator('#btn-record')).toBeHidden();
  await expect(a.page.locator('#btn-record')).toBeVisible();
  await expect(indicator(b)).toBeHidden();

  await a.page.locator('#btn-record').click();
  await expect(a.page.locator('#btn-record')).toHaveAttribute('aria-pressed', 'true');
  await expect(indicator(a)).toHaveText('You are recording this meeting');
  await expect(indicator(b)).toHaveText('Ayu is recording this meeting');
  await expect(indicator(b)).toHaveAttribute('role', 'status');
  await expect(indicator(b)).toHaveAttribute('data-recorder', a.id);
  const c = await join({ room, name: 'Citra', camera: false });
  await expect(indicator(c)).toHaveText('Ayu is recording this meeting');
  await shot(c.page, 'recording-indicator');

  // record a little longer, then stop: the download is a WebM file (EBML magic) with video and audio
  await a.page.waitForTimeout(2500);
  const downloading = a.page.waitForEvent('download');
  await a.page.locator('#btn-record').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^ruang-${room}-\\d{4}-\\d{2}-\\d{2}-\\d{4}\\.webm$`));
  const bytes = fs.readFileSync(/** @type {string} */ (await download.path()));
  expect([...bytes.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
  expect(bytes.length).toBeGreaterThan(10_000);
  const text = bytes.toString('latin1');
  expect(text).toContain('V_VP8');
  expect(text).toContain('A_OPUS');
  for (const p of [a, b, c]) await expect(indicator(p)).toBeHidden();
  await expect(a.page.locator('#btn-record')).toHaveAttribute('aria-pressed', 'false');

  // again, and the host leaves: the server clears it for everyone
  await a.page.locator('#btn-record').click();
  await expect(indicator(b)).toBeVisible();
  await expect(indicator(c)).toBeVisible();
  await a.page.locator('#btn-leave').click();
  for (const p of [b, c]) await expect(indicator(p)).toBeHidden();
});
