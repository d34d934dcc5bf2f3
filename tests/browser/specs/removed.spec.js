// Taken out of the room by a host (`removed`, then close code 4005) is not a lost connection: the page
// does not try to resume or rejoin, closes its peer connections and says why.
import { test, expect, roomName, remoteTiles, serverInfo } from '../helpers.js';

test('removed by the host: no resume, the page says who removed us', async ({ join }) => {
  const room = roomName('removed');
  /** @type {import('@playwright/test').WebSocketRoute | null} */
  let hostSocket = null;
  // The test speaks for the host on its socket (the same through the participant list: moderation.spec.js).
  const a = await join({
    room, name: 'Ayu',
    onPage: (page) => page.routeWebSocket(/\/ws$/, (ws) => { hostSocket = ws.connectToServer(); }),
  });
  let bSockets = 0;
  const b = await join({ room, name: 'Bima', onPage: (page) => page.on('websocket', () => { bSockets++; }) });
  await expect(remoteTiles(a)).toHaveCount(1);
  expect(hostSocket).not.toBeNull();
  /** @type {any} */ (hostSocket).send(JSON.stringify({ type: 'moderate', action: 'remove', target: b.id }));

  await expect(b.page.locator('#left h1')).toHaveText('Ayu removed you from the meeting.');
  await expect(remoteTiles(a)).toHaveCount(0);
  // and it stays out: no reconnect attempt follows (the first one would come after about 250 ms)
  await b.page.waitForTimeout(1500);
  expect(await b.page.evaluate(() => /** @type {any} */ (window).ruang.state.view)).toBe('left');
  expect(bSockets, 'WebSockets Bima opened').toBe(1);
  expect((await serverInfo(a.page)).reconnects).toBe(0);
});
