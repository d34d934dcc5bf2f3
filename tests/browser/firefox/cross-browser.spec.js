// Firefox and Chromium in one call: each decodes the other's video (getStats() on both sides, frame counts
// growing) and chat arrives both ways, in both join orders. Chromium through Playwright (helpers.js's join),
// Firefox through puppeteer-core over WebDriver BiDi (firefox.js).
import { test, expect, roomName, expectMediaFrom, tile } from '../helpers.js';
import { launchFirefox, joinFirefox, sendChatFirefox, waitForChatFirefox } from './firefox.js';

/** @type {import('puppeteer-core').Browser | undefined} */
let firefox;
test.beforeAll(async () => { firefox = await launchFirefox(); });
test.afterAll(async () => { await firefox?.close(); });

for (const first of /** @type {const} */ (['chromium', 'firefox'])) {
  test(`a Firefox page and a Chromium page see and hear each other and chat (${first} joins first)`, async ({ join, baseUrl }) => {
    if (!firefox) throw new Error('firefox did not start');
    const room = roomName('xb');
    /** @type {import('../helpers.js').Participant} */
    let c;
    /** @type {import('./firefox.js').FirefoxParticipant} */
    let f;
    if (first === 'chromium') {
      c = await join({ room, name: 'Chromium Citra' });
      f = await joinFirefox(firefox, { url: baseUrl, room, name: 'Firefox Fajar' });
    } else {
      f = await joinFirefox(firefox, { url: baseUrl, room, name: 'Firefox Fajar' });
      c = await join({ room, name: 'Chromium Citra' });
    }
    try {
      // each page has the other's tile, with its name
      await expect(tile(c, f.id).locator('.tile-name')).toHaveText('Firefox Fajar');
      await f.page.waitForSelector(`.tile[data-peer-id="${c.id}"]`);

      // video decoded and audio arriving both ways, and still growing on a second look
      await expectMediaFrom(c, [f]);
      await expectMediaFrom(/** @type {any} */ (f), [c]);

      // chat both ways, through the DOM of each page
      await c.page.locator('#btn-chat').click();
      await c.page.locator('#chat-input').fill('dari Chromium');
      await c.page.locator('#chat-input').press('Enter');
      await waitForChatFirefox(f, ['dari Chromium']);
      await sendChatFirefox(f, 'dari Firefox');
      await expect(c.page.locator('.msg-text')).toHaveText(['dari Chromium', 'dari Firefox']);
      await waitForChatFirefox(f, ['dari Chromium', 'dari Firefox']);
      await expect(c.page.locator('.msg-name').last()).toHaveText('Firefox Fajar');

      expect(f.errors, 'errors in the Firefox page').toEqual([]);
    } finally {
      await f.context.close().catch(() => {});
    }
  });
}
