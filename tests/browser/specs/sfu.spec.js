// SFU rooms (issue #15): six pages each decode the five others over at most two peer connections; an
// `auto` room moves to the SFU when the 4th person joins and video keeps decoding (the longest stall is
// measured and printed); a small tile gets a smaller simulcast layer; eight pages in an `auto` room all
// decode each other; a file goes peer to peer in an SFU room; a screen share goes beside the camera.
// Cost: these are the heaviest browser tests (up to eight pages on a 2-core machine), so the fake camera
// sends 320×180 at 15 fps (layers 45, 90 and 180 tall) and every check is on counters, not on time.
import { test, expect, roomName, inboundStats, startFrameSampler, stopFrameSampler, tile, screenTile, expectScreenFrom } from '../helpers.js';
import { CHROMIUM_ARGS } from '../playwright.config.js';
import { startServer } from '../server.js';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/** @typedef {import('../helpers.js').Participant} Participant */
/** @typedef {import('../server.js').Server} Server */

// Chromium sends as many simulcast layers as the resolution "deserves" (one at 320×180): all three here.
test.use({ launchOptions: { executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/'] } });

/** @type {Server} */ let sfuServer;
/** @type {Server} */ let autoServer;
test.beforeAll(async () => {
  [sfuServer, autoServer] = await Promise.all([
    startServer(['--media-mode', 'sfu']),
    startServer(['--media-mode', 'auto', '--sfu-threshold', '4']),
  ]);
});
test.afterAll(async () => {
  await Promise.all([sfuServer?.stop(), autoServer?.stop()]);
});

/** The fake camera of most pages: 320×180 at 15 fps (simulcast layers 45, 90 and 180 tall). */
const CAMERA = { width: 320, height: 180, fps: 15 };
/** Eight pages on two cores: a smaller, slower camera (layers 22, 45 and 90 tall) keeps the machine able to keep up. */
const SMALL_CAMERA = { width: 160, height: 90, fps: 10 };

/** What each page's client said about its connections (`ruang: …` console lines), for failure reports. */
const pageLog = new WeakMap();

/**
 * Before the page loads: a small fake camera and a count of every RTCPeerConnection made.
 * @param {import('@playwright/test').Page} page @param {{ width: number, height: number, fps: number }} camera
 */
function instrument(page, camera = CAMERA) {
  const started = Date.now();
  /** @type {string[]} */
  const lines = [];
  pageLog.set(page, lines);
  page.on('console', (msg) => { if (/^ruang: /.test(msg.text())) lines.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${msg.text()}`); });
  return page.addInitScript((camera) => {
    const w = /** @type {any} */ (window);
    const Native = w.RTCPeerConnection;
    w.__pcs = [];
    w.RTCPeerConnection = class extends Native {
      /** @param {any[]} args */
      constructor(...args) { super(...args); w.__pcs.push(this); }
    };
    const md = navigator.mediaDevices;
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = (/** @type {any} */ c) => {
      if (c && c.video) c = { ...c, video: { ...(typeof c.video === 'object' ? c.video : {}), width: { ideal: camera.width }, height: { ideal: camera.height }, frameRate: { ideal: camera.fps, max: camera.fps } } };
      return gum(c);
    };
  }, camera);
}

/**
 * Open `names` as participants of `room` on `server`, one after another.
 * @param {(o: any) => Promise<Participant>} join @param {Server} server @param {string} room @param {string[]} names
 */
async function joinAll(join, server, room, names, camera = CAMERA) {
  const out = [];
  for (const name of names) out.push(await join({ room, name, url: server.url, onPage: (/** @type {any} */ page) => instrument(page, camera) }));
  return out;
}

/** @param {Participant} p */
const snapshot = (p) => p.page.evaluate(() => /** @type {any} */ (window).ruang.state);

/** The servers' warnings on the console; their whole log to $RUANG_SERVER_LOG when set. */
function dumpServers() {
  // the namespace's UDP counters (receive-buffer overflows) and the drops per UDP socket (last column)
  try {
    console.log(readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:')).join('\n'));
    console.log(readFileSync('/proc/net/udp', 'utf8').split('\n').filter((l) => /local_address/.test(l) || Number(l.trim().split(/\s+/).at(-1)) > 0).join('\n'));
  } catch { /* not Linux */ }
  for (const s of [sfuServer, autoServer]) console.log(s.output().split('\n').filter((l) => /WARN|ERROR/.test(l)).slice(-15).join('\n'));
  if (process.env.RUANG_SERVER_LOG) {
    writeFileSync(process.env.RUANG_SERVER_LOG, autoServer.output() + '\n---- sfu server ----\n' + sfuServer.output());
  }
}

/**
 * Every page decodes video from every other one, and keeps decoding it.
 * @param {Participant[]} all
 */
async function expectAllDecode(all) {
  for (const p of all) {
    const others = all.filter((o) => o !== p).map((o) => o.id);
    /** @type {Record<string, any>} */
    let first = {};
    await expect.poll(async () => {
      first = await inboundStats(p.page);
      return others.filter((id) => !(first[id]?.framesDecoded > 0)).length;
    }, { message: `${p.name} decodes video from all ${others.length} others`, timeout: 60_000 }).toBe(0)
      .catch(async (err) => {
        // what the page's media transport was doing, for the report
        console.log(`${p.name}: ${JSON.stringify((await snapshot(p)).transport)} ${JSON.stringify(first)}`);
        for (const q of all) {
          const got = await inboundStats(q.page);
          const missing = all.filter((o) => o !== q && !(got[o.id]?.framesDecoded > 0)).map((o) => o.name);
          const tracks = await q.page.evaluate(() => /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs)
            .filter((pc) => pc.connectionState !== 'closed').map((pc) => `${pc.signalingState} ${pc.getTransceivers().length}`));
          console.log(`  ${q.name} (${q.id}): no video from [${missing.join(', ')}]; connections ${tracks.join(' | ')}; sending ${await sending(q)}`);
          console.log(`    ${(pageLog.get(q.page) ?? []).slice(-8).join('\n    ')}`);
        }
        dumpServers();
        throw err;
      });
    /** @type {Record<string, any>} */
    let now = {};
    await expect.poll(async () => {
      now = await inboundStats(p.page);
      return others.filter((id) => !(now[id]?.framesDecoded > first[id].framesDecoded)).length;
    }, { message: `${p.name}: video from all others keeps decoding`, timeout: 30_000 }).toBe(0)
      .catch(async (err) => {
        const stuck = others.filter((id) => !(now[id]?.framesDecoded > first[id].framesDecoded));
        console.log(`${p.name}: stopped decoding ${stuck.map((id) => all.find((o) => o.id === id)?.name).join(', ')}: ${JSON.stringify(stuck.map((id) => now[id]))}`);
        console.log(`  their receivers: ${await p.page.evaluate(async (ids) => {
          const out = [];
          for (const id of ids) {
            const pc = /** @type {any} */ (window).ruang.peers.get(id);
            (await pc.getStats()).forEach((/** @type {any} */ r) => {
              if (r.type === 'inbound-rtp' && r.kind === 'video') out.push(`${id}: received ${r.framesReceived} decoded ${r.framesDecoded} dropped ${r.framesDropped} key ${r.keyFramesDecoded} ${r.frameHeight}p pli ${r.pliCount} nack ${r.nackCount} lost ${r.packetsLost}`);
            });
          }
          return out.join('; ');
        }, stuck)}`);
        for (const q of all) console.log(`  ${q.name} sends ${await sending(q)}\n    ${(pageLog.get(q.page) ?? []).slice(-8).join('\n    ')}`);
        dumpServers();
        throw err;
      });
  }
}

/**
 * What a page sends, per simulcast layer (rid: frames encoded, size, why limited) and the bandwidth its
 * connections estimate, for a failure report.
 * @param {Participant} p
 */
const sending = (p) => p.page.evaluate(async () => {
  const out = [];
  for (const pc of /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs)) {
    if (pc.connectionState === 'closed') continue;
    out.push(`[${pc.connectionState}/${pc.iceConnectionState} ${pc.getTransceivers().slice(0, 2).map((t) => `${t.mid}:${t.direction}/${t.currentDirection}/${t.sender.track?.readyState ?? 'no track'}`).join(' ')}]`);
    const stats = await pc.getStats();
    stats.forEach((/** @type {any} */ r) => {
      if (r.type === 'outbound-rtp') out.push(`${r.kind} ${r.rid ?? '-'}:${r.framesEncoded ?? 0}f ${r.packetsSent ?? 0}pkts ${r.keyFramesEncoded ?? 0}k ${r.pliCount ?? 0}pli ${r.frameHeight ?? 0}p ${r.qualityLimitationReason ?? ''}`);
      if (r.type === 'transport') {
        // the pair in use: host or relay (and the relay's transport), to the SFU's UDP or TCP
        const pair = stats.get(r.selectedCandidatePairId);
        const local = pair && stats.get(pair.localCandidateId);
        const remote = pair && stats.get(pair.remoteCandidateId);
        const via = local ? `${local.candidateType}/${local.protocol}${local.relayProtocol ? `/${local.relayProtocol}` : ''} → ${remote?.candidateType}/${remote?.protocol}` : 'no pair';
        out.push(`dtls ${r.dtlsState} ice ${r.iceState ?? ''} via ${via} pkts out ${r.packetsSent ?? '?'} in ${r.packetsReceived ?? '?'}`);
      }
      if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate) out.push(`out ${Math.round(r.availableOutgoingBitrate / 1000)} kbit/s`);
    });
  }
  return out.join(', ');
});

/** The page's peer connections that are not closed, and how many it made. @param {Participant} p */
const connections = (p) => p.page.evaluate(() => {
  const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs);
  return { made: pcs.length, open: pcs.filter((pc) => pc.connectionState !== 'closed').length };
});

test('six pages in an SFU room each decode the five others over at most two peer connections', async ({ join }) => {
  test.setTimeout(180_000);
  const room = roomName('sfu6');
  const all = await joinAll(join, sfuServer, room, ['Ayu', 'Bima', 'Citra', 'Dewi', 'Eka', 'Fajar']);
  for (const p of all) expect((await snapshot(p)).mediaMode, `${p.name} is told the room is in SFU mode`).toBe('sfu');
  await expectAllDecode(all);
  for (const p of all) {
    const c = await connections(p);
    // (the one made ahead on the pre-join screen, closed unused, and the one to the SFU)
    expect(c.made, `${p.name}: peer connections made`).toBeLessThanOrEqual(2);
    expect(c.open, `${p.name}: peer connections open`).toBe(1);
  }
});

test('an auto room moves to the SFU when the 4th person joins, and video keeps decoding', async ({ join }) => {
  test.setTimeout(180_000);
  const room = roomName('auto4');
  const first = await joinAll(join, autoServer, room, ['Ayu', 'Bima', 'Citra']);
  for (const p of first) expect((await snapshot(p)).mediaMode).toBe('mesh');
  await expectAllDecode(first);
  for (const p of first) await startFrameSampler(p.page, 100);
  const [dewi] = await joinAll(join, autoServer, room, ['Dewi']);
  const all = [...first, dewi];
  for (const p of all) {
    await expect.poll(async () => {
      const s = await snapshot(p);
      return `${s.mediaMode} ${s.transport?.switching ? 'switching' : 'settled'} ${s.transport?.links.mesh}`;
    }, { message: `${p.name} moved to the SFU and closed its mesh`, timeout: 30_000 }).toBe('sfu settled 0');
  }
  await expectAllDecode(all);
  let longest = { ms: 0, where: '' };
  for (const p of first) {
    const stalls = await stopFrameSampler(p.page);
    const switched = (await snapshot(p)).transport.lastSwitch;
    const origin = await p.page.evaluate(() => performance.timeOrigin);
    for (const o of first.filter((x) => x !== p)) {
      const s = stalls[o.id];
      expect(s, `${p.name} sampled ${o.name}`).toBeTruthy();
      const at = Math.round(s.stallAt - origin - switched.startedAt);
      if (s.stallMs > longest.ms) longest = { ms: s.stallMs, where: `${p.name} ← ${o.name}, from ${at} ms after the switch began` };
    }
    const t = (await snapshot(p)).transport.sfuTimes;
    console.log(`switch to SFU on ${p.name}: handed over in ${Math.round(switched.endedAt - switched.startedAt)} ms; SFU up in ${t.up} ms, media from each after ${JSON.stringify(Object.values(t.media))} ms`);
  }
  console.log(`longest video stall during the move to the SFU: ${longest.ms} ms (${longest.where})`);
  expect(longest.ms, 'no video stalled for long during the switch').toBeLessThan(12_000);
});

// History: it failed in two clean `.ci/run`s (2026-12-07: Bima decoded Ayu 160 wide, never 320) and about
// one run in six here under load. Cause: after a key-frame request Chromium sends a key frame on every
// layer at once; the SFU wrote them with their arrival times, by which str0m orders its send queue, so
// the new layer's key frame could go out before the old layer's and Bima decoded the new layer's frames on
// the old layer's picture (160 wide, garbled, no decoding error). Fixed in `TrackOut::stamp`. A failure
// prints what each page sends and decodes per layer, and every poll of Bima's decoder.
/**
 * What a page sends to the SFU per simulcast layer, and what its connection's estimate allows, for failure
 * reports.
 * @param {Participant} p
 */
async function sendingReport(p) {
  return p.page.evaluate(async () => {
    const out = /** @type {any[]} */ ([]);
    for (const pc of /** @type {any} */ (window).__pcs) {
      (await pc.getStats()).forEach((/** @type {any} */ r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') out.push({ rid: r.rid, ssrc: r.ssrc, width: r.frameWidth, fps: r.framesPerSecond, frames: r.framesEncoded, keys: r.keyFramesEncoded, bytes: r.bytesSent, limit: r.qualityLimitationReason, target: r.targetBitrate, plis: r.pliCount });
        if (r.type === 'inbound-rtp' && r.kind === 'video') out.push({ in: r.ssrc, width: r.frameWidth, height: r.frameHeight, decoded: r.framesDecoded, keys: r.keyFramesDecoded, dropped: r.framesDropped, bytes: r.bytesReceived, plis: r.pliCount, firs: r.firCount, nacks: r.nackCount, freezes: r.freezeCount, codec: r.codecId });
        if (r.type === 'candidate-pair' && r.nominated) out.push({ pair: r.state, outgoing: r.availableOutgoingBitrate });
      });
    }
    return out;
  });
}

test('a subscriber whose tile is small receives a smaller layer', async ({ join }) => {
  test.setTimeout(120_000);
  const room = roomName('sfulayer');
  const [ayu, bima] = await joinAll(join, sfuServer, room, ['Ayu', 'Bima']);
  await expectAllDecode([ayu, bima]);
  /** The width of the frames Bima decodes from Ayu. */
  /** @type {string[]} what each poll saw, for a failure report */
  const seen = [];
  const width = async () => {
    let w = 0;
    (await bima.page.evaluate(async (id) => {
      const pc = /** @type {any} */ (window).ruang.peers.get(id);
      const out = /** @type {any[]} */ ([]);
      (await pc.getStats()).forEach((/** @type {any} */ r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') out.push([r.frameWidth ?? 0, r.framesDecoded, r.keyFramesDecoded, r.framesReceived, r.bytesReceived]); });
      return out;
    }, ayu.id)).forEach((/** @type {number[]} */ x) => { w = Math.max(w, x[0]); seen.push(`${Date.now() % 100000}:${x.join('/')}`); });
    return w;
  };
  // a big tile (about 300 px tall): the largest layer, 320 wide, once the bandwidth estimate carries it
  try {
    await expect.poll(width, { message: 'Bima gets Ayu\'s largest layer for a big tile', timeout: 40_000 }).toBeGreaterThanOrEqual(320);
  } catch (e) {
    console.log(`Ayu sends: ${JSON.stringify(await sendingReport(ayu))}`);
    console.log(`Bima: ${JSON.stringify(await sendingReport(bima))}`);
    console.log(`Bima's polls (ms:width/decoded/keys/received/bytes): ${seen.join(' ')}`);
    dumpServers();
    throw e;
  }
  // a small window: the tile is under 90 px tall, so the 90-tall layer (160 wide) fits
  await bima.page.setViewportSize({ width: 300, height: 260 });
  const h = await tile(bima, ayu.id).evaluate((el) => el.clientHeight);
  console.log(`Bima's tile of Ayu is ${h} px tall now`);
  await expect.poll(width, { message: 'Bima gets a smaller layer for a small tile', timeout: 30_000 }).toBeLessThan(320);
});

// Issue 15's acceptance test: eight real pages in one `auto` room (mesh, then the SFU from the fourth).
// History: it was `test.fixme` while late joiners' SFU connections failed (reset loops, answers applied to
// the wrong connection: fixed 2026-12-07) and while a debug server, str0m unoptimized, was starved by the
// media of eight pages (str0m is optimized in debug builds since: Cargo.toml). A failure prints what every
// page sends and decodes, and each page's own account of its SFU connection; for the server's side:
// `RUANG_SERVER_LOG=/tmp/s.log RUANG_LOG=warn,ruang_sfu=debug,ruang_server::sfu=debug tests/browser/run.sh
// specs/sfu.spec.js -g eight`.
test('eight pages in an auto room all see and decode each other', async ({ join }) => {
  test.setTimeout(300_000);
  const room = roomName('auto8');
  const all = await joinAll(join, autoServer, room, ['Ayu', 'Bima', 'Citra', 'Dewi', 'Eka', 'Fajar', 'Gita', 'Hadi'], SMALL_CAMERA);
  for (const p of all) {
    await expect.poll(async () => (await snapshot(p)).mediaMode, { message: `${p.name} is in SFU mode` }).toBe('sfu');
    await expect(p.page.locator('.tile[data-local="false"]')).toHaveCount(7);
  }
  await expectAllDecode(all);
});

test('a file goes peer to peer between two pages of an SFU room', async ({ join }) => {
  const room = roomName('sfufile');
  const [ayu, bima] = await joinAll(join, sfuServer, room, ['Ayu', 'Bima']);
  await expect(tile(bima, ayu.id)).toHaveAttribute('data-connection', 'connected');
  const bytes = randomBytes(300 * 1024);
  const expected = createHash('sha256').update(bytes).digest('hex');
  await ayu.page.locator('#btn-chat').click();
  await ayu.page.locator('#file-input').setInputFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await bima.page.locator('#btn-chat').click();
  const inCard = bima.page.locator('.xfer[data-direction="in"]');
  await expect(inCard).toHaveAttribute('data-state', 'incoming');
  await inCard.locator('[data-action="accept"]').click();
  await expect(inCard).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  const got = await bima.page.evaluate(() => /** @type {any} */ (window).ruang.state.transfers.find((/** @type {any} */ t) => t.direction === 'in')?.sha256);
  expect(got).toBe(expected);
  // it went over a files-only connection, beside the one to the SFU
  expect((await snapshot(ayu)).transport.links.files).toBe(1);
});

test('presenting in an SFU room: everyone sees the screen beside the presenter\'s camera, late joiners too', async ({ join }) => {
  test.setTimeout(180_000);
  const room = roomName('sfu-share');
  const [ayu, bima, citra] = await joinAll(join, sfuServer, room, ['Ayu', 'Bima', 'Citra']);
  await expectAllDecode([ayu, bima, citra]);
  await bima.page.locator('#btn-screen').click();
  await expect(bima.page.locator('#btn-screen')).toHaveAttribute('aria-pressed', 'true');
  for (const p of [ayu, citra]) {
    await expect(screenTile(p, bima.id)).toBeVisible();
    await expect(tile(p, bima.id)).toHaveAttribute('data-camera-off', 'false');
    await expectScreenFrom(p, bima.id);
    await expect(screenTile(p, bima.id)).toHaveClass(/\bspot\b/); // the screen takes the stage
  }
  // the camera goes on beside it: everyone still decodes everyone's camera
  await expectAllDecode([ayu, bima, citra]);
  // a late joiner gets the screen offered with the rest
  const [dewi] = await joinAll(join, sfuServer, room, ['Dewi']);
  await expectScreenFrom(dewi, bima.id);
  // the share ends: its tile goes, the camera stays
  await bima.page.locator('#btn-screen').click();
  for (const p of [ayu, citra, dewi]) {
    await expect(screenTile(p, bima.id)).toHaveCount(0);
    await expect(tile(p, bima.id)).toHaveAttribute('data-camera-off', 'false');
  }
  await expectAllDecode([ayu, bima, citra, dewi]);
});
