// When the signaling server goes away, the page says so clearly, and calls already running keep going.
import { test, expect, roomName, remoteTiles, expectMediaFrom } from '../helpers.js';
import { startServer } from '../server.js';

test('server stop: clear banner, peer-to-peer media keeps flowing', async ({ join }) => {
  const server = await startServer(['--shutdown-grace-ms', '1000']);
  try {
    const room = roomName('loss');
    const a = await join({ room, name: 'Ayu', url: server.url });
    const b = await join({ room, name: 'Bima', url: server.url });
    await expectMediaFrom(a, [b]);
    await server.stop();
    for (const p of [a, b]) {
      await expect(p.page.locator('.banner')).toBeVisible();
      await expect(p.page.locator('.banner')).toContainText(/server/i);
      await expect(p.page.locator('.banner button', { hasText: 'Reload' })).toBeVisible();
      await expect(p.page.locator('#chat-input')).toBeDisabled();
      await expect(remoteTiles(p)).toHaveCount(1);
    }
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    // with no server to say so, a participant closing the tab is noticed from the connection itself
    await b.page.close();
    await expect(remoteTiles(a)).toHaveCount(0, { timeout: 30_000 });
    await expect(a.page.locator('.toast', { hasText: 'Bima disconnected' })).toBeVisible();
  } finally {
    await server.stop();
  }
});
