// Chat: order, history for late joiners, unread badge, and peer text is only ever text.
import { test, expect, roomName } from '../helpers.js';

test('chat arrives in order, history shows for a late joiner, markup stays text', async ({ join }) => {
  const room = roomName('chat');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima', camera: false });

  // Bima sends without opening the panel via the keyboard shortcut C, then Enter
  await b.page.locator('body').press('c');
  await expect(b.page.locator('#chat-input')).toBeFocused();
  const sent = ['one', 'two', 'three', 'four', 'five'];
  for (const text of sent) {
    await b.page.locator('#chat-input').fill(text);
    await b.page.locator('#chat-input').press('Enter');
  }
  // Ayu has the panel closed: an unread badge counts them
  await expect(a.page.locator('#btn-chat .badge')).toHaveText('5');
  await expect(a.page.locator('#btn-chat')).toHaveAttribute('aria-label', /5 unread/);
  await a.page.locator('#btn-chat').click();
  await expect(a.page.locator('#btn-chat .badge')).toBeHidden();
  await expect(a.page.locator('.msg-text')).toHaveText(sent);
  await expect(b.page.locator('.msg-text')).toHaveText(sent); // the sender sees its own, as echoed
  await expect(a.page.locator('.msg-name').first()).toHaveText('Bima');
  await expect(b.page.locator('.msg-name').first()).toHaveText('You');
  await expect(a.page.locator('.msg-time').first()).toHaveText(/\d/);

  // markup in a message is shown literally and never becomes elements
  const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & <b>bold</b>';
  await a.page.locator('#chat-input').fill(evil);
  await a.page.locator('#chat-input').press('Enter');
  // interleave: Bima answers right after
  await b.page.locator('#chat-input').fill('reply');
  await b.page.locator('#chat-input').press('Enter');
  for (const p of [a, b]) {
    await expect(p.page.locator('.msg-text')).toHaveText([...sent, evil, 'reply']);
    expect(await p.page.evaluate(() => ({
      scripts: document.querySelectorAll('.chat script, .chat img, .chat b').length,
      pwned: /** @type {any} */ (window).__pwned ?? null,
    }))).toEqual({ scripts: 0, pwned: null });
  }

  // a late joiner gets the history, oldest first, with names
  const c = await join({ room, name: 'Citra', camera: false });
  await c.page.locator('#btn-chat').click();
  await expect(c.page.locator('.msg-text')).toHaveText([...sent, evil, 'reply']);
  await expect(c.page.locator('.msg:not(.grouped) .msg-name')).toHaveText(['Bima', 'Ayu', 'Bima']);
  expect(await c.page.evaluate(() => document.querySelectorAll('.chat script, .chat img').length)).toBe(0);
  // history does not count as unread
  await c.page.locator('#btn-chat').click();
  await expect(c.page.locator('#btn-chat .badge')).toBeHidden();

  // display names are text too
  const d = await join({ room, name: '<i>Dewi</i>', camera: false });
  await expect(a.page.locator(`.tile[data-peer-id="${d.id}"] .tile-name`)).toHaveText('<i>Dewi</i>');
  expect(await a.page.evaluate(() => document.querySelectorAll('.tile i').length)).toBe(0);
});
