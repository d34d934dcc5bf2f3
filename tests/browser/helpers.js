// Shared fixtures and helpers for the ruang browser tests: open participants (one browser context each),
// read getStats() through the page's test hook (window.ruang), and assert on media really flowing.
import { test as base, expect } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { iceReport, nonLoopback } from './ice-addresses.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/** A fresh room name per test, so tests never see each other. */
export function roomName(prefix = 't') {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * @typedef {{ page: import('@playwright/test').Page, context: import('@playwright/test').BrowserContext,
 *   id: string, name: string }} Participant
 * (`id` is '' for a page that did not get into the call: `until: 'waiting'` or `'none'`)
 */

export const test = base.extend({
  // eslint-disable-next-line no-empty-pattern
  baseUrl: async ({}, use) => {
    const url = process.env.RUANG_URL;
    if (!url) throw new Error('RUANG_URL is not set: global-setup.js did not run');
    await use(url);
  },

  /**
   * open({ room, name, receiveOnly, mic, camera, viewport, url, hash, until, onPage, locale, beforeJoin }) → a
   * participant in the call. `hash`: a fragment for the room's address (e.g. '#invite=…'); `until`: what to
   * wait for after clicking join — 'call' (default), 'waiting' (the lobby's waiting screen) or 'none';
   * `locale`: the browser's language (default en-US: specs find controls by their English names);
   * `beforeJoin`: called on the filled pre-join screen, before Join is clicked; `ignoreHTTPSErrors`: the
   * browser accepts a self-signed certificate (a server started with '--tls-self-signed').
   */
  join: async ({ browser, baseUrl }, use) => {
    /** @type {import('@playwright/test').BrowserContext[]} */
    const contexts = [];
    /** uncaught exceptions and console errors of every participant's page: a test fails on any */
    /** @type {string[]} */
    const errors = [];
    /**
     * @param {{ room: string, name: string, receiveOnly?: boolean, mic?: boolean, camera?: boolean,
     *   viewport?: { width: number, height: number }, url?: string, hash?: string, until?: 'call' | 'waiting' | 'none',
     *   onPage?: (page: import('@playwright/test').Page) => unknown, locale?: string,
     *   beforeJoin?: (page: import('@playwright/test').Page) => Promise<unknown>, ignoreHTTPSErrors?: boolean }} o
     *   onPage: called before the page loads; a promise it returns (a route being set up) is awaited first
     * @returns {Promise<Participant>}
     */
    const join = async ({ room, name, receiveOnly = false, mic = true, camera = true, viewport, url = baseUrl, hash = '', until = 'call', onPage, locale = 'en-US', beforeJoin, ignoreHTTPSErrors = false }) => {
      const context = await browser.newContext({ viewport: viewport ?? { width: 1000, height: 640 }, locale, ignoreHTTPSErrors });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(`[${name}] page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        // The browser's own line for a WebSocket that could not connect: the page reconnects whenever its
        // server goes away (tests stop servers, some on purpose mid-call), and a page cannot silence it.
        if (/^WebSocket connection to '[^']*' failed/.test(msg.text())) return;
        errors.push(`[${name}] console error: ${msg.text()}`);
      });
      await onPage?.(page); // e.g. to watch or route the WebSocket from the start (a route must be in place before goto)
      await page.goto(`${url}r/${room}${hash}`);
      // (an invitation with a name fills the field, read-only)
      if (await page.locator('#name-input').getAttribute('readonly') === null) await page.locator('#name-input').fill(name);
      if (!receiveOnly) {
        // wait for the preview to have both devices, then set the wanted state
        await expect(page.locator('#prejoin-camera')).toHaveAttribute('aria-pressed', 'true');
        await expect(page.locator('#prejoin-mic')).toHaveAttribute('aria-pressed', 'true');
        if (!camera) await page.locator('#prejoin-camera').click();
        if (!mic) await page.locator('#prejoin-mic').click();
        await beforeJoin?.(page);
        await page.locator('#join-button').click();
      } else {
        await beforeJoin?.(page);
        await page.locator('#join-receive-only').click();
      }
      if (until === 'waiting') await expect(page.locator('#waiting')).toBeVisible();
      if (until !== 'call') return { page, context, id: '', name };
      await expect(page.locator('#call')).toBeVisible();
      const id = await page.evaluate(() => /** @type {any} */ (window).ruang.state.you);
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      return { page, context, id, name };
    };
    await use(join);
    for (const c of contexts) await c.close().catch(() => {});
    expect(errors, 'errors in the pages').toEqual([]);
  },
});

export { expect };

/**
 * Inbound media counters per remote participant, from getStats() on each RTCPeerConnection.
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<Record<string, { framesDecoded: number, videoBytes: number, audioBytes: number, connection: string }>>}
 */
export function inboundStats(page) {
  return page.evaluate(async () => {
    /** @type {Record<string, any>} */
    const out = {};
    for (const [id, pc] of /** @type {any} */ (window).ruang.peers) {
      const s = { framesDecoded: 0, videoBytes: 0, audioBytes: 0, connection: pc.connectionState };
      (await pc.getStats()).forEach((/** @type {any} */ r) => {
        if (r.type !== 'inbound-rtp') return;
        if (r.kind === 'video') { s.framesDecoded += r.framesDecoded ?? 0; s.videoBytes += r.bytesReceived ?? 0; }
        if (r.kind === 'audio') s.audioBytes += r.bytesReceived ?? 0;
      });
      out[id] = s;
    }
    return out;
  });
}

/**
 * Assert that video frames are being decoded and audio bytes arrive, and keep growing, from each of `from`.
 * @param {Participant} p the receiving participant
 * @param {Participant[]} from senders
 * @param {{ audio?: boolean, video?: boolean }} [what]
 */
export async function expectMediaFrom(p, from, { audio = true, video = true } = {}) {
  const ids = from.map((x) => x.id);
  /** @type {Record<string, any>} */
  let first = {};
  await expect.poll(async () => {
    first = await inboundStats(p.page);
    return ids.every((id) => first[id] && (!video || first[id].framesDecoded > 0) && (!audio || first[id].audioBytes > 0));
  }, { message: `${p.name} receives media from ${from.map((x) => x.name).join(', ')}`, timeout: 20_000 }).toBe(true);
  await expect.poll(async () => {
    const now = await inboundStats(p.page);
    return ids.every((id) => (!video || now[id].framesDecoded > first[id].framesDecoded)
      && (!audio || now[id].audioBytes > first[id].audioBytes));
  }, { message: `${p.name}: media from ${from.map((x) => x.name).join(', ')} keeps flowing`, timeout: 10_000 }).toBe(true);
}

/**
 * The tile of `id` in `p`'s page.
 * @param {Participant} p
 * @param {string} id
 */
export function tile(p, id) {
  return p.page.locator(`.tile[data-peer-id="${id}"]`);
}

/** Remote participants' tiles (everyone but me; not their screen shares' tiles) in `p`'s page. @param {Participant} p */
export function remoteTiles(p) {
  return p.page.locator('.tile[data-peer-id][data-local="false"]');
}

/**
 * The tile of `id`'s screen share in `p`'s page.
 * @param {Participant} p
 * @param {string} id
 */
export function screenTile(p, id) {
  return p.page.locator(`.tile[data-screen-of="${id}"]`);
}

/**
 * `p` shows video in `id`'s screen share tile, and it keeps playing: frames painted by its <video> element
 * (getVideoPlaybackQuality), whatever the transport.
 * @param {Participant} p
 * @param {string} id
 */
export async function expectScreenFrom(p, id) {
  const frames = () => p.page.locator(`.tile[data-screen-of="${id}"] video`).evaluate((v) => {
    const video = /** @type {HTMLVideoElement} */ (v);
    return video.videoWidth > 0 ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  });
  let first = 0;
  await expect.poll(async () => (first = await frames()), { message: `${p.name} shows ${id}'s screen`, timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(frames, { message: `${p.name}: ${id}'s screen keeps playing`, timeout: 10_000 }).toBeGreaterThan(first);
}

/**
 * Save a screenshot into artifacts/.
 * @param {import('@playwright/test').Page} page
 * @param {string} name
 */
export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/**
 * The selected candidate pair of every peer connection in `page` (from the transport stats, or else the
 * nominated succeeded pair): candidate types and addresses, or null where none is selected yet.
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<({ local: string, localAddress: string, relayProtocol: string | undefined,
 *   remote: string, remoteAddress: string } | null)[]>}
 */
export function selectedPairs(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of /** @type {any} */ (window).ruang.peers.values()) {
      const stats = await pc.getStats();
      /** @type {any} */ let pair;
      stats.forEach((/** @type {any} */ s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
      if (!pair) { // no transport stats: the nominated, succeeded pair
        stats.forEach((/** @type {any} */ s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
      }
      const local = pair && stats.get(pair.localCandidateId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      out.push(pair ? {
        local: local?.candidateType, localAddress: `${local?.address}:${local?.port}`, relayProtocol: local?.relayProtocol,
        remote: remote?.candidateType, remoteAddress: `${remote?.address}:${remote?.port}`,
      } : null);
    }
    return out;
  });
}

/**
 * Start sampling, inside the page, every remote video's framesDecoded (getStats() on every peer
 * connection) every `everyMs`. Read the samples with stopFrameSampler().
 * @param {import('@playwright/test').Page} page
 * @param {number} [everyMs]
 */
export function startFrameSampler(page, everyMs = 250) {
  return page.evaluate((ms) => {
    const w = /** @type {any} */ (window);
    /** @type {Record<string, [number, number][]>} peer id → [time ms, framesDecoded] */
    const samples = {};
    let busy = false;
    const sample = async () => {
      if (busy) return; // a slow getStats(): skip a beat rather than pile up
      busy = true;
      try {
        for (const [id, pc] of w.ruang.peers) {
          let frames = 0;
          let at = performance.timeOrigin + performance.now();
          (await pc.getStats()).forEach((/** @type {any} */ r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') { frames += r.framesDecoded ?? 0; at = r.timestamp; }
          });
          (samples[id] ??= []).push([at, frames]);
        }
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(sample, ms);
    w.__frameSampler = { samples, timer, sample, busy: () => busy };
  }, everyMs);
}

/**
 * Stop the sampler; per remote participant: its samples and the longest stall, i.e. the longest window
 * between two samples with the same framesDecoded (no frame decoded from its first to its last sample).
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<Record<string, { samples: [number, number][], stallMs: number, stallAt: number, maxGapMs: number }>>}
 */
export async function stopFrameSampler(page) {
  const samples = await page.evaluate(async () => {
    const s = /** @type {any} */ (window).__frameSampler;
    clearInterval(s.timer);
    // one last sample, so that the samples reach the moment of stopping (a short test may stop between beats)
    for (let i = 0; i < 200 && s.busy(); i++) await new Promise((r) => setTimeout(r, 10));
    await s.sample();
    return /** @type {Record<string, [number, number][]>} */ (s.samples);
  });
  /** @type {Record<string, { samples: [number, number][], stallMs: number, stallAt: number, maxGapMs: number }>} */
  const out = {};
  for (const [id, list] of Object.entries(samples)) {
    let stallMs = 0;
    let stallAt = 0;
    let maxGapMs = 0;
    let runStart = 0;
    for (let i = 0; i < list.length; i++) {
      if (i > 0) maxGapMs = Math.max(maxGapMs, list[i][0] - list[i - 1][0]);
      if (i === 0 || list[i][1] !== list[i - 1][1]) runStart = i;
      const run = list[i][0] - list[runStart][0];
      if (run > stallMs) { stallMs = run; stallAt = list[runStart][0]; }
    }
    out[id] = { samples: list, stallMs: Math.round(stallMs), stallAt, maxGapMs: Math.round(maxGapMs) };
  }
  return out;
}

/**
 * framesDecoded of remote `id` at the first sample at or after time `t` (ms since the epoch), or null.
 * @param {[number, number][]} samples
 * @param {number} t
 */
export function framesAt(samples, t) {
  const s = samples.find(([at]) => at >= t);
  return s ? s[1] : null;
}

/**
 * The page's connection to the server, from the test hook.
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<{ state: string, you: string | null, reconnects: number, resumes: number, rejoins: number,
 *   lastOutageMs: number | null, lastReplay: string | null, lastLoss: string, pcCreated: number }>}
 */
export function serverInfo(page) {
  return page.evaluate(() => {
    const st = /** @type {any} */ (window).ruang.state;
    return { ...st.server, pcCreated: st.pcCreated };
  });
}

// evaluated through the DevTools protocol: the page's Content-Security-Policy (script-src 'self') stays on
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core (WCAG 2.1 A/AA rules) finds no violations on the page as it is now.
 * @param {import('@playwright/test').Page} page
 * @param {string} where
 */
export async function expectNoViolations(page, where) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await /** @type {any} */ (window).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((/** @type {any} */ v) => `${v.id}: ${v.help} (${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, where).toEqual([]);
}

/**
 * A participant's row in `p`'s participant list (the panel need not be open).
 * @param {Participant} p
 * @param {string} id
 */
export function personRow(p, id) {
  return p.page.locator(`#people-list .person[data-peer-id="${id}"]`);
}

/**
 * Open `p`'s participant list (if closed) and, if `id` is given, that participant's group of controls.
 * @param {Participant} p
 * @param {string} [id]
 */
export async function openPeople(p, id) {
  if (await p.page.locator('#people-panel').isHidden()) await p.page.locator('#btn-people').click();
  await expect(p.page.locator('#people-panel')).toBeVisible();
  if (!id) return;
  const more = personRow(p, id).locator('.person-more');
  if (await more.getAttribute('aria-expanded') !== 'true') await more.click();
  await expect(personRow(p, id).locator('.person-actions')).toBeVisible();
}

/**
 * Each page's calls use loopback addresses only: a nominated pair on each, every candidate gathered or in
 * the stats on 127.0.0.0/8 or ::1 (polled: a pair that just connected may not be nominated in the stats
 * yet). The pages must have been set up with ice-addresses.js's recordConnectionsInPage before loading.
 * @param {{ page: { evaluate: Function }, name: string }[]} pages Chromium (Playwright) or Firefox (puppeteer) pages
 */
export async function expectLoopbackOnly(pages) {
  for (const p of pages) {
    await expect.poll(async () => nonLoopback(await iceReport(p.page)),
      { message: `${p.name}: every address of its calls is loopback`, timeout: 10_000 }).toEqual([]);
  }
}
