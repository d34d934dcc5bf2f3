// Screenshots of the main states, written to artifacts/ (landing, pre-join, in-call grid, chat, phone).
import { test, expect, roomName, remoteTiles, expectMediaFrom, shot } from '../helpers.js';

test('screenshots of the main states', async ({ browser, baseUrl, join }) => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const page = await ctx.newPage();
  /** @type {string[]} */
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(baseUrl);
  await expect(page.locator('#new-meeting')).toBeVisible();
  await shot(page, '01-landing');
  await page.locator('#new-meeting').click();
  await expect(page).toHaveURL(/\/r\/[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  const room = new URL(page.url()).pathname.slice(3);
  await page.locator('#name-input').fill('Ayu Lestari');
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  await shot(page, '02-prejoin');
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  const a = { page, context: ctx, name: 'Ayu', id: await page.evaluate(() => window.ruang.state.you) };

  const b = await join({ room, name: 'Bima Sakti' });
  const c = await join({ room, name: 'Citra', camera: false });
  await expect(remoteTiles(a)).toHaveCount(2);
  await expectMediaFrom(a, [b], { audio: false });
  await b.page.locator('#btn-chat').click();
  await b.page.locator('#chat-input').fill('Hello from Bima! <b>not bold</b>');
  await b.page.keyboard.press('Enter');
  await expect(a.page.locator('#btn-chat .badge')).toHaveText('1');
  await shot(a.page, '03-call-grid');
  await a.page.locator('#btn-chat').click();
  await expect(a.page.locator('.msg-text').last()).toHaveText('Hello from Bima! <b>not bold</b>');
  await shot(a.page, '04-chat-open');

  const phone = await join({ room, name: 'Dewi', viewport: { width: 390, height: 780 } });
  await expect(remoteTiles(phone)).toHaveCount(3);
  await expectMediaFrom(phone, [a, b], { audio: false });
  await shot(phone.page, '05-phone');
  await phone.page.locator('#btn-chat').click();
  await shot(phone.page, '06-phone-chat');

  // screen share and a file offer, seen by Ayu; then the shortcut help
  await b.page.locator('#btn-screen').click();
  await expect(a.page.locator(`.tile[data-peer-id="${b.id}"]`)).toHaveAttribute('data-screen', 'true');
  await b.page.locator('#file-input').setInputFiles({ name: 'design-notes.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(2_500_000, 1) });
  await expect(a.page.locator('.xfer[data-state="incoming"]')).toHaveCount(1);
  await shot(a.page, '07-screen-share-file-offer');
  await expect(phone.page.locator('#grid')).toHaveClass(/spotlight/);
  await phone.page.locator('#chat-input').press('Escape');
  await shot(phone.page, '09-phone-screen-share');
  // the participant list fits a phone too, and so does the control bar
  await phone.page.locator('#btn-people').click();
  await expect(phone.page.locator('#people-panel')).toBeVisible();
  expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await phone.page.evaluate(() => Math.max(...[...document.querySelectorAll('.controls .ctl')]
    .filter((b) => b.getBoundingClientRect().width > 0).map((b) => b.getBoundingClientRect().right)))).toBeLessThanOrEqual(390);
  await shot(phone.page, '13-phone-people');
  await phone.page.keyboard.press('Escape');
  await expect(phone.page.locator('#people-panel')).toBeHidden();
  await a.page.locator('#chat-input').press('Escape');
  await a.page.locator('body').press('?');
  await expect(a.page.locator('#help-dialog')).toBeVisible();
  await shot(a.page, '08-help');
  // everything the page loaded came from the ruang server itself (or is a local blob/data URL)
  const origin = new URL(baseUrl).origin;
  expect(requests.length).toBeGreaterThan(5);
  expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  await ctx.close();
});
