// Unit tests of web/js/session.js, the reconnect/resume state machine, over a fake socket and a fake
// clock (fakes.js): no browser, no server, no real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalingSession } from '../../../web/js/session.js';
import { fakeEnv, record } from './fakes.js';

const ME = '3f9a0c41d2b7e815';
const OTHER = 'a81c0e55f0e3b902';
const media = { audio: true, video: true, screen: false };

/** @param {number} req @param {Record<string, unknown>} [more] */
const welcome = (req, more = {}) => ({ type: 'welcome', req, you: ME, room: 'r', peers: [], ice_servers: [], resume_token: 'tok-1', ...more });

/** A session of a call, joined on its first socket. */
async function joined() {
  const f = fakeEnv();
  const s = new SignalingSession('ws://test/ws', { resume: true, env: f.env });
  const events = record(s, ['state', 'resumed', 'rejoined', 'failed', 'chat', 'waiting']);
  const connecting = s.connect();
  f.last().serverOpen();
  await connecting;
  const joining = s.join({ room: 'r', name: 'Ayu', media });
  const sock = f.last();
  sock.serverSend(welcome(sock.sentOf('join')[0].req));
  const w = await joining;
  return { ...f, s, events, sock, w };
}

test('joining resolves with the welcome and the session is connected', async () => {
  const { s, w, events, sock } = await joined();
  assert.equal(w.you, ME);
  assert.equal(s.state, 'connected');
  assert.deepEqual(events.filter(([t]) => t === 'state').map(([, d]) => d), [{ state: 'connected', reason: 'joined' }]);
  assert.deepEqual(sock.sentOf('join')[0].media, media);
});

test('a lost socket resumes on a new one with the latest token and the highest n received', async () => {
  const { s, sock, clock, sockets, events } = await joined();
  sock.serverSend({ type: 'resume_token', token: 'tok-2' });
  sock.serverSend({ type: 'chat', n: 1, seq: 1, from: OTHER, name: 'Bima', text: 'hi', ts: 1 });
  sock.serverSend({ type: 'peer_reconnecting', n: 2, id: OTHER });
  sock.serverClose(1006);
  assert.equal(s.state, 'reconnecting');
  assert.equal(sockets.length, 1, 'no socket before the backoff');
  clock.advance(250);
  assert.equal(sockets.length, 2);
  const next = sockets[1];
  next.serverOpen();
  const [resume] = next.sentOf('resume');
  assert.equal(resume.token, 'tok-2');
  assert.equal(resume.last_n, 2);
  assert.deepEqual(resume.media, media);
  s.chat('written while away');
  next.serverSend({ ...welcome(resume.req, { type: 'resumed', replay: 'replayed' }) });
  assert.equal(s.state, 'connected');
  assert.equal(s.resumes, 1);
  assert.deepEqual(next.sentOf('chat').map((m) => m.text), ['written while away']);
  assert.deepEqual(events.filter(([t]) => t === 'resumed').map(([, d]) => d.replay), ['replayed']);
});

test('after a reset resume the numbering starts again and queued signals are dropped', async () => {
  const { s, sock, clock, sockets } = await joined();
  sock.serverSend({ type: 'peer_reconnecting', n: 5, id: OTHER });
  sock.serverClose(1006);
  s.signal(OTHER, { kind: 'reset' });
  s.chat('still sent');
  clock.advance(250);
  const next = sockets[1];
  next.serverOpen();
  next.serverSend(welcome(next.sentOf('resume')[0].req, { type: 'resumed', replay: 'reset' }));
  assert.equal(s.lastN, 0);
  assert.deepEqual(next.sentOf('signal'), []);
  assert.deepEqual(next.sentOf('chat').map((m) => m.text), ['still sent']);
});

test('a refused resume joins afresh on the same socket as a new participant', async () => {
  const { s, sock, clock, sockets, events } = await joined();
  sock.serverClose(1006);
  clock.advance(250);
  const next = sockets[1];
  next.serverOpen();
  next.serverSend({ type: 'error', code: 'resume_refused', message: 'gone', req: next.sentOf('resume')[0].req });
  const [join] = next.sentOf('join');
  assert.equal(join.room, 'r');
  next.serverSend(welcome(join.req, { you: '0000000000000001' }));
  assert.equal(s.state, 'connected');
  assert.equal(s.you, '0000000000000001');
  assert.deepEqual(events.filter(([t]) => t === 'rejoined').map(([, d]) => d.previous), [ME]);
});

test('joining afresh refused for good fails and stops reconnecting', async () => {
  const { s, sock, clock, sockets, events } = await joined();
  sock.serverClose(1006);
  clock.advance(250);
  sockets[1].serverOpen();
  sockets[1].serverSend({ type: 'error', code: 'resume_refused', req: sockets[1].sentOf('resume')[0].req });
  sockets[1].serverSend({ type: 'error', code: 'room_locked', message: 'locked', req: sockets[1].sentOf('join')[0].req });
  assert.equal(s.state, 'failed');
  assert.deepEqual(events.filter(([t]) => t === 'failed').map(([, d]) => d.code), ['room_locked']);
  clock.advance(60_000);
  assert.equal(sockets.length, 2);
});

test('failed attempts back off 250, 500, 1000 ms', async () => {
  const { sock, clock, sockets } = await joined();
  sock.serverClose(1006);
  const opened = [];
  for (const wait of [250, 500, 1000]) {
    clock.advance(wait - 1);
    opened.push(sockets.length);
    clock.advance(1);
    sockets[sockets.length - 1].serverClose(1006); // could not connect
  }
  assert.deepEqual(opened, [1, 2, 3]);
  assert.equal(sockets.length, 4);
});

test('a socket that goes silent is noticed by the heartbeat and resumed', async () => {
  const { s, clock, sockets } = await joined();
  clock.advance(6_000);
  assert.equal(s.state, 'connected');
  clock.advance(500);
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.lastLoss, 'silent');
  assert.equal(sockets[0].closedWith !== null, true);
});

test('pings acknowledge what arrived, and the heartbeat keeps a talking socket', async () => {
  const { s, sock, clock } = await joined();
  for (let i = 1; i <= 10; i++) {
    sock.serverSend({ type: 'hand', n: i, id: OTHER, raised: i % 2 === 1 });
    clock.advance(1000);
  }
  assert.equal(s.state, 'connected');
  const acks = sock.sentOf('ping').map((p) => p.ack);
  assert.ok(acks.length >= 4);
  assert.deepEqual(acks, [...acks].sort((a, b) => a - b));
  assert.ok(acks.every((a) => a >= 1 && a <= 10));
});

test('another connection taking over (4004) ends the session without reconnecting', async () => {
  const { s, sock, clock, sockets } = await joined();
  sock.serverClose(4004);
  assert.equal(s.state, 'replaced');
  clock.advance(10_000);
  assert.equal(sockets.length, 1);
});

test('being removed ends the session with who did it', async () => {
  const { s, sock, clock, sockets } = await joined();
  const removed = record(s, ['removed']);
  sock.serverSend({ type: 'removed', reason: 'banned', by: OTHER });
  sock.serverClose(4005);
  assert.equal(s.state, 'removed');
  assert.deepEqual(removed.map(([, d]) => d), [{ reason: 'banned', by: OTHER }]);
  clock.advance(10_000);
  assert.equal(sockets.length, 1);
});

test('a server shutting down is resumed after, and nobody leaves', async () => {
  const { s, sock, clock, sockets } = await joined();
  sock.serverSend({ type: 'shutdown', reason: 'restart' });
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.lastLoss, 'shutdown');
  assert.deepEqual(sock.sentOf('leave'), []);
  clock.advance(250);
  assert.equal(sockets.length, 2);
});

test('leaving sends leave and never reconnects', async () => {
  const { s, sock, clock, sockets } = await joined();
  s.leave();
  assert.equal(s.state, 'closed');
  assert.equal(sock.sentOf('leave').length, 1);
  sock.serverClose(1000);
  clock.advance(10_000);
  assert.equal(sockets.length, 1);
});

test('events held while the call screen is built arrive in order on release, except those let through', async () => {
  const { s, sock } = await joined();
  const seen = record(s, ['peer_joined', 'signal']);
  const through = [];
  s.hold((type, d) => { if (type === 'signal') { through.push(d.from); return true; } return false; });
  sock.serverSend({ type: 'peer_joined', n: 1, peer: { id: OTHER, name: 'Bima', media } });
  sock.serverSend({ type: 'signal', n: 2, from: OTHER, data: { kind: 'reset' } });
  assert.deepEqual(seen, []);
  assert.deepEqual(through, [OTHER]);
  s.release();
  assert.deepEqual(seen.map(([t]) => t), ['peer_joined']);
});

test('a join answered by waiting watches the socket and fails when it goes silent', async () => {
  const f = fakeEnv();
  const s = new SignalingSession('ws://test/ws', { resume: true, env: f.env });
  const waiting = record(s, ['waiting']);
  const c = s.connect();
  f.last().serverOpen();
  await c;
  const joining = s.join({ room: 'r', name: 'Ayu', media });
  f.last().serverSend({ type: 'waiting', room: 'r' });
  assert.deepEqual(waiting.map(([, d]) => d), [{ room: 'r', rejoin: false }]);
  f.clock.advance(6_500);
  await assert.rejects(joining, (e) => e.code === 'closed');
});
