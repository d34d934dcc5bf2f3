// Leaving by the button and by closing the tab removes the tile (and the peer connection) everywhere.
import { test, expect, roomName, tile, remoteTiles } from '../helpers.js';

test('leave button and closing the tab remove the participant everywhere', async ({ join }) => {
  const room = roomName('leave');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  const c = await join({ room, name: 'Citra' });
  for (const p of [a, b, c]) await expect(remoteTiles(p)).toHaveCount(2);
  await expect(tile(a, b.id)).toHaveAttribute('data-connection', 'connected');

  // by the button
  await b.page.locator('#btn-leave').click();
  await expect(b.page.locator('#left')).toBeVisible();
  await expect(b.page.locator('#rejoin')).toBeFocused();
  for (const p of [a, c]) {
    await expect(tile(p, b.id)).toHaveCount(0);
    await expect(remoteTiles(p)).toHaveCount(1);
    await expect(p.page.locator('.toast', { hasText: 'Bima left' })).toBeVisible();
    expect(await p.page.evaluate((id) => /** @type {any} */ (window).ruang.peers.has(id), b.id)).toBe(false);
  }
  // b's own media and connections are released
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.peers.size)).toBe(0);

  // by closing the tab
  await c.page.close();
  await expect(tile(a, c.id)).toHaveCount(0);
  await expect(remoteTiles(a)).toHaveCount(0);
  expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.peers.size)).toBe(0);
  await expect(a.page.locator('.count')).toHaveText('1');
});
