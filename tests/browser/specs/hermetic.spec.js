// The browser tests are hermetic: run.sh runs them (browsers, ruang servers, Playwright) in a network
// namespace that has only `lo` (netns.sh). This spec checks that it holds: the test process sees no other
// interface, and a call (mesh; relayed through TURN; through the SFU) nominates a candidate pair of loopback
// addresses on both pages, with no candidate of any other address gathered or signalled. The TURN and SFU
// servers listen on every address here, so the addresses they give out are the ones ruang detects itself.
// Outside the namespace (plain `npx playwright test`) this spec fails, by design: run it with
// `tests/browser/run.sh specs/hermetic.spec.js` or `tests/browser/netns.sh npx playwright test …`.
import { networkInterfaces } from 'node:os';
import { test, expect, roomName, expectMediaFrom, expectLoopbackOnly } from '../helpers.js';
import { iceReport, isLoopback, recordConnectionsInPage } from '../ice-addresses.js';
import { startServer } from '../server.js';

/** join's onPage: record the page's connections and candidates from the start. @param {import('@playwright/test').Page} page */
const record = (page) => page.addInitScript(recordConnectionsInPage);

test('the test run is in a network namespace whose only interface is lo', () => {
  const interfaces = networkInterfaces();
  const other = Object.entries(interfaces)
    .flatMap(([name, addrs]) => (addrs ?? []).filter((a) => !isLoopback(a.address)).map((a) => `${name} ${a.address}`));
  expect(other, 'interfaces with a non-loopback address (run the tests through tests/browser/run.sh or netns.sh)').toEqual([]);
});

test('a mesh call between two pages nominates a loopback pair and gathers loopback candidates only', async ({ join }) => {
  const room = roomName('lo');
  const a = await join({ room, name: 'Ayu', onPage: record });
  const b = await join({ room, name: 'Bima', onPage: record });
  await expectMediaFrom(a, [b]);
  await expectMediaFrom(b, [a]);
  await expectLoopbackOnly([a, b]);
});

test('relayed through TURN listening on every address, a call stays on loopback (relay address detected)', async ({ join }) => {
  const server = await startServer(['--relay-only'], { turnListen: '0.0.0.0:0' });
  try {
    const room = roomName('lo-relay');
    const a = await join({ room, name: 'Ayu', url: server.url, onPage: record });
    const b = await join({ room, name: 'Bima', url: server.url, onPage: record });
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    await expectLoopbackOnly([a, b]);
    // relay-only: every nominated pair is relayed, so the relay address TURN detected for itself is the one
    // checked (a page may nominate more than one pair over the call: a CI run saw two, both relayed)
    for (const p of [a, b]) {
      const types = (await iceReport(p.page)).pairs.map((pair) => pair.local.type);
      expect(types.length, `${p.name}: a nominated pair`).toBeGreaterThan(0);
      expect([...new Set(types)], `${p.name}: nominated pairs' local candidate types`).toEqual(['relay']);
    }
  } finally {
    await server.stop();
  }
});

test('through the SFU listening on every address, a call stays on loopback (SFU address detected)', async ({ join }) => {
  const server = await startServer(['--media-mode', 'sfu'], { sfuListen: '0.0.0.0:0' });
  try {
    const room = roomName('lo-sfu');
    const a = await join({ room, name: 'Ayu', url: server.url, onPage: record });
    const b = await join({ room, name: 'Bima', url: server.url, onPage: record });
    await expectMediaFrom(a, [b]);
    await expectMediaFrom(b, [a]);
    await expectLoopbackOnly([a, b]);
  } finally {
    await server.stop();
  }
});
