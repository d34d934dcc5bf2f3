// Unit tests of the DOM-free parts of the SFU media transport (issue #15): how the room model follows the
// room's media mode and active speaker (room.js), what the wire makes of the new messages (wire.js), whose
// track is whose (sfu-tracks.js), and the debounced `tiles` report (tile-report.js) on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomModel } from '../../../web/js/room.js';
import { readWelcome, roomEvent, joinMessage, tilesMessage, layersMessage, pinMessage } from '../../../web/js/wire.js';
import { TrackOwners } from '../../../web/js/sfu-tracks.js';
import { TileReport, DEBOUNCE_MS } from '../../../web/js/tile-report.js';
import { FakeClock, record } from './fakes.js';

const ME = '3f9a0c41d2b7e815';
const BIMA = 'a81c0e55f0e3b902';
const CITRA = 'c0ffee0000000001';
const SFU1 = '5a0d7be2c91f3e08';
const SFU2 = '5a0d7be2c91f3e09';
const media = { audio: true, video: true, screen: false };

/** @param {Record<string, unknown>} [more] */
const session = (more = {}) => ({
  you: ME, role: 'participant', locked: false, lobby: false, room: 'r', peers: [], ice_servers: [], ice_transport_policy: 'all',
  chat_history: [], limits: {}, resume_token: 't', resume_grace_ms: 30000, protocol: 1, media_mode: 'mesh', sfu: null, ...more,
});

function model(more = {}) {
  const room = new RoomModel({ room: 'r', name: 'Ayu', timers: { setTimeout: () => 0, clearTimeout: () => {} } });
  room.welcome(/** @type {any} */ (session(more)));
  const events = record(room, ['media_mode', 'speaker']);
  return { room, events };
}

// ---- wire

test('join says we speak mesh and sfu', () => {
  assert.deepEqual(joinMessage({ room: 'r', name: 'A', media, credentials: {}, req: 1 }).modes, ['mesh', 'sfu']);
});

test('a welcome without media_mode is mesh; with sfu it carries the SFU id; sfu without an id is unreadable', () => {
  const base = { you: ME, room: 'r', peers: [], ice_servers: [] };
  assert.deepEqual([readWelcome(base)?.media_mode, readWelcome(base)?.sfu], ['mesh', null]);
  const w = readWelcome({ ...base, media_mode: 'sfu', sfu: SFU1 });
  assert.deepEqual([w?.media_mode, w?.sfu], ['sfu', SFU1]);
  assert.equal(readWelcome({ ...base, media_mode: 'sfu' }), null);
  assert.equal(readWelcome({ ...base, media_mode: 'p2p' }), null);
});

test('media_mode and speaker messages become events; wrong ones are invalid', () => {
  assert.deepEqual(roomEvent({ type: 'media_mode', n: 3, mode: 'sfu', sfu: SFU1 }), { type: 'media_mode', detail: { mode: 'sfu', sfu: SFU1 } });
  assert.deepEqual(roomEvent({ type: 'media_mode', n: 4, mode: 'mesh' }), { type: 'media_mode', detail: { mode: 'mesh', sfu: null } });
  assert.equal(roomEvent({ type: 'media_mode', mode: 'sfu', sfu: 'nope' }), 'invalid');
  assert.deepEqual(roomEvent({ type: 'speaker', n: 5, id: BIMA }), { type: 'speaker', detail: { id: BIMA } });
  assert.equal(roomEvent({ type: 'speaker', id: 7 }), 'invalid');
});

test('layers, tiles and pin are shaped as the protocol says', () => {
  assert.deepEqual(layersMessage([{ rid: 'l', height: 90, bitrate: 150000 }]), { type: 'layers', layers: [{ rid: 'l', height: 90, bitrate: 150000 }] });
  assert.deepEqual(tilesMessage([{ id: BIMA, height: 240 }]), { type: 'tiles', tiles: [{ id: BIMA, height: 240 }] });
  assert.deepEqual(pinMessage(null), { type: 'pin', id: null });
});

// ---- the room model

test('the welcome sets the mode quietly; media_mode moves it and says what it was', () => {
  const { room, events } = model({ media_mode: 'sfu', sfu: SFU1 });
  assert.deepEqual([room.mediaMode, room.sfu], ['sfu', SFU1]);
  room.handle('media_mode', { mode: 'sfu', sfu: SFU1 });
  assert.deepEqual(events, [], 'the same mode and SFU is no change');
  room.handle('media_mode', { mode: 'mesh', sfu: null });
  assert.deepEqual(events, [['media_mode', { mode: 'mesh', sfu: null, before: { mode: 'sfu', sfu: SFU1 } }]]);
  assert.deepEqual([room.mediaMode, room.sfu], ['mesh', null]);
});

test('a new SFU id in the same mode is a change (a new SFU period: connect again)', () => {
  const { room, events } = model({ media_mode: 'sfu', sfu: SFU1 });
  room.handle('media_mode', { mode: 'sfu', sfu: SFU2 });
  assert.deepEqual(events.map(([, d]) => d.sfu), [SFU2]);
});

test('a resume says the mode as the server has it, and a replay that follows moves it in order', () => {
  const { room, events } = model();
  room.resumed(/** @type {any} */ (session({ media_mode: 'sfu', sfu: SFU2 })), 'reset');
  assert.deepEqual([room.mediaMode, room.sfu], ['sfu', SFU2]);
  room.resumed(/** @type {any} */ (session({ media_mode: 'sfu', sfu: SFU2 })), 'replayed');
  assert.equal(events.length, 1, 'a resume in the same SFU period changes nothing');
  room.handle('media_mode', { mode: 'mesh', sfu: null });
  assert.equal(room.mediaMode, 'mesh');
});

test('joining afresh takes the new welcome\'s mode', () => {
  const { room } = model();
  room.rejoined(/** @type {any} */ (session({ media_mode: 'sfu', sfu: SFU1 })));
  assert.deepEqual([room.mediaMode, room.sfu], ['sfu', SFU1]);
});

test('the active speaker is followed in SFU rooms and forgotten on the way back to mesh', () => {
  const { room, events } = model({ media_mode: 'sfu', sfu: SFU1 });
  room.handle('speaker', { id: BIMA });
  room.handle('speaker', { id: BIMA });
  assert.equal(room.speaker, BIMA);
  room.handle('media_mode', { mode: 'mesh', sfu: null });
  assert.equal(room.speaker, null);
  room.handle('speaker', { id: CITRA }); // (a late one, after the move)
  assert.equal(room.speaker, null);
  assert.deepEqual(events.filter(([t]) => t === 'speaker').map(([, d]) => d.id), [BIMA, null]);
});

// ---- whose track

test('a track for a participant we know goes to their stream at once', () => {
  const owners = new TrackOwners();
  owners.join(BIMA);
  assert.deepEqual(owners.add(BIMA, 'video-1'), { from: null, to: BIMA });
  assert.deepEqual(owners.tracksOf(BIMA), ['video-1']);
});

test('tracks that come before their participant wait for it', () => {
  const owners = new TrackOwners();
  assert.deepEqual(owners.add(CITRA, 'audio-1'), { from: null, to: null });
  assert.deepEqual(owners.add(CITRA, 'video-1'), { from: null, to: null });
  assert.deepEqual(owners.join(CITRA), ['audio-1', 'video-1']);
  assert.deepEqual(owners.join(BIMA), []);
});

test('a receiver reused for another participant moves from one stream to the other', () => {
  const owners = new TrackOwners();
  owners.join(BIMA);
  owners.join(CITRA);
  owners.add(BIMA, 'video-1');
  assert.deepEqual(owners.add(CITRA, 'video-1'), { from: BIMA, to: CITRA });
  assert.deepEqual(owners.tracksOf(BIMA), []);
  assert.deepEqual(owners.add(CITRA, 'video-1'), { from: null, to: null }, 'the same again is no change');
});

test('a track negotiated away leaves its owner; a participant who left keeps nothing shown', () => {
  const owners = new TrackOwners();
  owners.join(BIMA);
  owners.add(BIMA, 'video-1');
  assert.equal(owners.remove('video-1'), BIMA);
  assert.equal(owners.remove('video-1'), null);
  owners.add(BIMA, 'audio-1');
  owners.leave(BIMA);
  assert.equal(owners.remove('audio-1'), null);
});

// ---- tiles

function report() {
  const clock = new FakeClock();
  /** @type {any[]} */
  const sent = [];
  const r = new TileReport({ send: (t) => sent.push(t), timers: { setTimeout: (fn, ms) => clock.add(fn, ms), clearTimeout: (t) => clock.timers.delete(/** @type {number} */ (t)) } });
  return { r, clock, sent };
}

test('a burst of tile sizes is reported once, after it settles', () => {
  const { r, clock, sent } = report();
  r.update(new Map([[BIMA, 200], [CITRA, 200]]));
  clock.advance(DEBOUNCE_MS - 1);
  r.update(new Map([[BIMA, 400], [CITRA, 0]]));
  clock.advance(DEBOUNCE_MS - 1);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, [[{ id: BIMA, height: 400 }, { id: CITRA, height: 0 }]]);
});

test('an unchanged report is not sent again, nor is a change of a pixel or two', () => {
  const { r, clock, sent } = report();
  r.update(new Map([[BIMA, 400]]));
  clock.advance(DEBOUNCE_MS);
  r.update(new Map([[BIMA, 401]]));
  clock.advance(DEBOUNCE_MS);
  r.update(new Map([[BIMA, 120]]));
  clock.advance(DEBOUNCE_MS);
  assert.deepEqual(sent.map((t) => t[0].height), [400, 120]);
});

test('a new SFU gets the sizes again (forget), and close stops a pending report', () => {
  const { r, clock, sent } = report();
  r.update(new Map([[BIMA, 400]]));
  clock.advance(DEBOUNCE_MS);
  r.forget();
  r.flush();
  assert.equal(sent.length, 2);
  r.update(new Map([[BIMA, 80]]));
  r.close();
  clock.advance(DEBOUNCE_MS * 2);
  assert.equal(sent.length, 2);
});

// ---- SDP helpers of the SFU transport

test('the ICE ufrag tells an SFU offer of the current connection from one of an earlier SFU session', async () => {
  const { iceUfrag, sdpHasMedia, layersFor } = await import('../../../web/js/sfu.js');
  const sdp = (/** @type {number} */ v, more = '') => `v=0\r\no=str0m-0.24 6241 ${v} IN IP4 0.0.0.0\r\ns=-\r\n${more}`;
  assert.equal(iceUfrag(sdp(2, 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:Ab3x\r\na=ice-pwd:zz\r\n')), 'Ab3x');
  assert.notEqual(iceUfrag(sdp(2, 'a=ice-ufrag:Ab3x\r\n')), iceUfrag(sdp(2, 'a=ice-ufrag:Qq9y\r\n')));
  assert.equal(iceUfrag(sdp(2)), '');
  assert.equal(sdpHasMedia(sdp(1, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n')), false);
  assert.equal(sdpHasMedia(sdp(1, 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')), true);
  assert.deepEqual(layersFor(180).map((l) => [l.rid, l.height]), [['l', 45], ['m', 90], ['h', 180]]);
});

test('an SFU answer names the connection whose offer it answers', async () => {
  const { answeredUfrag, iceUfrag } = await import('../../../web/js/sfu.js');
  const answer = 'v=0\r\no=str0m-0.24 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ruang-answers:Cl1e\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:Sfu9\r\n';
  assert.equal(answeredUfrag(answer), 'Cl1e', 'the offer it answers');
  assert.equal(iceUfrag(answer), 'Sfu9', 'not the SFU\'s own ufrag');
  assert.equal(answeredUfrag(answer.replace('a=ruang-answers:Cl1e\r\n', '')), '', 'an SFU that does not say');
});
