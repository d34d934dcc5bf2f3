// Who may enter, through the UI, on a server with room policies (a TOML file): the password prompt of a
// password room (wrong, then right, then remembered for a rejoin), an invitation link that makes its holder
// host (and leaves the visible address), an invite-only room refusing a plain visitor and a bad
// invitation, and a room the host locked from the participant list.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, expectNoViolations, expectMediaFrom, openPeople, personRow } from '../helpers.js';
import { startServer, RUANG_BIN } from '../server.js';

const SECRET = 'browser-tests-secret-0123456789';
const PASSWORD = 'sesame open';

/** @type {import('../server.js').Server} */
let server;
/** @type {string} */
let dir;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ruang-access-'));
  const hash = execFileSync(RUANG_BIN, ['hash-password'], { input: PASSWORD, encoding: 'utf8' }).trim();
  const config = path.join(dir, 'ruang.toml');
  writeFileSync(config, [
    `secret = "${SECRET}"`,
    '[rooms.vault]', 'access = "password"', `password_hash = '${hash}'`,
    '[rooms.board]', 'access = "invite"',
    '',
  ].join('\n'));
  // a short join deadline: the password test outlives it on purpose
  server = await startServer(['--config', config, '--join-timeout-ms', '2000']);
});

test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * An invitation minted by the real binary (`ruang token`).
 * @param {{ room: string, role?: string, name?: string }} o
 */
function invitation({ room, role = 'participant', name }) {
  const args = ['token', '--secret', SECRET, '--room', room, '--role', role, '--ttl-secs', '600', ...(name ? ['--name', name] : [])];
  return execFileSync(RUANG_BIN, args, { encoding: 'utf8' }).split('\n')[0].trim();
}

test('password room: the prompt says what is wrong, the right password gets in and is kept for a rejoin', async ({ join }) => {
  /** @type {string[]} */
  const refusals = [];
  /** @type {import('@playwright/test').WebSocket[]} */
  const sockets = [];
  const a = await join({
    room: 'vault', name: 'Ayu', url: server.url, camera: false, until: 'none',
    onPage: (page) => page.on('websocket', (ws) => {
      sockets.push(ws);
      ws.on('framereceived', ({ payload }) => {
        const m = JSON.parse(String(payload));
        if (m.type === 'error') refusals.push(m.code);
      });
    }),
  });
  const dialog = a.page.locator('#password-dialog');
  await expect(dialog).toBeVisible();
  await expect(a.page.locator('#password-error')).toHaveText('This meeting is protected by a password.');
  await expect(a.page.locator('#password-input')).toBeFocused();
  await expectNoViolations(a.page, 'password prompt');

  await a.page.locator('#password-input').fill('not it');
  await a.page.locator('#password-input').press('Enter');
  await expect(a.page.locator('#password-error')).toHaveText('That password is not right. Try again.');
  await expect(a.page.locator('#password-input')).toHaveAttribute('aria-invalid', 'true');
  expect(refusals).toEqual(['password_required', 'wrong_password']);

  // a slow typist: the server closes a connection that has not joined within join_timeout_ms (2 s here);
  // the right password then goes out on a new one
  await expect.poll(() => sockets.every((ws) => ws.isClosed()), { timeout: 10_000 }).toBe(true);
  await a.page.locator('#password-input').fill(PASSWORD);
  await a.page.locator('#password-submit').click();
  await expect(a.page.locator('#call')).toBeVisible();
  await expect(dialog).toHaveCount(0);
  expect(sockets.length).toBeGreaterThan(1);

  // leave and rejoin: the password is remembered (in memory only), nothing is asked
  await a.page.locator('#btn-leave').click();
  await a.page.locator('#rejoin').click();
  await a.page.locator('#join-button').click();
  await expect(a.page.locator('#call')).toBeVisible();
  expect(refusals).toEqual(['password_required', 'wrong_password']);
  expect(await a.page.evaluate(() => localStorage.length === 0 || !Object.values(localStorage).some((v) => v.includes('sesame')))).toBe(true);
});

test('invitations: a host link, a plain visitor refused, a bad link, and a room locked by its host', async ({ join }) => {
  // without an invitation the room says so
  const v = await join({ room: 'board', name: 'Vino', url: server.url, camera: false, until: 'none' });
  await expect(v.page.locator('#left')).toHaveAttribute('data-reason', 'invite_required');
  await expect(v.page.locator('#left h1')).toHaveText('This meeting is by invitation only.');
  await expectNoViolations(v.page, 'left screen (invite required)');
  // an invitation link pasted on the start page keeps its invitation (and the address bar loses it)
  await v.page.locator('#go-home').click();
  await v.page.locator('#room-input').fill(`${server.url}r/board#invite=${invitation({ room: 'board', role: 'moderator' })}`);
  await v.page.locator('#join-room').click();
  await expect(v.page.locator('#invite-note')).toHaveText('You are joining with an invitation as moderator.');
  expect(v.page.url()).toBe(`${server.url}r/board`);
  // a forged or mangled one neither
  const forged = await join({ room: 'board', name: 'Fajar', url: server.url, camera: false, until: 'none', hash: '#invite=eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoiYm9hcmQifQ.AAAA' });
  await expect(forged.page.locator('#left')).toHaveAttribute('data-reason', 'invalid_invite');

  // Ayu opens a host invitation that names her: the token leaves the address bar at once
  const a = await join({
    room: 'board', name: 'ignored', url: server.url, camera: false, until: 'none',
    hash: `#invite=${invitation({ room: 'board', role: 'host', name: 'Ayu Lestari' })}`,
  });
  await expect(a.page.locator('#call')).toBeVisible();
  expect(a.page.url()).toBe(`${server.url}r/board`);
  const st = await a.page.evaluate(() => /** @type {any} */ (window).ruang.state);
  a.id = st.you;
  expect(st.role).toBe('host');
  expect(st.name).toBe('Ayu Lestari');
  expect(await a.page.evaluate(() => /** @type {any} */ (window).ruang.hasInvite('board'))).toBe(true);

  // Bima comes with a participant invitation; the pre-join screen says it has one
  const token = invitation({ room: 'board' });
  const b = await join({
    room: 'board', name: 'Bima', url: server.url, camera: false, hash: `#invite=${token}`,
    onPage: (page) => void page.waitForEvent('load').then(() => expect(page.locator('#invite-note')).toHaveText(/invitation/)),
  });
  expect((await b.page.evaluate(() => /** @type {any} */ (window).ruang.state)).role).toBe('participant');
  await openPeople(a, b.id);
  await expect(personRow(a, a.id).locator('.role-badge')).toHaveText('Host');

  // Dewi comes with a viewer invitation: no media buttons, nothing sent (recvonly from the first offer), but
  // she hears Ayu
  const d = await join({ room: 'board', name: 'Dewi', url: server.url, camera: false, hash: `#invite=${invitation({ room: 'board', role: 'viewer' })}` });
  expect((await d.page.evaluate(() => /** @type {any} */ (window).ruang.state)).role).toBe('viewer');
  await expect(d.page.locator('#btn-mic')).toBeHidden();
  await expect(d.page.locator('.toast', { hasText: 'You joined as a viewer' })).toBeVisible();
  await expectMediaFrom(d, [a], { video: false });
  expect(await d.page.evaluate(() => [.../** @type {any} */ (window).ruang.peers.values()].flatMap((pc) => pc.getTransceivers()
    .map((/** @type {RTCRtpTransceiver} */ t) => `${t.currentDirection}/${t.sender.track ? 'track' : 'none'}`)))).toEqual(Array(6).fill('recvonly/none')); // (audio, camera and screen with each of two)
  await expect(personRow(a, d.id).locator('.role-badge')).toHaveText('Viewer');

  // Ayu locks the meeting: another invited participant is refused, with a clear message
  await a.page.locator('#room-lock').click();
  await expect(a.page.locator('#room-lock')).toHaveAttribute('aria-pressed', 'true');
  await expect(b.page.locator('.toast', { hasText: 'The meeting is locked' })).toBeVisible();
  const c = await join({ room: 'board', name: 'Citra', url: server.url, camera: false, until: 'none', hash: `#invite=${invitation({ room: 'board' })}` });
  await expect(c.page.locator('#left')).toHaveAttribute('data-reason', 'room_locked');
  await expect(c.page.locator('#left h1')).toHaveText('This meeting is locked.');
});
