// Accessibility: axe-core (WCAG 2.1 A/AA rules) finds no violations on the main screens.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { test, expect, roomName } from '../helpers.js';

// evaluated through the DevTools protocol: the page's Content-Security-Policy (script-src 'self') stays on
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** @param {import('@playwright/test').Page} page @param {string} where */
async function expectNoViolations(page, where) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await /** @type {any} */ (window).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((/** @type {any} */ v) => `${v.id}: ${v.help} (${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, where).toEqual([]);
}

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
  await join({ room, name: 'Bima', camera: false });
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
});
