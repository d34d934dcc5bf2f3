// Roles and host controls through the web client's own UI: the participant list, removing someone, raised
// hands, muting someone, making someone a viewer (nothing sent) and a participant again, and the automatic
// host hand-over. The server enforces every rule (crates/ruang-server/tests/moderation.rs); these tests
// check what each page shows and does.
import { test, expect, roomName, tile, remoteTiles, expectMediaFrom, personRow, openPeople, shot } from '../helpers.js';

/** @param {import('@playwright/test').Page} page */
const state = (page) => page.evaluate(() => /** @type {any} */ (window).ruang.state);

test('the host removes, bans and ends from the participant list: gone everywhere, and told by whom', async ({ join }) => {
  const room = roomName('remove');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima', camera: false });
  const c = await join({ room, name: 'Citra', camera: false });
  for (const p of [a, b, c]) await expect(remoteTiles(p)).toHaveCount(2);
  expect((await state(a.page)).role).toBe('host');
  expect((await state(b.page)).role).toBe('participant');

  // a participant sees the list, with roles, but no controls
  await openPeople(c);
  await expect(c.page.locator('#people-list .person')).toHaveCount(3);
  await expect(c.page.locator('#people-list .person').first()).toHaveAttribute('data-local', 'true'); // you first
  await expect(personRow(c, a.id).locator('.role-badge')).toHaveText('Host');
  await expect(c.page.locator('#room-mute-all')).toHaveCount(0);
  await expect(c.page.locator('#people-panel .person-more')).toHaveCount(0);
  await expect(c.page.locator('#people-panel button[data-action]')).toHaveCount(0);

  // the host does have them
  await openPeople(a, b.id);
  await expect(a.page.locator('#room-mute-all')).toBeVisible();
  await expect(a.page.locator('#room-end')).toBeVisible();
  await shot(a.page, '10-people-host');
  await personRow(a, b.id).getByRole('button', { name: 'Remove' }).click();

  await expect(b.page.locator('#left')).toHaveAttribute('data-reason', 'removed');
  await expect(b.page.locator('#left h1')).toHaveText('Ayu removed you from the meeting.');
  for (const p of [a, c]) {
    await expect(tile(p, b.id)).toHaveCount(0);
    await expect(remoteTiles(p)).toHaveCount(1);
    await expect(personRow(p, b.id)).toHaveCount(0);
  }
  await expect(c.page.locator('.toast', { hasText: 'Bima was removed from the meeting' })).toBeVisible();
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.peers.size)).toBe(0);

  // removed is not banned: Bima comes back
  await b.page.locator('#rejoin').click();
  await b.page.locator('#join-button').click();
  await expect(b.page.locator('#call')).toBeVisible();
  b.id = (await state(b.page)).you;
  await expect(tile(a, b.id)).toBeVisible();

  // banning asks first; Citra is then out for good (no Rejoin)
  await openPeople(a, c.id);
  await personRow(a, c.id).getByRole('button', { name: 'Ban…' }).click();
  await expect(a.page.locator('#ban-dialog')).toContainText('Ban Citra?');
  await a.page.locator('#ban-dialog-ok').click();
  await expect(c.page.locator('#left')).toHaveAttribute('data-reason', 'banned');
  await expect(c.page.locator('#left h1')).toHaveText('Ayu banned you from the meeting.');
  await expect(c.page.locator('#rejoin')).toHaveCount(0);
  await expect(tile(b, c.id)).toHaveCount(0);

  // ending the meeting asks first, then takes everyone out, the host included
  await a.page.locator('#room-end').click();
  await a.page.locator('#end-dialog-ok').click();
  await expect(b.page.locator('#left')).toHaveAttribute('data-reason', 'ended');
  await expect(b.page.locator('#left h1')).toHaveText('Ayu ended the meeting.');
  await expect(a.page.locator('#left h1')).toHaveText('You ended the meeting for everyone.');
});

test('a raised hand is seen by everyone; the host mutes someone, who alone can unmute', async ({ join }) => {
  const room = roomName('hand');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima', camera: false });
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'false');

  // Bima raises a hand with the shortcut: his button, Ayu's tile and list, and a toast for the host
  await b.page.locator('body').press('h');
  await expect(b.page.locator('#btn-hand')).toHaveAttribute('aria-pressed', 'true');
  await expect(tile(a, b.id)).toHaveAttribute('data-hand', 'true');
  await expect(tile(a, b.id)).toHaveAttribute('aria-label', 'Bima, hand raised');
  await expect(tile(a, b.id).locator('.tile-hand')).toBeVisible();
  await expect(a.page.locator('.toast', { hasText: 'Bima raised a hand' })).toBeVisible();
  await openPeople(a);
  await expect(personRow(a, b.id)).toHaveAttribute('data-hand', 'true');
  await expect(personRow(a, b.id).getByRole('img', { name: 'Hand raised' })).toBeVisible();
  // and lowers it with the button
  await b.page.locator('#btn-hand').click();
  await expect(tile(a, b.id)).toHaveAttribute('data-hand', 'false');
  await expect(personRow(a, b.id)).toHaveAttribute('data-hand', 'false');
  await expect(b.page.locator('#btn-hand')).toHaveAttribute('aria-pressed', 'false');

  // the host mutes Bima: his microphone goes off at once and he is told by whom
  await expect(personRow(a, b.id).getByRole('img', { name: 'Microphone on' })).toBeVisible();
  await a.page.getByRole('button', { name: 'Mute Bima' }).click();
  await expect(b.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  await expect(b.page.locator('.toast', { hasText: 'Ayu muted you' })).toBeVisible();
  expect((await state(b.page)).media.audio).toBe(false);
  expect(await b.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()][0].getSenders()
    .find((/** @type {RTCRtpSender} */ s) => s.track?.kind === 'audio')?.track.enabled)).toBe(false);
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'true');
  await expect(personRow(a, b.id).getByRole('img', { name: 'Microphone off' })).toBeVisible();
  await expect(a.page.getByRole('button', { name: 'Mute Bima' })).toHaveCount(0); // only while the microphone is on
  // only Bima can turn it on again
  await b.page.locator('#btn-mic').click();
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'false');
  // "Mute everyone" does it to everyone but the host
  await a.page.locator('#room-mute-all').click();
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'true');
  await expect(b.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  await expect(a.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'true');
});

test('roles: a viewer sends nothing, becomes a participant again; the last host leaving hands over', async ({ join }) => {
  const room = roomName('roles');
  const a = await join({ room, name: 'Ayu', camera: false });
  const b = await join({ room, name: 'Bima' });
  await expectMediaFrom(a, [b]);

  // Ayu makes Bima a viewer: his media buttons go, his senders stop, the transceivers turn recvonly
  await openPeople(a, b.id);
  await personRow(a, b.id).getByRole('button', { name: 'Make viewer' }).click();
  await expect.poll(async () => (await state(b.page)).role).toBe('viewer');
  await expect(b.page.locator('.toast', { hasText: 'You are now a viewer' })).toBeVisible();
  for (const id of ['#btn-mic', '#btn-camera', '#btn-screen']) await expect(b.page.locator(id)).toBeHidden();
  await expect(personRow(a, b.id).locator('.role-badge')).toHaveText('Viewer');
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'true');
  await expect(tile(a, b.id)).toHaveAttribute('data-camera-off', 'true');
  const sending = () => b.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()].flatMap((pc) => pc.getTransceivers()
    .filter((/** @type {RTCRtpTransceiver} */ t) => t.receiver.track.kind !== 'application')
    .map((/** @type {RTCRtpTransceiver} */ t) => `${t.direction}/${t.currentDirection}/${t.sender.track ? 'track' : 'none'}`)));
  await expect.poll(sending).toEqual(Array(3).fill('recvonly/recvonly/none')); // (audio, camera, screen)
  expect((await state(b.page)).media).toEqual({ audio: false, video: false, screen: false });
  // the shortcuts do nothing either, and he still receives Ayu
  await b.page.locator('body').press('m');
  expect((await state(b.page)).media.audio).toBe(false);
  await expectMediaFrom(b, [a], { video: false });

  // back to participant: he may turn his microphone on, and Ayu hears him
  await personRow(a, b.id).getByRole('button', { name: 'Make participant' }).click();
  await expect(b.page.locator('#btn-mic')).toBeVisible();
  await expect(b.page.locator('#btn-mic')).toHaveAttribute('aria-pressed', 'false');
  await b.page.locator('#btn-mic').click();
  await expect(tile(a, b.id)).toHaveAttribute('data-muted', 'false');
  await expectMediaFrom(a, [b], { video: false });

  // the only host leaves: the server makes Bima host, and his page says so and gives him the controls
  await a.page.locator('#btn-leave').click();
  await expect(b.page.locator('.toast', { hasText: 'You are now the host' })).toBeVisible();
  expect((await state(b.page)).role).toBe('host');
  await openPeople(b);
  await expect(b.page.locator('#room-end')).toBeVisible();
  await expect(personRow(b, b.id).locator('.role-badge')).toHaveText('Host');
});
