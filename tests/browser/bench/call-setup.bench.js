// Call-setup time: from a newcomer clicking Join (camera already running in the preview) until every page
// decodes every other page's video, for rooms of 2 and 3, repeated. Each page is instrumented before its
// scripts run (WebSocket and RTCPeerConnection wrapped, first decoded frame per receiver polled every 2 ms),
// so the breakdown comes from the pages' own clocks (one machine, one time origin).
//
// t0 is taken in the newcomer's page just before Playwright's click(), which first checks that the button is
// visible, stable (two animation frames) and hit by the pointer: `click reaches the page` says when the click
// event arrived, and `total from that click` measures from there (what a user's click costs, without the
// test driver). The polling from Node (every 25 ms: the times come from the pages, not from it) reads counts, not
// the event lists, to keep its own load on the pages low.
//
// Run: cd tests/browser && RUANG_BIN=../../target/release/ruang npx playwright test -c bench/call-setup.config.js
// (RUNS=10 by default; SIZES=2,3 by default; FRAMES=stats or processor, see below)
import { test, expect } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../server.js';
import { roomName } from '../helpers.js';

const RUNS = Number(process.env.RUNS || 10);
/**
 * How a page notices its first decoded frame of a remote video: `stats` (default, as in the published
 * numbers) polls the receiver's getStats() every 2 ms; `processor` reads the first frame the track delivers
 * (MediaStreamTrackProcessor), which costs the pages next to nothing while they set up the call.
 */
const FRAMES = process.env.FRAMES === 'processor' ? 'processor' : 'stats';
/** WEB=<folder>: serve the client's /js and /css from that folder instead of the binary's copy (compare client versions without rebuilding). */
const WEB = process.env.WEB ? path.resolve(process.env.WEB) : null;
const TYPES = { '.js': 'text/javascript', '.css': 'text/css' };

/** Runs in every page before the app: records signaling and connection events with absolute times. @param {string} how */
function instrument(how) {
  const now = () => performance.timeOrigin + performance.now();
  const events = [];
  /** @type {any} */ (window).__setup = events;
  // when the click really reaches the page (the event's own time stamp)
  window.addEventListener('click', (e) => events.push({ t: performance.timeOrigin + e.timeStamp, type: 'click' }), true);
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        try { const m = JSON.parse(e.data); events.push({ t: now(), dir: 'in', type: m.type, kind: m.data?.kind }); } catch { /* not JSON */ }
      });
    }
    send(data) {
      try { const m = JSON.parse(data); events.push({ t: now(), dir: 'out', type: m.type, kind: m.data?.kind }); } catch { /* not JSON */ }
      super.send(data);
    }
  };
  const NativePC = window.RTCPeerConnection;
  let next = 0;
  window.RTCPeerConnection = class extends NativePC {
    constructor(...args) {
      super(...args);
      const pc = next++;
      this.addEventListener('iceconnectionstatechange', () => events.push({ t: now(), pc, type: 'ice', state: this.iceConnectionState }));
      this.addEventListener('connectionstatechange', () => events.push({ t: now(), pc, type: 'dtls', state: this.connectionState }));
      this.addEventListener('track', (e) => {
        if (e.track.kind !== 'video') return;
        if (how === 'processor') {
          const reader = new /** @type {any} */ (window).MediaStreamTrackProcessor({ track: e.track }).readable.getReader();
          reader.read().then(({ value }) => {
            if (value) { events.push({ t: now(), pc, type: 'frame' }); value.close(); }
            reader.cancel();
          });
          return;
        }
        const poll = async () => {
          let decoded = 0;
          (await e.receiver.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') decoded = s.framesDecoded ?? 0; });
          if (decoded > 0) events.push({ t: now(), pc, type: 'frame' });
          else setTimeout(poll, 2);
        };
        poll();
      });
    }
  };
}

async function openPrejoin(browser, url, room, name) {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  if (WEB) {
    await context.route(/\/(js|css)\/[^?#]+/, async (route) => {
      const file = path.join(/** @type {string} */ (WEB), new URL(route.request().url()).pathname);
      try {
        await route.fulfill({ body: await readFile(file), contentType: TYPES[/** @type {'.js'} */ (path.extname(file))] ?? 'application/octet-stream' });
      } catch { await route.fallback(); }
    });
  }
  const page = await context.newPage();
  await page.addInitScript(instrument, FRAMES);
  await page.goto(`${url}r/${room}`);
  await page.locator('#name-input').fill(name);
  await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#prejoin-mic')).toHaveAttribute('aria-pressed', 'true');
  return { context, page };
}

const events = (page) => page.evaluate(() => /** @type {any} */ (window).__setup);
/** Decoded-frame events at or after t0 (counted in the page: cheap to poll). */
const frames = (page, t0 = 0) => page.evaluate((t) => /** @type {any[]} */ (/** @type {any} */ (window).__setup).filter((e) => e.type === 'frame' && e.t >= t).length, t0);

/** One run: `size - 1` pages already in a call, then the newcomer joins at t0. */
async function run(browser, url, size) {
  const room = roomName(`setup${size}`);
  const pages = [];
  for (let n = 0; n < size; n++) pages.push(await openPrejoin(browser, url, room, `p${n}`));
  const earlier = pages.slice(0, -1);
  for (const { page } of earlier) {
    await page.locator('#join-button').click();
    await expect(page.locator('#call')).toBeVisible();
  }
  // the earlier ones are connected and decoding each other before the newcomer clicks
  for (const { page } of earlier) {
    await expect.poll(() => frames(page), { timeout: 30_000 }).toBe(earlier.length - 1);
  }
  const newcomer = pages[size - 1].page;
  const t0 = await newcomer.evaluate(() => performance.timeOrigin + performance.now());
  await newcomer.locator('#join-button').click();
  // done when the newcomer decodes everyone and everyone decodes the newcomer
  await expect.poll(() => frames(newcomer), { timeout: 30_000, intervals: [25] }).toBe(size - 1);
  for (const { page } of earlier) {
    await expect.poll(() => frames(page, t0), { timeout: 30_000, intervals: [25] }).toBe(1);
  }
  const mine = (await events(newcomer)).filter((e) => e.t >= t0);
  const theirs = (await Promise.all(earlier.map(({ page }) => events(page)))).map((list) => list.filter((e) => e.t >= t0));
  const first = (list, pred) => { const e = list.find(pred); return e ? e.t - t0 : NaN; };
  const last = (list, pred) => { const all = list.filter(pred); return all.length ? all[all.length - 1].t - t0 : NaN; };
  const decoded = [...mine, ...theirs.flat()].filter((e) => e.type === 'frame');
  const total = Math.max(...decoded.map((e) => e.t - t0));
  const click = first(mine, (e) => e.type === 'click');
  const result = {
    size,
    total,
    click,
    totalFromClick: total - click,
    joinSent: first(mine, (e) => e.dir === 'out' && e.type === 'join'),
    welcome: first(mine, (e) => e.type === 'welcome'),
    firstOfferSent: first(mine, (e) => e.dir === 'out' && e.kind === 'offer'),
    lastAnswerReceived: last(mine, (e) => e.dir === 'in' && e.kind === 'answer'),
    iceConnected: last(mine, (e) => e.type === 'ice' && (e.state === 'connected' || e.state === 'completed')),
    dtlsConnected: last(mine, (e) => e.type === 'dtls' && e.state === 'connected'),
    newcomerDecodesAll: last(mine, (e) => e.type === 'frame'),
    signalingMessages: mine.filter((e) => e.type === 'signal' || e.type === 'join' || e.type === 'welcome').length
      + theirs.flat().filter((e) => e.type === 'signal' || e.type === 'peer_joined').length,
  };
  for (const { context } of pages) await context.close();
  return result;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

for (const size of (process.env.SIZES || '2,3').split(',').map(Number)) {
  test(`call setup with ${size} participants`, async ({ browser }) => {
    const server = await startServer();
    try {
      const results = [];
      for (let i = 0; i < RUNS; i++) results.push(await run(browser, server.url, size));
      const keys = ['total', 'click', 'joinSent', 'welcome', 'firstOfferSent', 'lastAnswerReceived', 'iceConnected', 'dtlsConnected', 'newcomerDecodesAll', 'totalFromClick'];
      const summary = Object.fromEntries(keys.map((k) => [k, { median: Math.round(median(results.map((r) => r[k]))), max: Math.round(Math.max(...results.map((r) => r[k]))) }]));
      console.log(`call setup, ${size} participants, ${RUNS} runs, frames seen by ${FRAMES} (ms after the newcomer clicks Join):`);
      for (const k of keys) console.log(`  ${k.padEnd(20)} median ${String(summary[k].median).padStart(5)}  max ${String(summary[k].max).padStart(5)}`);
      console.log(`  signaling messages per run (newcomer side + others): ${results[0].signalingMessages}`);
    } finally {
      await server.stop();
    }
  });
}
