// Unit tests of web/js/room.js, the room model the call screen renders: signaling events in, state and
// change events out; the one timer (forgetting who does not come back after a reset resume) on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomModel } from '../../../web/js/room.js';
import { FakeClock, record } from './fakes.js';

const ME = '3f9a0c41d2b7e815';
const BIMA = 'a81c0e55f0e3b902';
const CITRA = 'c0ffee0000000001';
const on = { audio: true, video: true, screen: false };
const EVENTS = ['person_added', 'person_removed', 'person_updated', 'role', 'hand', 'hand_raised', 'room_state', 'lobby', 'chat', 'connection', 'change'];

/** @param {string} id @param {string} name @param {Record<string, unknown>} [more] */
const peer = (id, name, more = {}) => ({ id, name, media: on, role: 'participant', hand: false, ...more });
/** @param {Record<string, unknown>} [more] */
const session = (more = {}) => ({
  you: ME, role: 'participant', locked: false, lobby: false, room: 'r', peers: [], ice_servers: [], ice_transport_policy: 'all',
  chat_history: [], limits: {}, resume_token: 't', resume_grace_ms: 30000, protocol: 1, ...more,
});

function model(role = 'participant') {
  const clock = new FakeClock();
  const room = new RoomModel({ room: 'r', name: 'Ayu', timers: { setTimeout: (fn, ms) => clock.add(fn, ms), clearTimeout: (t) => clock.timers.delete(t) } });
  room.welcome(session({ role }));
  const events = record(room, EVENTS);
  const types = () => events.map(([t]) => t).filter((t) => t !== 'change');
  return { room, clock, events, types };
}

test('a welcome sets who we are and how the room stands', () => {
  const { room } = model('host');
  assert.equal(room.you, ME);
  assert.equal(room.role, 'host');
  assert.equal(room.moderating, true);
});

test('someone joining is added once, announced, and the list redraws', () => {
  const { room, events } = model();
  room.handle('peer_joined', { peer: peer(BIMA, 'Bima') });
  assert.deepEqual(events.map(([t]) => t), ['person_added', 'change']);
  assert.equal(events[0][1].announce, true);
  assert.equal(events[0][1].person.polite, true);
  assert.equal(room.people.get(BIMA)?.name, 'Bima');
});

test('someone known introduced again (a server restart) is refreshed, not added', () => {
  const { room, events, types } = model();
  room.add(peer(BIMA, 'Bima'), false);
  room.handle('peer_joined', { peer: peer(BIMA, 'Bima B.', { hand: true }) });
  assert.deepEqual(types(), ['person_added', 'person_updated']);
  assert.equal(events.find(([t, d]) => t === 'person_updated')?.[1].what, 'refreshed');
  assert.equal(room.people.get(BIMA)?.name, 'Bima B.');
  assert.equal(room.people.get(BIMA)?.polite, false, 'the link keeps its role');
});

test('someone leaving is removed with the reason, but a `shutdown` reason is no departure', () => {
  const { room, events } = model();
  room.add(peer(BIMA, 'Bima'), false);
  room.handle('peer_left', { id: BIMA, reason: 'shutdown' });
  assert.equal(room.people.has(BIMA), true);
  room.handle('peer_left', { id: BIMA, reason: 'timeout' });
  assert.equal(room.people.has(BIMA), false);
  assert.deepEqual(events.filter(([t]) => t === 'person_removed').map(([, d]) => d.reason), ['timeout']);
});

test('media, reconnecting and hands of others update the person and say what changed', () => {
  const { room, events } = model('moderator');
  room.add(peer(BIMA, 'Bima'), true);
  room.handle('media', { id: BIMA, media: { audio: false, video: true, screen: false } });
  room.handle('peer_reconnecting', { id: BIMA });
  room.handle('hand', { id: BIMA, raised: true });
  room.handle('hand', { id: BIMA, raised: true }); // (no change: nothing said)
  const p = room.people.get(BIMA);
  assert.equal(p?.media.audio, false);
  assert.equal(p?.reconnecting, true);
  assert.equal(p?.hand, true);
  assert.deepEqual(events.filter(([t]) => t === 'person_updated').map(([, d]) => d.what), ['media', 'reconnecting', 'hand']);
  assert.equal(events.filter(([t]) => t === 'hand_raised').length, 1);
  room.handle('peer_reconnected', { id: BIMA });
  assert.equal(p?.reconnecting, false);
});

test('events about someone unknown change nothing', () => {
  const { room, events } = model();
  for (const [type, d] of [['media', { id: CITRA, media: on }], ['peer_left', { id: CITRA, reason: 'left' }], ['role', { id: CITRA, role: 'host' }], ['hand', { id: CITRA, raised: true }]]) room.handle(type, d);
  assert.deepEqual(events, []);
});

test('a person made viewer sends nothing any more', () => {
  const { room } = model();
  room.add(peer(BIMA, 'Bima'), true);
  room.handle('role', { id: BIMA, role: 'viewer' });
  assert.deepEqual(room.people.get(BIMA)?.media, { audio: false, video: false, screen: false });
  assert.equal(room.people.get(BIMA)?.role, 'viewer');
});

test('our own role change is announced, and losing the host role forgets the lobby', () => {
  const { room, events } = model('host');
  room.handle('lobby', { waiting: [{ id: CITRA, name: 'Citra' }] });
  room.handle('role', { id: ME, role: 'participant' });
  assert.equal(room.role, 'participant');
  assert.deepEqual(room.waiting, []);
  assert.deepEqual(events.filter(([t]) => t === 'role').map(([, d]) => d), [{ role: 'participant', before: 'host', announce: true }]);
  room.handle('lobby_joined', { knock: { id: BIMA, name: 'Bima' } }); // (crossed our loss of the role)
  assert.deepEqual(room.waiting, []);
});

test('the lobby list follows lobby, lobby_joined and lobby_left, and says who is new', () => {
  const { room, events } = model('moderator');
  room.handle('lobby', { waiting: [{ id: CITRA, name: 'Citra' }] });
  room.handle('lobby_joined', { knock: { id: BIMA, name: 'Bima' } });
  room.handle('lobby_joined', { knock: { id: BIMA, name: 'Bima' } }); // (again: not new)
  assert.deepEqual(room.waiting.map((w) => w.id), [CITRA, BIMA]);
  assert.deepEqual(events.filter(([t]) => t === 'lobby').map(([, d]) => d.fresh.map((/** @type {any} */ w) => w.name)), [['Citra'], ['Bima'], []]);
  room.handle('lobby_left', { id: CITRA });
  assert.deepEqual(room.waiting.map((w) => w.id), [BIMA]);
});

test('room state changes say what they were', () => {
  const { room, events } = model();
  room.handle('room_state', { locked: true, lobby: false });
  assert.equal(room.locked, true);
  assert.deepEqual(events.find(([t]) => t === 'room_state')?.[1], { locked: true, lobby: false, spotlight: null, was: { locked: false, lobby: false, spotlight: null }, quiet: false });
});

test('the spotlight comes with the welcome and room_state; a room_state without it means nobody', () => {
  const { room, events } = model();
  room.welcome(session({ spotlight: BIMA }));
  assert.equal(room.spotlight, BIMA);
  room.handle('room_state', { locked: false, lobby: false, spotlight: CITRA });
  assert.equal(room.spotlight, CITRA);
  assert.deepEqual(events.at(-2)?.[1].was, { locked: false, lobby: false, spotlight: BIMA });
  room.handle('room_state', { locked: false, lobby: false });
  assert.equal(room.spotlight, null);
});

test('a chat message shown once is not shown again from a history', () => {
  const { room, events } = model();
  const m = { seq: 1, from: BIMA, name: 'Bima', text: 'hi', ts: 5 };
  room.handle('chat', { message: m });
  room.addChat({ ...m }, { history: true });
  room.addChat({ ...m, ts: 6 }, { history: true }); // (a restarted server counts from 1 again: another message)
  assert.equal(room.chat.length, 2);
  assert.deepEqual(events.filter(([t]) => t === 'chat').map(([, d]) => d.history), [false, true]);
});

test('our connection state is passed on only when it changes', () => {
  const { room, events } = model();
  room.handle('state', { state: 'connected' });
  room.handle('state', { state: 'reconnecting' });
  room.handle('state', { state: 'reconnecting' });
  assert.deepEqual(events.filter(([t]) => t === 'connection').map(([, d]) => d.state), ['connected', 'reconnecting']);
});

test('after a reset resume, someone not listed shows reconnecting and is forgotten after the grace period', () => {
  const { room, clock, events } = model();
  room.add(peer(BIMA, 'Bima'), false);
  room.add(peer(CITRA, 'Citra'), true);
  room.resumed(session({ peers: [peer(BIMA, 'Bima')], resume_grace_ms: 30000 }), 'reset');
  assert.equal(room.people.get(CITRA)?.reconnecting, true);
  clock.advance(29_999);
  assert.equal(room.people.has(CITRA), true);
  clock.advance(1);
  assert.equal(room.people.has(CITRA), false);
  assert.deepEqual(events.filter(([t]) => t === 'person_removed').map(([, d]) => [d.person.id, d.reason]), [[CITRA, 'disconnected']]);
});

test('someone who comes back within the grace period after a reset resume stays', () => {
  const { room, clock } = model();
  room.add(peer(CITRA, 'Citra'), true);
  room.resumed(session({ peers: [] }), 'reset');
  room.handle('peer_joined', { peer: peer(CITRA, 'Citra') });
  clock.advance(60_000);
  assert.equal(room.people.get(CITRA)?.reconnecting, false);
});

test('after a reset resume someone new to us is added as one we offer to, and our role is the server\'s', () => {
  const { room } = model('host');
  room.resumed(session({ role: 'participant', peers: [peer(BIMA, 'Bima')] }), 'reset');
  assert.equal(room.people.get(BIMA)?.polite, false);
  assert.equal(room.role, 'participant');
});

test('a replayed resume keeps everyone as they are', () => {
  const { room, clock, types } = model();
  room.add(peer(BIMA, 'Bima'), false);
  room.resumed(session({ peers: [] }), 'replayed');
  clock.advance(60_000);
  assert.equal(room.people.get(BIMA)?.reconnecting, false);
  assert.deepEqual(types(), ['person_added']);
});

test('joining afresh forgets everyone quietly and takes the new id', () => {
  const { room, events } = model();
  room.add(peer(BIMA, 'Bima'), false);
  room.setOwnHand(true);
  room.rejoined(session({ you: '0000000000000002' }));
  assert.equal(room.you, '0000000000000002');
  assert.equal(room.people.size, 0);
  assert.equal(room.hand, false);
  assert.deepEqual(events.filter(([t]) => t === 'person_removed').map(([, d]) => d.quiet), [true]);
});
