// NAT traversal: two participants in separate network namespaces, each behind its own NAT, can reach each
// other only through ruang's TURN server — and do. Each runs in its own Chromium, started inside its client
// namespace (nat-setup.js writes the wrappers); the page is on http://198.51.100.10:<port>, which Chromium
// is told to treat as secure so that getUserMedia works.
import { test, expect, chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config.js';
import { expectMediaFrom, roomName, selectedPairs, shot } from '../helpers.js';

/** @typedef {import('../helpers.js').Participant} Participant */

test('two participants behind separate NATs reach each other through TURN', async () => {
  const url = process.env.RUANG_NAT_URL;
  if (!url) throw new Error('RUANG_NAT_URL is not set: nat-setup.js did not run');
  const origin = new URL(url).origin;
  /** @type {import('@playwright/test').Browser[]} */
  const browsers = [];
  /** @type {string[]} */
  const errors = [];
  try {
    const room = roomName('nat');
    /** @returns {Promise<Participant>} */
    const join = async (/** @type {string} */ side, /** @type {string} */ name) => {
      const browser = await chromium.launch({
        executablePath: process.env[`RUANG_NAT_CHROMIUM_${side}`],
        // as a browser behind a NAT is: no loopback candidates (the main suite gathers on loopback only
        // because its namespace has nothing else; here each client has a LAN and a NAT, and loopback
        // sockets only add STUN errors to the connection test)
        args: [...CHROMIUM_ARGS.filter((a) => a !== '--allow-loopback-in-peer-connection'), `--unsafely-treat-insecure-origin-as-secure=${origin}`],
      });
      browsers.push(browser);
      const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(`[${name}] page error: ${err.message}`));
      page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`[${name}] console error: ${msg.text()}`); });
      await page.goto(`${url}r/${room}`);
      await page.locator('#name-input').fill(name);
      await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
      await expect(page.locator('#prejoin-mic')).toHaveAttribute('aria-pressed', 'true');
      await page.locator('#join-button').click();
      await expect(page.locator('#call')).toBeVisible();
      const id = await page.evaluate(() => /** @type {any} */ (window).ruang.state.you);
      return { page, context, id, name };
    };
    const a = await join('A', 'Ayu');
    const b = await join('B', 'Bima');
    // each browser really is inside its own namespace: its host candidates are the private LAN addresses
    for (const [p, lan] of /** @type {const} */ ([[a, '192.168.10.2'], [b, '192.168.20.2']])) {
      const config = await p.page.evaluate(() => {
        const pc = [.../** @type {any} */ (window).ruang.peers.values()][0];
        return pc ? pc.getConfiguration().iceTransportPolicy : 'none';
      });
      expect(config, `${p.name}: ICE policy`).toBe('all');
      await expect.poll(() => p.page.evaluate(async () => {
        const pc = [.../** @type {any} */ (window).ruang.peers.values()][0];
        /** @type {string[]} */ const hosts = [];
        (await pc.getStats()).forEach((/** @type {any} */ s) => { if (s.type === 'local-candidate' && s.candidateType === 'host') hosts.push(s.address); });
        return hosts;
      }), { message: `${p.name}: host candidates` }).toContain(lan);
    }
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    await shot(a.page, 'nat-call');
    for (const p of [a, b]) {
      const pairs = await selectedPairs(p.page);
      console.log(`${p.name}: selected pair ${JSON.stringify(pairs)}`);
      expect(pairs, `${p.name}: one selected pair`).toHaveLength(1);
      const pair = pairs[0];
      expect(pair, `${p.name}: a selected pair`).not.toBeNull();
      // media really goes through TURN: the only path between the two NATs is the relay on 198.51.100.10
      expect(pair?.local === 'relay' || pair?.remote === 'relay', `${p.name}: relay in ${JSON.stringify(pair)}`).toBe(true);
    }
    // and it keeps flowing
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    // the connection test from behind a NAT: a real server-reflexive address (the NAT's), and the relay
    const check = await a.context.newPage();
    await check.goto(`${url}check`);
    await expect(check.locator('#check')).toHaveAttribute('data-state', 'done');
    for (const kind of ['stun', 'turn-udp', 'turn-tcp']) {
      await expect(check.locator(`.check-row[data-check="${kind}"]`), kind).toHaveAttribute('data-result', 'reachable');
    }
    await expect(check.locator('#check-verdict')).toHaveAttribute('data-verdict', 'relay-ok');
  } finally {
    for (const br of browsers) await br.close().catch(() => {});
  }
  expect(errors, 'errors in the pages').toEqual([]);
});
