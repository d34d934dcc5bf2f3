// The lobby, both sides, through the UI: the host turns it on; a newcomer waits on the waiting screen; the
// host sees the notice (and the participant list) and admits them into the call; a second newcomer is
// turned away and told so; a third gives up waiting by itself.
import { test, expect, roomName, tile, remoteTiles, expectMediaFrom, expectNoViolations, openPeople, shot } from '../helpers.js';

test('lobby: the host admits one newcomer and denies another', async ({ join }) => {
  const room = roomName('lobby');
  const a = await join({ room, name: 'Ayu' });
  await openPeople(a);
  await a.page.locator('#room-lobby').click();
  await expect(a.page.locator('#room-lobby')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => a.page.evaluate(() => /** @type {any} */ (window).ruang.state.lobby)).toBe(true);
  await a.page.locator('#btn-people').click(); // closed again: the notice must do on its own
  await expect(a.page.locator('#people-panel')).toBeHidden();

  // Citra knocks and waits
  const c = await join({ room, name: 'Citra', until: 'waiting' });
  await expect(c.page.locator('#waiting h1')).toHaveText('Waiting for the host to let you in');
  expect(await c.page.evaluate(() => /** @type {any} */ (window).ruang.state.view)).toBe('waiting');
  await expectNoViolations(c.page, 'waiting screen');
  await shot(c.page, '11-lobby-waiting');

  // Ayu is told, and sees her in the notice
  await expect(a.page.locator('.toast', { hasText: 'Citra is waiting to join' })).toBeVisible();
  const notice = a.page.locator('#lobby-notice');
  await expect(notice).toBeVisible();
  await expect(notice.locator('.lobby-name')).toHaveText(['Citra']);
  await expect(a.page.locator('#btn-people .badge')).toHaveText('1');
  expect((await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.waiting)).map((/** @type {any} */ w) => w.name)).toEqual(['Citra']);
  await expectNoViolations(a.page, 'lobby notice');
  await shot(a.page, '12-lobby-notice');
  // keyboard reachable: right after the header's Invite button comes Admit, before the video grid
  await a.page.locator('#call-copy-link').focus();
  await a.page.keyboard.press('Tab');
  await expect(notice.getByRole('button', { name: 'Admit Citra' })).toBeFocused();
  await a.page.keyboard.press('Enter');

  // Citra is in the call: tiles on both sides, video decoded both ways
  await expect(c.page.locator('#call')).toBeVisible();
  c.id = await c.page.evaluate(() => /** @type {any} */ (window).ruang.state.you);
  await expect(remoteTiles(c)).toHaveCount(1);
  await expect(tile(c, a.id)).toBeVisible();
  await expect(tile(a, c.id)).toBeVisible();
  await expectMediaFrom(a, [c]);
  await expectMediaFrom(c, [a]);
  await expect(notice).toBeHidden();
  await expect(a.page.locator('#btn-people .badge')).toBeHidden();

  // Dewi knocks; Ayu turns her away from the participant list
  const d = await join({ room, name: 'Dewi', camera: false, until: 'waiting' });
  await expect(notice.locator('.lobby-name')).toHaveText(['Dewi']);
  await openPeople(a);
  await a.page.locator('#people-panel').getByRole('button', { name: 'Deny Dewi' }).click();
  await expect(d.page.locator('#left')).toHaveAttribute('data-reason', 'denied');
  await expect(d.page.locator('#left h1')).toHaveText('You were not let in.');
  await expectNoViolations(d.page, 'left screen (denied)');
  await expect(notice).toBeHidden();
  await expect(remoteTiles(a)).toHaveCount(1);
  await expect(remoteTiles(c)).toHaveCount(1);

  // Eko gives up waiting: he leaves the screen and Ayu's list
  const e = await join({ room, name: 'Eko', camera: false, mic: false, until: 'waiting' });
  await expect(notice.locator('.lobby-name')).toHaveText(['Eko']);
  await e.page.locator('#leave-lobby').click();
  await expect(e.page.locator('#left')).toHaveAttribute('data-reason', 'cancelled');
  await expect(notice).toBeHidden();
  await expect(remoteTiles(a)).toHaveCount(1);
});
