// The host password on the pre-join screen (issue 16, item 6), on a server whose room has a participant
// password and a host password (a TOML file): the first one in through the participant password is not
// host; "I am the host" with a wrong host password comes back with the error on that field and the rest of
// the form kept; with the right one the page is host (host controls shown), the participant is not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, expectNoViolations, openPeople, personRow, ARTIFACTS } from '../helpers.js';
import { startServer, RUANG_BIN } from '../server.js';

const PASSWORD = 'everyone knows';
const HOST_PASSWORD = 'chair only';

/** @type {import('../server.js').Server} */
let server;
/** @type {string} */
let dir;

/** @param {string} secret */
const hashOf = (secret) => execFileSync(RUANG_BIN, ['hash-password'], { input: secret, encoding: 'utf8' }).trim();

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ruang-host-'));
  const config = path.join(dir, 'ruang.toml');
  writeFileSync(config, [
    '[rooms.council]', 'access = "password"', `password_hash = '${hashOf(PASSWORD)}'`, `host_password_hash = '${hashOf(HOST_PASSWORD)}'`,
    '[rooms.plain]', 'access = "password"', `password_hash = '${hashOf(PASSWORD)}'`,
    '',
  ].join('\n'));
  server = await startServer(['--config', config]);
});

test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the host password makes its holder host; the participant password does not, even first', async ({ join }) => {
  // Bima comes first, through the participant password: a participant, not host; no host part is ticked
  const b = await join({ room: 'council', name: 'Bima', url: server.url, camera: false, until: 'none' });
  await expect(b.page.locator('#password-dialog')).toBeVisible();
  await b.page.locator('#password-input').fill(PASSWORD);
  await b.page.locator('#password-submit').click();
  await expect(b.page.locator('#call')).toBeVisible();
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.role)).toBe('participant');
  const bId = await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.you);

  /** @type {unknown[]} */
  const joins = [];
  const a = await join({
    room: 'council', name: 'Ayu', url: server.url, camera: false, until: 'none',
    onPage: (page) => page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => {
      const m = JSON.parse(String(payload));
      if (m.type === 'join') joins.push(m);
    })),
    beforeJoin: async (page) => {
      // the room has a host password: "I am the host" is offered, by keyboard too
      const box = page.locator('#host-toggle');
      await expect(box).toBeVisible();
      await expect(page.getByRole('checkbox', { name: 'I am the host' })).toBeVisible();
      await expect(page.locator('#host-password-field')).toBeHidden();
      await box.focus();
      await page.keyboard.press('Space');
      await expect(box).toBeChecked();
      await expect(page.getByLabel('Host password')).toBeFocused();
      await page.keyboard.type('a guess');
      await expectNoViolations(page, 'pre-join with the host password');
    },
  });
  // a wrong one: back on the pre-join screen, the error on the field, the name and the choice kept
  const error = a.page.locator('#host-password-error');
  await expect(error).toHaveText(/That host password is not right/);
  await expect(a.page.locator('#prejoin')).toBeVisible();
  await expect(a.page.locator('#host-toggle')).toBeChecked();
  await expect(a.page.locator('#host-password')).toHaveAttribute('aria-invalid', 'true');
  await expect(a.page.locator('#host-password')).toBeFocused();
  await expect(a.page.locator('#host-password')).toHaveValue('');
  await expect(a.page.locator('#name-input')).toHaveValue('Ayu');
  await expect(a.page.locator('#password-dialog')).toHaveCount(0); // (not the room password's prompt)
  await a.page.screenshot({ path: path.join(ARTIFACTS, 'host-password-refused.png') });
  expect(joins).toEqual([expect.objectContaining({ host_password: 'a guess' })]);
  expect(joins[0]).not.toHaveProperty('password');

  // the right one: Ayu is host, with the host controls; Bima is still a participant without them
  await a.page.locator('#host-password').fill(HOST_PASSWORD);
  await a.page.locator('#host-password').press('Enter');
  await expect(a.page.locator('#call')).toBeVisible();
  expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.role)).toBe('host');
  expect(joins).toHaveLength(2);
  await expect(a.page.locator('#btn-record')).toBeVisible();
  const ayu = { ...a, id: await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.you) };
  await openPeople(ayu);
  await expect(a.page.locator('#room-mute-all')).toBeVisible();
  await expect(a.page.locator('#room-end')).toBeVisible();
  await expect(personRow(ayu, ayu.id)).toHaveAttribute('data-role', 'host');
  await expect(personRow(ayu, bId)).toHaveAttribute('data-role', 'participant');
  await expect(personRow(ayu, bId).locator('.person-more')).toBeVisible();

  const bima = { ...b, id: bId };
  await openPeople(bima);
  await expect(personRow(bima, ayu.id)).toHaveAttribute('data-role', 'host');
  await expect(b.page.locator('#room-mute-all')).toHaveCount(0);
  await expect(b.page.locator('#btn-record')).toBeHidden();
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.role)).toBe('participant');

  // leave and rejoin: the host password that worked is remembered in memory, never in storage
  await a.page.locator('#btn-leave').click();
  await a.page.locator('#rejoin').click();
  await expect(a.page.locator('#host-toggle')).toBeChecked();
  await expect(a.page.locator('#host-password')).toBeVisible();
  await a.page.locator('#join-button').click();
  await expect(a.page.locator('#call')).toBeVisible();
  expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.state.role)).toBe('host');
  expect(await a.page.evaluate(() => Object.values(localStorage).some((v) => v.includes('chair')))).toBe(false);
});

test('a room without a host password offers no host part', async ({ join }) => {
  const c = await join({
    room: 'plain', name: 'Citra', url: server.url, camera: false, until: 'none',
    beforeJoin: async (page) => {
      // the entry is known once the server answered: wait for it, then there is no host part
      await expect.poll(() => page.evaluate(async () => (await fetch('/api/rooms/plain/entry')).json())).toEqual({ access: 'password', host_password: false });
      await expect(page.locator('#host-toggle')).toHaveCount(0);
    },
  });
  await expect(c.page.locator('#password-dialog')).toBeVisible();
});
