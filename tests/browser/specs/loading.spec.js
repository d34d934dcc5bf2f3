// How the page loads: the server links the client's modules into one script and its stylesheets into one,
// so a browser asks for one of each (not 55 modules and eight stylesheets: on a loaded machine each request
// costs a few milliseconds of the browser's time before a meeting starts; docs/benchmarks.md, "Call setup
// together"). The call's modules are in that script: joining fetches no other code.
import { test, expect, roomName, expectMediaFrom } from '../helpers.js';

test('the page loads one script and one stylesheet, and a call needs no other', async ({ join }) => {
  const room = roomName('load');
  /** @type {Map<string, string[]>} what each page requested, by kind */
  const requested = new Map();
  const watch = (/** @type {string} */ name) => (/** @type {import('@playwright/test').Page} */ page) => {
    const list = /** @type {string[]} */ ([]);
    requested.set(name, list);
    page.on('request', (r) => { if (['script', 'stylesheet'].includes(r.resourceType())) list.push(new URL(r.url()).pathname); });
  };
  const ayu = await join({ room, name: 'Ayu', onPage: watch('Ayu') });
  const bima = await join({ room, name: 'Bima', onPage: watch('Bima') });
  await expectMediaFrom(ayu, [bima]);
  await expectMediaFrom(bima, [ayu]);
  for (const [name, list] of requested) {
    expect(list, `${name}'s requests`).toEqual(['/css/app.bundle.css', '/js/app.linked.js']);
  }
  // the linked script runs the client as its modules would: the call's modules were imported on Join
  expect(await ayu.page.evaluate(() => /** @type {any} */ (window).ruang.state.view)).toBe('call');
});
