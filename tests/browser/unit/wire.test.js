// Unit tests of web/js/wire.js (the codec) and web/js/reconnect.js (the rules of a lost connection).
// Run: node --test tests/browser/unit (tests/browser/run.sh does, before the browser suite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomEvent, readWelcome, joinMessage, resumeMessage, moderateMessage, parseFrame, Numbering } from '../../../web/js/wire.js';
import { backoffDelay, judgeHeartbeat, readHelloAnswer, Outbox, QUEUE_MAX, DEAD_MS, PING_MS } from '../../../web/js/reconnect.js';

const A = 'a81c0e55f0e3b902';
const media = { audio: true, video: false, screen: false };

test('a valid room message becomes its typed event', () => {
  assert.deepEqual(roomEvent({ type: 'peer_joined', n: 1, peer: { id: A, name: 'Bima', media } }),
    { type: 'peer_joined', detail: { peer: { id: A, name: 'Bima', media, role: 'participant', hand: false } } });
  assert.deepEqual(roomEvent({ type: 'media', n: 2, id: A, ...media }), { type: 'media', detail: { id: A, media } });
  assert.deepEqual(roomEvent({ type: 'lobby_joined', n: 3, id: A, name: 'Dewi' }), { type: 'lobby_joined', detail: { knock: { id: A, name: 'Dewi' } } });
});

test('a room message that breaks the protocol is invalid, and a non-room message is not an event', () => {
  assert.equal(roomEvent({ type: 'peer_left', id: 'not-an-id' }), 'invalid');
  assert.equal(roomEvent({ type: 'signal', from: A, data: { kind: 'offer' } }), 'invalid');
  assert.equal(roomEvent({ type: 'role', id: A, role: 'king' }), 'invalid');
  assert.equal(roomEvent({ type: 'welcome' }), null);
  assert.equal(roomEvent({ type: 'something_new' }), null);
});

test('a frame that is not a JSON object with a type is dropped', () => {
  assert.equal(parseFrame('[1,2]'), null);
  assert.equal(parseFrame('{"n":1}'), null);
  assert.equal(parseFrame(new Uint8Array(2)), null);
  assert.deepEqual(parseFrame('{"type":"pong","req":3}'), { type: 'pong', req: 3 });
});

test('a welcome without a resume grace gets the default and unreadable peers make it unreadable', () => {
  const w = readWelcome({ type: 'welcome', you: A, room: 'r', peers: [], ice_servers: [], resume_token: 'tok' });
  assert.equal(w?.resume_grace_ms, 30000);
  assert.equal(w?.role, 'participant');
  assert.equal(readWelcome({ type: 'welcome', you: A, room: 'r', peers: [{ id: 'x' }], ice_servers: [] }), null);
});

test('join carries the media modes we speak and only the credentials we have; resume carries token, last_n and media', () => {
  assert.deepEqual(joinMessage({ room: 'r', name: 'A', media, credentials: {}, req: 1 }),
    { type: 'join', v: 1, room: 'r', name: 'A', media, modes: ['mesh', 'sfu'], req: 1 });
  const j = joinMessage({ room: 'r', name: 'A', media, credentials: { password: 'pw' }, browserKey: 'k', req: 2 });
  assert.equal(j.password, 'pw');
  assert.equal(j.browser_key, 'k');
  assert.equal('invite' in j, false);
  assert.deepEqual(resumeMessage({ token: 't', lastN: 7, media, req: 3 }), { type: 'resume', v: 1, token: 't', last_n: 7, media, req: 3 });
  assert.deepEqual(moderateMessage('end', undefined, undefined, 4), { type: 'moderate', action: 'end', req: 4 });
});

test('pings acknowledge the highest n only once the connection is acking', () => {
  const n = new Numbering();
  n.see({ type: 'chat', n: 4 });
  n.see({ type: 'chat', n: 2 });
  assert.deepEqual(n.ping(1), { type: 'ping', req: 1 });
  n.acking = true;
  assert.deepEqual(n.ping(2), { type: 'ping', req: 2, ack: 4 });
  n.restart();
  assert.equal(n.lastN, 0);
});

test('the backoff doubles from 250 ms up to 5 s, within the jitter', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, mid)), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.equal(backoffDelay(0, () => 0), 200);
  assert.equal(backoffDelay(0, () => 1), 300);
});

test('a socket silent for longer than DEAD_MS is dead, and so is an unanswered resume', () => {
  const base = { now: 10_000, lastTickAt: 9_500, helloPending: false, helloSentAt: 0 };
  assert.equal(judgeHeartbeat({ ...base, lastFrameAt: 10_000 - DEAD_MS }).dead, null);
  assert.equal(judgeHeartbeat({ ...base, lastFrameAt: 10_000 - DEAD_MS - 1 }).dead, 'silent');
  assert.equal(judgeHeartbeat({ ...base, lastFrameAt: 9_900, helloPending: true, helloSentAt: 10_000 - DEAD_MS - 1 }).dead, 'no answer');
});

test('a late heartbeat tick judges nothing and gives the socket two more ping periods', () => {
  const v = judgeHeartbeat({ now: 60_000, lastTickAt: 10_000, lastFrameAt: 10_000, helloPending: true, helloSentAt: 10_000 });
  assert.equal(v.dead, null);
  assert.equal(v.lastFrameAt, 60_000 - DEAD_MS + 2 * PING_MS);
  assert.equal(v.helloSentAt, 60_000 - DEAD_MS + 2 * PING_MS);
});

test('the answer to a resume says what to do next', () => {
  const welcome = { you: A, room: 'r', peers: [], ice_servers: [], req: 1 };
  assert.deepEqual(readHelloAnswer({ type: 'error', code: 'resume_refused' }, true), { kind: 'join-afresh' });
  assert.deepEqual(readHelloAnswer({ type: 'error', code: 'banned', message: 'no' }, false), { kind: 'failed', code: 'banned', message: 'no' });
  assert.deepEqual(readHelloAnswer({ type: 'error', code: 'shutting_down' }, true), { kind: 'retry', why: 'refused (shutting_down)' });
  assert.deepEqual(readHelloAnswer({ type: 'resumed', you: A }, true), { kind: 'retry', why: 'unreadable answer' });
  const r = readHelloAnswer({ type: 'resumed', replay: 'replayed', ...welcome }, true);
  assert.equal(r.kind === 'resumed' && r.replay, 'replayed');
  assert.equal(readHelloAnswer({ type: 'resumed', ...welcome }, true).kind === 'resumed' && 'reset', 'reset');
  assert.equal(readHelloAnswer({ type: 'welcome', ...welcome }, false).kind, 'rejoined');
});

test('the outbox keeps the newest QUEUE_MAX messages and drops signals after a reset', () => {
  const box = new Outbox();
  for (let i = 0; i < QUEUE_MAX; i++) assert.equal(box.push({ type: 'chat', text: `${i}` }), true);
  assert.equal(box.push({ type: 'signal', to: A }), false);
  assert.equal(box.length, QUEUE_MAX);
  const kept = box.take(false);
  assert.equal(kept.length, QUEUE_MAX - 1);
  assert.equal(kept[0].text, '1');
  assert.equal(box.length, 0);
  box.push({ type: 'signal', to: A });
  assert.equal(box.take(true).length, 1);
});

test('the spotlight: an id in room_state and welcome, anything else read as nobody', () => {
  assert.deepEqual(roomEvent({ type: 'room_state', n: 4, locked: false, lobby: true, spotlight: A }),
    { type: 'room_state', detail: { locked: false, lobby: true, spotlight: A } });
  assert.deepEqual(roomEvent({ type: 'room_state', n: 5, locked: false, lobby: true }),
    { type: 'room_state', detail: { locked: false, lobby: true, spotlight: null } });
  assert.equal(/** @type {any} */ (roomEvent({ type: 'room_state', locked: false, lobby: true, spotlight: '<b>x</b>' })).detail.spotlight, null);
  assert.equal(readWelcome({ type: 'welcome', you: A, room: 'r', peers: [], ice_servers: [], spotlight: A })?.spotlight, A);
  assert.equal(readWelcome({ type: 'welcome', you: A, room: 'r', peers: [], ice_servers: [] })?.spotlight, null);
});
