// Accessibility: axe-core (WCAG 2.1 A/AA rules) finds no violations on the main screens (the lobby, the
// password prompt and the left screens are checked in lobby.spec.js and access.spec.js).
import { test, expect, roomName, expectNoViolations, openPeople } from '../helpers.js';

test('landing, pre-join, connection test and call screens have no axe violations', async ({ page, baseUrl, join }) => {
  await page.goto(baseUrl);
  await expect(page.locator('#new-meeting')).toBeVisible();
  await expectNoViolations(page, 'landing');

  const room = roomName('a11y');
  await page.goto(`${baseUrl}r/${room}`);
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  await expectNoViolations(page, 'pre-join');

  await page.goto(`${baseUrl}check?room=${room}`);
  await expect(page.locator('#check')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  await expectNoViolations(page, 'connection test');

  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima', camera: false });
  await expect(a.page.locator('.tile')).toHaveCount(2);
  await expectNoViolations(a.page, 'call');
  await a.page.locator('#btn-chat').click();
  await a.page.locator('#chat-input').fill('hello');
  await a.page.locator('#chat-input').press('Enter');
  await expect(a.page.locator('.msg-text')).toHaveText(['hello']);
  await expectNoViolations(a.page, 'call with chat');
  await a.page.locator('#chat-input').press('Escape');
  await a.page.locator('body').press('?');
  await expectNoViolations(a.page, 'help dialog');
  await a.page.keyboard.press('Escape');
  await expect(a.page.locator('#help-dialog')).toBeHidden();

  // the participant list as the host sees it (room controls, a participant's controls, a raised hand)
  await b.page.locator('body').press('h');
  await expect(a.page.locator(`.tile[data-peer-id="${b.id}"]`)).toHaveAttribute('data-hand', 'true');
  await openPeople(a, b.id);
  await expectNoViolations(a.page, 'participant list (host)');
  await a.page.locator(`#people-list .person[data-peer-id="${b.id}"]`).getByRole('button', { name: 'Ban…' }).click();
  await expect(a.page.locator('#ban-dialog')).toBeVisible();
  await expect(a.page.locator('#ban-dialog-cancel')).toBeFocused();
  await expectNoViolations(a.page, 'ban confirmation');
  await a.page.keyboard.press('Escape');
  await expect(a.page.locator('#ban-dialog')).toHaveCount(0);
  await expect(a.page.locator('.tile')).toHaveCount(2); // nobody was banned
  // and as a participant sees it
  await openPeople(b);
  await expectNoViolations(b.page, 'participant list (participant)');
});
