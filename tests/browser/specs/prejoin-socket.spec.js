// The signaling socket of the pre-join screen: opened while the user looks at the preview, so that Join
// only sends `join`; opened again (once per close, not at once) when the server closes it for not joining
// within join_timeout_ms; replaced by a new one at Join when it has gone quiet. And the call's `ping`
// messages acknowledge the highest `n` received (`ack`), which they leave out before the welcome.
import { test, expect, roomName } from '../helpers.js';
import { startServer } from '../server.js';

/**
 * A page on a room's pre-join screen, with every WebSocket it opens and the types of the messages it
 * sends on each; console errors and uncaught exceptions are collected (the test checks them at the end).
 * @param {import('@playwright/test').Browser} browser
 * @param {string} url
 * @param {{ route?: (page: import('@playwright/test').Page) => Promise<void> }} [opts]
 */
async function prejoin(browser, url, { route } = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^WebSocket connection to '[^']*' failed/.test(msg.text())) errors.push(msg.text());
  });
  /** @type {{ sent: string[], closed: boolean }[]} */
  const sockets = [];
  page.on('websocket', (ws) => {
    const s = { sent: /** @type {string[]} */ ([]), closed: false };
    sockets.push(s);
    ws.on('framesent', ({ payload }) => s.sent.push(JSON.parse(String(payload)).type));
    ws.on('close', () => { s.closed = true; });
  });
  await route?.(page);
  await page.goto(`${url}r/${roomName('warm')}`);
  await page.locator('#name-input').fill('Ayu');
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  return { context, page, sockets, errors };
}

test('Join sends `join` on the socket the pre-join screen opened', async ({ browser, baseUrl }) => {
  const { context, page, sockets, errors } = await prejoin(browser, baseUrl);
  expect(sockets.length, 'a socket opened on the pre-join screen').toBe(1);
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  expect(sockets.length).toBe(1);
  expect(sockets[0].sent).toContain('join');
  await context.close();
  expect(errors).toEqual([]);
});

test('the server closes the unjoined socket: the pre-join screen opens another, once per close', async ({ browser }) => {
  const server = await startServer(['--join-timeout-ms', '1000']);
  try {
    const { context, page, sockets, errors } = await prejoin(browser, server.url);
    // closed after 1 s, opened again 0.5 s later, and so on: about 3 sockets in 3.6 s, not a loop
    await page.waitForTimeout(3600);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(sockets.length).toBeLessThanOrEqual(4);
    expect(sockets.slice(0, -1).every((s) => s.closed)).toBe(true);
    // joining works whether the latest one is open or being opened again
    await page.locator('#join-button').click();
    await expect(page.locator('#call')).toBeVisible();
    expect(sockets.filter((s) => s.sent.includes('join')).length).toBe(1);
    await page.waitForTimeout(1500); // joined: nothing more is opened
    expect(sockets.filter((s) => !s.closed).length).toBe(1);
    await context.close();
    expect(errors).toEqual([]);
  } finally {
    await server.stop();
  }
});

test('a pre-join socket that went quiet is not trusted: Join opens a new one', async ({ browser, baseUrl }) => {
  /** @type {string[][]} what the page sent on each socket */
  const routes = [];
  const { context, page, errors } = await prejoin(browser, baseUrl, {
    // the first socket opens but nothing ever comes back on it (a dead path); later ones reach the server
    route: (p) => p.routeWebSocket(/\/ws$/, (ws) => {
      /** @type {string[]} */
      const sent = [];
      routes.push(sent);
      if (routes.length === 1) { ws.onMessage((m) => { sent.push(JSON.parse(String(m)).type); }); return; }
      const server = ws.connectToServer();
      ws.onMessage((m) => { sent.push(JSON.parse(String(m)).type); server.send(m); });
    }),
  });
  await page.waitForTimeout(4600); // silent for longer than a ping's answer may take
  expect(routes.length).toBe(1);
  expect(routes[0]).toContain('ping');
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  expect(routes.length).toBe(2);
  expect(routes[0]).not.toContain('join');
  expect(routes[1][0]).toBe('join');
  await context.close();
  expect(errors).toEqual([]);
});

test('pings acknowledge the highest `n` received, and carry no `ack` before the welcome', async ({ join }) => {
  const room = roomName('ack');
  /** @type {{ dir: 'in' | 'out', m: any, t: number }[]} */
  const log = [];
  const a = await join({
    room, name: 'Ayu',
    onPage: (page) => page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => { log.push({ dir: 'out', m: JSON.parse(String(m)), t: Date.now() }); server.send(m); });
      server.onMessage((m) => { log.push({ dir: 'in', m: JSON.parse(String(m)), t: Date.now() }); ws.send(m); });
    }),
  });
  await join({ room, name: 'Bima' }); // numbered messages for Ayu: peer_joined, signals, media…
  const welcomed = () => log.findIndex((e) => e.dir === 'in' && e.m.type === 'welcome');
  const pingsAfter = () => log.slice(welcomed()).filter((e) => e.dir === 'out' && e.m.type === 'ping');
  await expect.poll(() => pingsAfter().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  const numbered = log.filter((e) => e.dir === 'in' && Number.isInteger(e.m.n));
  expect(numbered.length).toBeGreaterThan(0);
  let seen = 0;
  let last = -1;
  for (const e of log.slice(welcomed())) {
    if (e.dir === 'in' && Number.isInteger(e.m.n)) seen = Math.max(seen, e.m.n);
    if (e.dir !== 'out' || e.m.type !== 'ping') continue;
    expect(Number.isInteger(e.m.ack), `ping after the welcome: ${JSON.stringify(e.m)}`).toBe(true);
    expect(e.m.ack).toBeLessThanOrEqual(seen); // never more than was delivered…
    expect(e.m.ack).toBeGreaterThanOrEqual(last); // …and never less than before
    last = e.m.ack;
  }
  // a ping acknowledges at least everything that reached the page well before it (not what was still on its way)
  for (const p of pingsAfter()) {
    const delivered = Math.max(0, ...numbered.filter((e) => e.t <= p.t - 300).map((e) => e.m.n));
    expect(p.m.ack).toBeGreaterThanOrEqual(delivered);
  }
  expect(pingsAfter().at(-1)?.m.ack).toBeGreaterThan(0);
  for (const e of log.slice(0, welcomed())) if (e.dir === 'out' && e.m.type === 'ping') expect(e.m).not.toHaveProperty('ack');
  expect(a.id).toMatch(/^[0-9a-f]{16}$/);
});
