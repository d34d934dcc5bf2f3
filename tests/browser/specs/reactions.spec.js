// Reactions: chosen beside the raised hand (mouse and keyboard), shown over the sender's tile on every page
// and announced politely; a viewer may react too. The server's rules (fixed set, rate) are tested in
// crates/ruang-server/tests/reactions.rs.
import { test, expect, roomName, tile, openPeople, personRow, shot } from '../helpers.js';

test('a reaction shows over the sender\'s tile on every page, from a participant and from a viewer', async ({ join }) => {
  const room = roomName('react');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima', camera: false });

  // Bima picks 👏 with the mouse: Ayu's page shows it over Bima's tile, and says so to a screen reader
  await b.page.locator('#btn-react').click();
  await expect(b.page.locator('#btn-react')).toHaveAttribute('aria-expanded', 'true');
  await expect(b.page.locator('#reaction-menu button')).toHaveCount(6);
  await b.page.getByRole('button', { name: 'Applause' }).click();
  await expect(tile(a, b.id).locator('.tile-reaction[data-emoji="👏"]')).toBeVisible();
  await expect(a.page.locator('#reaction-announcer')).toHaveText('Bima reacted: Applause');
  await expect(a.page.locator('#reaction-announcer')).toHaveAttribute('aria-live', 'polite');
  // the sender sees its own, over its own tile; nothing shows over anyone else's
  await expect(tile(b, b.id).locator('.tile-reaction[data-emoji="👏"]')).toBeVisible();
  await expect(b.page.locator('#reaction-announcer')).toHaveText('You reacted: Applause');
  await expect(tile(a, a.id).locator('.tile-reaction')).toHaveCount(0);
  await shot(a.page, 'reaction-over-tile');

  // the menu stays open for another; Esc closes it and gives the focus back to the button
  await b.page.keyboard.press('Escape');
  await expect(b.page.locator('#reaction-menu')).toBeHidden();
  await expect(b.page.locator('#btn-react')).toBeFocused();

  // keyboard only: Enter opens on the first emoji, arrows move, Enter sends 🎉 (the last one, by End)
  await b.page.keyboard.press('Enter');
  await expect(b.page.getByRole('button', { name: 'Thumbs up' })).toBeFocused();
  await b.page.keyboard.press('End');
  await expect(b.page.getByRole('button', { name: 'Celebrate' })).toBeFocused();
  await b.page.keyboard.press('Enter');
  await expect(tile(a, b.id).locator('.tile-reaction[data-emoji="🎉"]')).toBeVisible();
  await b.page.keyboard.press('Escape');

  // a reaction goes away by itself after a few seconds
  await expect(tile(a, b.id).locator('.tile-reaction')).toHaveCount(0, { timeout: 10_000 });

  // Ayu makes Bima a viewer: viewers react too
  await openPeople(a, b.id);
  await personRow(a, b.id).getByRole('button', { name: 'Make viewer' }).click();
  await expect.poll(async () => (await b.page.evaluate(() => /** @type {any} */ (window).ruang.state)).role).toBe('viewer');
  await b.page.locator('#btn-react').click();
  await b.page.getByRole('button', { name: 'Heart' }).click();
  await expect(tile(a, b.id).locator('.tile-reaction[data-emoji="❤️"]')).toBeVisible();
  await expect(a.page.locator('#reaction-announcer')).toHaveText('Bima reacted: Heart');
});
