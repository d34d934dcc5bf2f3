// Rooms are isolated from each other; receive-only participants; a full room is refused clearly.
import { test, expect, roomName, tile, remoteTiles, expectMediaFrom } from '../helpers.js';
import { startServer } from '../server.js';

test('two rooms at the same time stay isolated', async ({ join }) => {
  const r1 = roomName('iso1');
  const r2 = roomName('iso2');
  const a1 = await join({ room: r1, name: 'Ayu' });
  const a2 = await join({ room: r2, name: 'Agus' });
  const b1 = await join({ room: r1, name: 'Bima' });
  const b2 = await join({ room: r2, name: 'Budi' });
  for (const [p, partner] of [[a1, b1], [b1, a1], [a2, b2], [b2, a2]]) {
    await expect(remoteTiles(p)).toHaveCount(1);
    await expect(tile(p, partner.id)).toBeVisible();
    expect([...(await p.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.keys()]))]).toEqual([partner.id]);
  }
  await expectMediaFrom(a1, [b1]);
  await expectMediaFrom(a2, [b2]);

  await a1.page.locator('body').press('c');
  await a1.page.locator('#chat-input').fill('only for room one');
  await a1.page.locator('#chat-input').press('Enter');
  await b1.page.locator('body').press('m');
  await expect(b1.page.locator('#btn-chat .badge')).toHaveText('1');
  await expect(tile(a1, b1.id)).toHaveAttribute('data-muted', 'true');
  // nothing of that reached room two
  await a2.page.locator('body').press('c');
  await expect(a2.page.locator('.chat-empty')).toBeVisible();
  await expect(b2.page.locator('#btn-chat .badge')).toBeHidden();
  await expect(tile(a2, b2.id)).toHaveAttribute('data-muted', 'false');
  await expect(a2.page.locator('.count')).toHaveText('2');
});

test('receive-only participant sees the others and can turn the microphone on later', async ({ join }) => {
  const room = roomName('recv');
  const a = await join({ room, name: 'Ayu' });
  const b = await join({ room, name: 'Bima' });
  const r = await join({ room, name: 'Rani', receiveOnly: true });
  await expect(remoteTiles(r)).toHaveCount(2);
  await expectMediaFrom(r, [a, b]);
  for (const p of [a, b]) {
    await expect(tile(p, r.id)).toHaveAttribute('data-muted', 'true');
    await expect(tile(p, r.id)).toHaveAttribute('data-camera-off', 'true');
    await expect(tile(p, r.id).locator('.avatar-text')).toHaveText('R');
  }
  await expect(r.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  await expect(r.page.locator('#btn-camera')).toHaveAttribute('aria-pressed', 'false');
  // no device was opened: nothing is sent
  expect(await r.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()]
    .flatMap((pc) => pc.getSenders().map((s) => s.track)).filter(Boolean).length)).toBe(0);

  // later the microphone comes on, without renegotiation, and the others hear it
  await r.page.locator('#btn-mic').click();
  await expect(tile(a, r.id)).toHaveAttribute('data-muted', 'false');
  await expectMediaFrom(a, [r], { video: false });
});

test('a full room is refused with a clear message', async ({ join, browser }) => {
  const server = await startServer(['--max-participants', '2']);
  try {
    const room = roomName('full');
    await join({ room, name: 'Ayu', url: server.url, camera: false });
    await join({ room, name: 'Bima', url: server.url, camera: false });
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${server.url}r/${room}`);
    await page.locator('#name-input').fill('Citra');
    await page.locator('#join-receive-only').click();
    await expect(page.locator('#prejoin-error')).toHaveText(/room is full/);
    await expect(page.locator('#prejoin')).toBeVisible();
    await ctx.close();
  } finally {
    await server.stop();
  }
});

test('landing page creates unguessable rooms and validates names', async ({ page, baseUrl }) => {
  await page.goto(baseUrl);
  await page.locator('#new-meeting').click();
  await expect(page).toHaveURL(/\/r\/[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  const first = new URL(page.url()).pathname;
  await page.goto(baseUrl);
  await page.locator('#new-meeting').click();
  await expect(page).toHaveURL(/\/r\//);
  expect(new URL(page.url()).pathname).not.toBe(first);

  await page.goto(baseUrl);
  await page.locator('#room-input').fill('no spaces allowed');
  await page.locator('#join-room').click();
  await expect(page.locator('#join-error')).toHaveText(/1 to 64/);
  await page.locator('#room-input').fill(`${baseUrl}r/team_standup-2`); // a pasted invite link
  await page.locator('#join-room').click();
  await expect(page).toHaveURL(/\/r\/team_standup-2$/);
  await expect(page.locator('.room-name')).toHaveText('team_standup-2');
  // the name is remembered
  await page.locator('#name-input').fill('Ayu');
  await page.locator('#join-receive-only').click();
  await expect(page.locator('#call')).toBeVisible();
  await page.goto(`${baseUrl}r/another`);
  await expect(page.locator('#name-input')).toHaveValue('Ayu');
});
