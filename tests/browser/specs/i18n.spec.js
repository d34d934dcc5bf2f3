// Indonesian and English (issue 16, item 7): a browser whose language is Indonesian gets the Indonesian
// page (pre-join and call, <html lang="id">); the More menu switches the call to English live (labels the
// page drew before, and what it draws after) and the choice outlives a reload; an English browser gets
// English, and the start page's switch changes it live too.
import path from 'node:path';
import { test, expect, expectNoViolations, roomName, tile, ARTIFACTS } from '../helpers.js';

test('an Indonesian browser gets the Indonesian page; switching to English is live and remembered', async ({ join }) => {
  const room = roomName('bahasa');
  const b = await join({ room, name: 'Bima', camera: false });
  /** @type {string[]} */
  const prejoin = [];
  const a = await join({
    room, name: 'Ayu', locale: 'id-ID',
    beforeJoin: async (page) => {
      await expect(page.locator('html')).toHaveAttribute('lang', 'id');
      await expect(page.getByRole('heading', { name: 'Siap bergabung?' })).toBeVisible();
      await expect(page.getByLabel('Nama Anda')).toHaveValue('Ayu');
      await expect(page.getByRole('button', { name: 'Bisukan mikrofon' })).toBeVisible();
      await expect(page.locator('#lang-switch')).toHaveValue('id');
      prejoin.push(await page.locator('#join-button').innerText());
      await page.screenshot({ path: path.join(ARTIFACTS, 'i18n-prejoin-id.png') });
      await expectNoViolations(page, 'pre-join in Indonesian');
    },
  });
  expect(prejoin).toEqual(['Gabung sekarang']);
  const page = a.page;
  // the call in Indonesian: the mute button's accessible name, its tooltip, leave, the count, our own tile
  await expect(page.getByRole('button', { name: 'Mikrofon', exact: true })).toHaveAttribute('title', 'Bisukan mikrofon (M)');
  await expect(page.getByRole('button', { name: 'Kamera', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Keluar dari rapat' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Angkat tangan' })).toBeVisible();
  await expect(page.locator('.count')).toHaveAttribute('aria-label', '2 peserta');
  await expect(tile(a, a.id)).toHaveAttribute('aria-label', 'Ayu (Anda)');
  await page.getByRole('button', { name: 'Obrolan (C)' }).click();
  await expect(page.getByRole('textbox', { name: 'Pesan' })).toHaveAttribute('placeholder', 'Kirim pesan ke semua');
  await page.keyboard.press('Escape');
  // a toast in Indonesian for what a peer does (the peer's name put in as text)
  await b.page.locator('#btn-hand').click();
  await expect(tile(a, b.id)).toHaveAttribute('aria-label', 'Bima, mengangkat tangan');
  await expectNoViolations(page, 'call in Indonesian');
  await page.screenshot({ path: path.join(ARTIFACTS, 'i18n-call-id.png') });

  // More → English: everything already drawn changes at once
  await page.getByRole('button', { name: 'Opsi lainnya' }).click();
  await page.getByRole('menuitemradio', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('button', { name: 'Microphone', exact: true })).toHaveAttribute('title', 'Turn off microphone (M)');
  await expect(page.getByRole('button', { name: 'Leave the meeting' })).toBeVisible();
  await expect(page.locator('.count')).toHaveAttribute('aria-label', '2 participants');
  await expect(tile(a, a.id)).toHaveAttribute('aria-label', 'Ayu (you)');
  await expect(tile(a, b.id)).toHaveAttribute('aria-label', 'Bima, hand raised');
  // (the chat panel is closed: hidden, it changed too)
  await expect(page.locator('#chat-input')).toHaveAttribute('aria-label', 'Message');
  await expect(page.locator('#chat-input')).toHaveAttribute('placeholder', 'Message everyone');
  await expect(page.getByRole('button', { name: 'Mikrofon', exact: true })).toHaveCount(0);
  // and what is drawn afterwards
  await page.locator('#btn-mic').click();
  await expect(page.locator('#btn-mic')).toHaveAttribute('title', 'Turn on microphone (M)');
  await page.getByRole('button', { name: 'More options' }).click();
  await expect(page.getByRole('menuitemradio', { name: 'English' })).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByRole('menuitemradio', { name: 'Grid view' })).toBeVisible();
  await page.keyboard.press('Escape');

  // a reload keeps English, though the browser still asks for Indonesian
  expect(await page.evaluate(() => navigator.language)).toBe('id-ID');
  await page.reload();
  await expect(page.locator('#prejoin')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('#join-button')).toHaveText('Join now');
  await expect(page.getByLabel('Your name')).toBeVisible();
  await expect(page.locator('#lang-switch')).toHaveValue('en');
  // and back to Indonesian from the pre-join screen's switch, live
  await page.getByLabel('Language').selectOption('id');
  await expect(page.locator('#join-button')).toHaveText('Gabung sekarang');
  await expect(page.locator('html')).toHaveAttribute('lang', 'id');
  await expect(page.getByLabel('Bahasa')).toHaveValue('id');
});

test('an English browser gets English; the start page switches language live', async ({ browser, baseUrl }) => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await page.goto(baseUrl);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('button', { name: 'New meeting' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Test my connection' })).toBeVisible();
    await page.getByLabel('Language').selectOption('id');
    await expect(page.getByRole('button', { name: 'Rapat baru' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Uji koneksi saya' })).toBeVisible();
    await expect(page.locator('#room-input')).toHaveAttribute('placeholder', 'Nama ruangan atau tautan undangan');
    await expect(page.locator('html')).toHaveAttribute('lang', 'id');
    await expectNoViolations(page, 'start page in Indonesian');
    // a bad room name is explained in the language shown
    await page.locator('#room-input').fill('no spaces please');
    await page.locator('#join-room').click();
    await expect(page.locator('#join-error')).toContainText('Nama ruangan terdiri dari');
  } finally {
    await context.close();
  }
});
