// Call setup as people experience it: N pages opened at the same moment (a meeting link sent to everyone),
// measured from outside — from the navigation until every page decodes every other page's video — with the
// seed app (Dirvann/webrtc-video-conference-simple-peer: express, socket.io and simple-peer) as the baseline
// in the same run, the two alternating run by run so that both see the same machine.
//
// A ruang page is a returning user's (its name remembered), who clicks Join as soon as the button can be
// clicked; the seed app's page has no pre-join screen and calls as soon as its camera runs. Both pages are
// instrumented the same way before their scripts run: when getUserMedia resolved, when the page loaded, and
// each remote video's first decoded frame (getStats() polled every 2 ms), with absolute times. The size of
// the first frame decoded is printed too: the apps do not send the same video (the seed asks for at most
// 300×300, which Chromium's fake camera answers with 96×96; ruang captures 1280×720 and starts at 320×180).
//
// The seed app is never part of this repository: fetch it, install it outside, and point SEED_DIR at it:
//   git clone https://github.com/Dirvann/webrtc-video-conference-simple-peer /tmp/seed && (cd /tmp/seed && npm install)
// Its page asks public STUN/TURN servers (unreachable here, and not what is measured): it runs from a copy
// made for the run (its node_modules linked, not copied) whose page asks none (ruang's pages get ruang's
// loopback STUN/TURN). The copy is served as is: a Playwright route fulfilling a script goes through the
// driver and would cost the page time of its own (~100 ms for ruang's 490 KB script, measured).
// It serves HTTPS with its own self-signed certificate; the browser is told to accept it.
//
// Run: cd tests/browser && SEED_DIR=/tmp/seed RUANG_BIN=../../target/release/ruang ./netns.sh \
//        npx playwright test -c bench/call-setup.config.js call-setup-together   (RUNS=10, SIZES=2,3, OPEN=goto)
import { test } from '@playwright/test';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { startServer } from '../server.js';
import { roomName } from '../helpers.js';

const RUNS = Number(process.env.RUNS || 10);
const SEED_DIR = process.env.SEED_DIR ? path.resolve(process.env.SEED_DIR) : null;
/** BEFORE=<path to another ruang binary>: measured in the same runs as "before" (a change before and after). */
const BEFORE = process.env.BEFORE ? path.resolve(process.env.BEFORE) : null;
/** CLICK=playwright clicks Join with Playwright (its actionability checks included) instead of in-page. */
const INSTANT = process.env.CLICK !== 'playwright';

/**
 * Runs in every page before its scripts: absolute times of getUserMedia, load and first frames. With
 * `instantUser`, ruang's Join button is clicked in the first frame it is painted in (a user cannot be faster;
 * Playwright's own click waits for animation frames and hit tests that take 300-600 ms on a loaded machine,
 * which would be the driver's time, not the app's).
 * @param {boolean} instantUser
 */
function instrument(instantUser) {
  const now = () => performance.timeOrigin + performance.now();
  const marks = { gumAsked: 0, gum: 0, load: 0, click: 0, join: 0, welcome: 0, offer: 0, pc: 0, ice: 0, frames: /** @type {number[]} */ ([]), sizes: /** @type {string[]} */ ([]) };
  /** @type {any} */ (window).__together = marks;
  window.addEventListener('load', () => { marks.load = now(); });
  window.addEventListener('click', () => { if (!marks.click) marks.click = now(); }, true);
  // ruang's signaling is JSON over a WebSocket (the seed app's socket.io frames are not: they stay 0)
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        try { if (JSON.parse(e.data).type === 'welcome' && !marks.welcome) marks.welcome = now(); } catch { /* not JSON */ }
      });
    }
    send(data) {
      try {
        const m = JSON.parse(data);
        if (m.type === 'join' && !marks.join) marks.join = now();
        if (m.type === 'signal' && m.data?.kind === 'offer' && !marks.offer) marks.offer = now();
      } catch { /* not JSON */ }
      super.send(data);
    }
  };
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => {
    if (!marks.gumAsked) marks.gumAsked = now();
    const s = await gum(c);
    if (!marks.gum) marks.gum = now();
    return s;
  };
  if (instantUser) {
    // the page's scripts run before DOMContentLoaded: the button may be there already (the observer would
    // then wait for some later change of the page)
    const clickWhenThere = () => {
      const button = document.getElementById('join-button');
      if (!button) return false;
      requestAnimationFrame(() => requestAnimationFrame(() => button.click()));
      return true;
    };
    const watch = new MutationObserver(() => { if (clickWhenThere()) watch.disconnect(); });
    document.addEventListener('DOMContentLoaded', () => { if (!clickWhenThere()) watch.observe(document.body, { childList: true, subtree: true }); });
  }
  const NativePC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePC {
    constructor(...args) {
      super(...args);
      if (!marks.pc) marks.pc = now();
      this.addEventListener('iceconnectionstatechange', () => {
        if (this.iceConnectionState === 'connected' && !marks.ice) marks.ice = now();
      });
      this.addEventListener('track', (e) => {
        if (e.track.kind !== 'video') return;
        const poll = async () => {
          let decoded = 0;
          let size = '';
          (await e.receiver.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') { decoded = s.framesDecoded ?? 0; size = `${s.frameWidth}×${s.frameHeight}`; }
          });
          if (decoded > 0) { marks.frames.push(now()); marks.sizes.push(size); }
          else setTimeout(poll, 2);
        };
        poll();
      });
    }
  };
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = /** @type {any} */ (s.address()); s.close(() => resolve(port)); });
  });
}

/**
 * A copy of the seed app whose page asks no ICE servers (the only change), in a temporary directory.
 * @returns {Promise<string>} the directory
 */
async function seedCopy() {
  const seed = /** @type {string} */ (SEED_DIR);
  const dir = await mkdtemp(path.join(tmpdir(), 'ruang-seed-'));
  for (const part of ['src', 'public', 'ssl']) await cp(path.join(seed, part), path.join(dir, part), { recursive: true });
  await symlink(path.join(seed, 'node_modules'), path.join(dir, 'node_modules'));
  const main = path.join(dir, 'public/js/main.js');
  const source = await readFile(main, 'utf8');
  const patched = source.replace(/"iceServers":\s*\[[\s\S]*?\n\s*\]/, '"iceServers": []');
  if (patched === source) throw new Error('the seed app\'s page names no iceServers list to empty: a different version?');
  await writeFile(main, patched);
  return dir;
}

/** Starts the seed app (a copy: seedCopy()) on a free port; resolves when it listens. */
async function startSeed() {
  const port = await freePort();
  const dir = await seedCopy();
  const child = spawn(process.execPath, ['src/app.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => { child.kill(); await rm(dir, { recursive: true, force: true }); };
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the seed app did not listen within 15 s')), 15_000);
      child.stdout.on('data', (d) => { if (String(d).includes('listening')) { clearTimeout(timer); resolve(null); } });
      child.once('exit', (code) => reject(new Error(`the seed app exited (${code})`)));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  // its per-connection console lines are not needed
  child.stdout.removeAllListeners('data').resume();
  child.stderr.resume();
  return { url: `https://127.0.0.1:${port}/`, stop };
}

/**
 * How the pages are opened (OPEN=): `goto` (the default, the issue's measure), a blank tab (Playwright's
 * `newPage()`) navigated to the link; `tab`, a new tab opened with the link, as a browser opens a link
 * handed to it by another app (a chat, a mail, a calendar): the tab's renderer is started for it. The two
 * differ for a page sent with `Cross-Origin-Opener-Policy` (ruang's `same-origin`; the seed app sends none):
 * navigating a blank tab, the browser cannot keep the blank page's renderer for it and starts another once
 * the response is in (~110 ms here, docs/benchmarks.md); in a new tab every page starts one.
 */
const OPEN = process.env.OPEN === 'tab' ? 'tab' : 'goto';

/** A context per page (its own storage, as separate people's browsers), instrumented before any script. */
async function openContexts(browser, size, app) {
  const contexts = [];
  for (let n = 0; n < size; n++) {
    const context = await browser.newContext({ viewport: { width: 640, height: 480 }, ignoreHTTPSErrors: true });
    if (app !== 'seed') {
      // a returning user (of ruang, or of the ruang before a change): the name is remembered
      await context.addInitScript((name) => { try { localStorage.setItem('ruang.name', name); } catch { /* */ } }, `p${n}`);
    }
    await context.addInitScript(instrument, app !== 'seed' && INSTANT);
    contexts.push(context);
  }
  return contexts;
}

/** The browser's id of a Playwright context (for CDP's Target.createTarget), read through a blank page closed again. */
async function contextId(context) {
  const page = await context.newPage();
  const session = await context.newCDPSession(page);
  const { targetInfo } = await session.send('Target.getTargetInfo');
  await session.detach();
  await page.close();
  return targetInfo.browserContextId;
}

/** Every context opens `target` at once (see OPEN): its pages, and t0 (just before the first was asked for). */
async function openTogether(browser, contexts, target) {
  if (OPEN === 'goto') {
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    const t0 = Date.now();
    await Promise.all(pages.map((page) => page.goto(target)));
    return { pages, t0 };
  }
  const ids = await Promise.all(contexts.map(contextId));
  const cdp = await browser.newBrowserCDPSession();
  const opened = contexts.map((context) => context.waitForEvent('page'));
  const t0 = Date.now();
  await Promise.all(ids.map((browserContextId) => cdp.send('Target.createTarget', { url: target, browserContextId })));
  const pages = await Promise.all(opened);
  await cdp.detach();
  await Promise.all(pages.map((page) => page.waitForLoadState('load')));
  return { pages, t0 };
}

/** One run: every page opens at t0; the time until every page decodes all the others. */
async function run(browser, app, url, size) {
  const contexts = await openContexts(browser, size, app);
  const target = app === 'seed' ? url : `${url}r/${roomName(`together${size}`)}`;
  const { pages, t0 } = await openTogether(browser, contexts, target);
  if (app !== 'seed' && !INSTANT) await Promise.all(pages.map((page) => page.locator('#join-button').click()));
  const marks = async () => Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).__together)));
  const deadline = Date.now() + 60_000;
  let seen = await marks();
  while (seen.some((m) => m.frames.length < size - 1)) {
    if (Date.now() > deadline) throw new Error(`${app}: not every page decodes every other within 60 s: ${JSON.stringify(seen.map((m) => m.frames.length))}`);
    await new Promise((r) => setTimeout(r, 25));
    seen = await marks();
  }
  for (const context of contexts) await context.close();
  const rel = (t) => t - t0;
  const last = (key) => Math.max(...seen.map((m) => rel(m[key])));
  return {
    size: seen[0].sizes[0],
    total: Math.max(...seen.flatMap((m) => m.frames.slice(0, size - 1).map(rel))),
    load: last('load'), gumAsked: last('gumAsked'), gum: last('gum'), click: last('click'), join: last('join'),
    welcome: last('welcome'), offer: last('offer'), pc: last('pc'), ice: last('ice'),
  };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const fmt = (xs) => `median ${String(Math.round(median(xs))).padStart(5)}  min ${String(Math.round(Math.min(...xs))).padStart(5)}  max ${String(Math.round(Math.max(...xs))).padStart(5)}`;

for (const size of (process.env.SIZES || '2,3').split(',').map(Number)) {
  test(`call setup together: ${size} pages opened at once, ruang and the seed app`, async ({ browser }) => {
    test.skip(!SEED_DIR, 'SEED_DIR (an installed copy of the seed app) is not set');
    /** @type {Record<string, { url: string, stop: () => Promise<void> }>} */
    const servers = { ruang: await startServer(), seed: await startSeed() };
    if (BEFORE) servers.before = await startServer([], { bin: BEFORE });
    const apps = Object.keys(servers);
    try {
      /** @type {Record<string, Record<string, number>[]>} */
      const results = Object.fromEntries(apps.map((app) => [app, []]));
      for (let i = 0; i < RUNS; i++) {
        // rotate which goes first, so none always follows another's teardown
        const order = apps.map((_, k) => apps[(i + k) % apps.length]);
        for (const app of order) results[app].push(await run(browser, app, servers[app].url, size));
      }
      console.log(`call setup together, ${size} pages, ${RUNS} runs each (ms from opening; pages opened: ${OPEN}):`);
      for (const app of apps) {
        const r = results[app];
        console.log(`  ${app.padEnd(5)} everyone decodes everyone ${fmt(r.map((x) => x.total))}  (first frame decoded: ${r[0].size})`);
        const steps = [['load', 'page loaded'], ['gumAsked', 'camera asked'], ['gum', 'camera running'], ['click', 'Join clicked'],
          ['join', 'join sent'], ['welcome', 'welcome'], ['pc', 'peer connection made'], ['offer', 'first offer sent'], ['ice', 'ICE connected']];
        for (const [key, label] of steps.filter(([key]) => r.every((x) => x[key] > 0))) {
          console.log(`  ${''.padEnd(5)} ${`${label} (last page)`.padEnd(25)} ${fmt(r.map((x) => x[key]))}`);
        }
      }
      const ratio = median(results.ruang.map((x) => x.total)) / median(results.seed.map((x) => x.total));
      console.log(`  ruang / seed (medians): ${ratio.toFixed(2)}`);
      if (BEFORE) console.log(`  ruang / before (medians): ${(median(results.ruang.map((x) => x.total)) / median(results.before.map((x) => x.total))).toFixed(2)}`);
    } finally {
      for (const server of Object.values(servers)) await server.stop();
    }
  });
}
