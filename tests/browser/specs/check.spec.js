// The connection self-test page (/check): STUN, TURN/UDP and TURN/TCP against the built-in server.
import { test, expect } from '../helpers.js';
import { startServer } from '../server.js';

/** Open the check page, collecting page errors; returns the page. */
async function openCheck(/** @type {import('@playwright/test').Browser} */ browser, /** @type {string} */ url, viewport = { width: 1000, height: 700 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  return { page, context, errors };
}

test('the self-test reaches STUN, TURN/UDP and TURN/TCP of the built-in server', async ({ browser, baseUrl }) => {
  // reachable from the start page and the pre-join screen
  const { page, context, errors } = await openCheck(browser, `${baseUrl}r/my-room`, { width: 390, height: 800 });
  await expect(page.locator('#check-link')).toHaveAttribute('href', '/check?room=my-room');
  await page.locator('#check-link').click();
  await expect(page).toHaveURL(/\/check\?room=my-room$/);
  const main = page.locator('#check');
  await expect(main).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  for (const kind of ['stun', 'turn-udp', 'turn-tcp']) {
    const row = page.locator(`.check-row[data-check="${kind}"]`);
    await expect(row, kind).toHaveAttribute('data-result', 'reachable');
    await expect(row).toHaveAttribute('data-ms', /^\d+$/);
    await expect(row.locator('.check-result')).toHaveText(/^reachable \(\d+ ms\)$/);
  }
  await expect(page.locator('#check-verdict')).toHaveAttribute('data-verdict', 'relay-ok');
  await expect(page.locator('#check-verdict')).toHaveText('Calls will work through the relay even if direct connections are blocked.');
  await expect(page.locator('#check-admin')).toBeHidden();
  await expect(page.locator('#check-back')).toHaveAttribute('href', '/r/my-room');
  // fits a phone: nothing wider than the viewport
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  // runs again on demand
  await page.locator('#check-again').click();
  await expect(main).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  await expect(page.locator('#check-verdict')).toHaveAttribute('data-verdict', 'relay-ok');
  await page.goto(baseUrl);
  await expect(page.locator('#check-link')).toHaveAttribute('href', '/check');
  expect(errors).toEqual([]);
  await context.close();
});

test('without a relay the self-test says so and what to tell the admin', async ({ browser }) => {
  const server = await startServer(['--no-turn']);
  try {
    const { page, context, errors } = await openCheck(browser, `${server.url}check`);
    await expect(page.locator('#check')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
    for (const kind of ['stun', 'turn-udp', 'turn-tcp']) {
      await expect(page.locator(`.check-row[data-check="${kind}"]`), kind).toHaveAttribute('data-result', 'not-configured');
    }
    await expect(page.locator('#check-verdict')).toHaveAttribute('data-verdict', 'no-relay');
    await expect(page.locator('#check-verdict')).toContainText('no relay');
    await expect(page.locator('#check-admin')).toBeVisible();
    await expect(page.locator('#check-admin')).toContainText('3478');
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a relay that does not answer is reported as not reachable', async ({ browser }) => {
  // the server hands out TURN URLs for a public IP nobody answers on (TEST-NET-3): every check times out
  const server = await startServer(['--turn-public-ip', '203.0.113.1']);
  try {
    const { page, context, errors } = await openCheck(browser, `${server.url}check`);
    await expect(page.locator('#check')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
    for (const kind of ['turn-udp', 'turn-tcp']) {
      await expect(page.locator(`.check-row[data-check="${kind}"]`), kind).toHaveAttribute('data-result', 'unreachable');
    }
    await expect(page.locator('#check-verdict')).toHaveAttribute('data-verdict', 'unreachable');
    await expect(page.locator('#check-verdict')).toContainText('Cannot reach the relay server: calls across networks may fail.');
    await expect(page.locator('#check-admin')).toContainText('203.0.113.1');
    await expect(page.locator('#check-admin')).toContainText('3478');
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});
