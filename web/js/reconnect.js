// reconnect.js — the rules of surviving a lost connection (docs/protocol.md: Heartbeats, Resume), as pure
// functions of the time and what was heard: the back-off between attempts, when a socket counts as dead,
// what an answer to our `resume`/`join` on a reconnect socket means, and the bounded queue of what we send
// while disconnected. No socket, no timers, no DOM: session.js keeps the state and the timers and asks
// these questions; the unit tests (tests/browser/unit) ask them directly.

import { readWelcome, errorOf, FATAL_JOIN } from './wire.js';

/** @typedef {import('./wire.js').Frame} Frame */
/** @typedef {import('./wire.js').Session} Session */
/** @typedef {import('./wire.js').Replay} Replay */

/** We send a `ping` message this often… */
export const PING_MS = 2000;
/** …and take the socket for dead when nothing at all (pong, anything) arrived for this long. */
export const DEAD_MS = 6000;
/** How often the heartbeat timer looks at the socket. */
export const TICK_MS = 500;
/** Reconnect backoff: first delay, doubling up to the maximum, each with ±JITTER. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;
const JITTER = 0.2;
/** At most this many signal/chat messages wait for the connection to come back (oldest dropped). */
export const QUEUE_MAX = 150;

/**
 * Delay before reconnect attempt `attempt` (0 for the first): 250 ms doubling to 5 s, ±20 % jitter.
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/**
 * One heartbeat tick's judgement: ping every PING_MS; a socket with nothing received for DEAD_MS is dead,
 * and so is a resume/join on a reconnect socket unanswered for DEAD_MS. A tick that comes late (the page
 * was throttled in the background, or the machine slept) judges nothing: our pings were not sent
 * meanwhile, so the silence says nothing about the socket; the next frames get 2 × PING_MS.
 * @param {{ now: number, lastTickAt: number, lastFrameAt: number, helloPending: boolean, helloSentAt: number }} s
 * @returns {{ dead: null | 'silent' | 'no answer', lastFrameAt: number, helloSentAt: number }}
 *   the times to keep (moved forward after a late tick)
 */
export function judgeHeartbeat({ now, lastTickAt, lastFrameAt, helloPending, helloSentAt }) {
  const late = now - lastTickAt > PING_MS + TICK_MS;
  if (late) {
    const grace = now - DEAD_MS + 2 * PING_MS;
    return { dead: null, lastFrameAt: Math.max(lastFrameAt, grace), helloSentAt: Math.max(helloSentAt, grace) };
  }
  /** @type {null | 'silent' | 'no answer'} */
  let dead = null;
  if (now - lastFrameAt > DEAD_MS) dead = 'silent';
  else if (helloPending && now - helloSentAt > DEAD_MS) dead = 'no answer';
  return { dead, lastFrameAt, helloSentAt };
}

/**
 * What the answer to our `resume` (we held a token) or `join` (joining afresh) on a reconnect socket means:
 * - `join-afresh`: the resume was refused (the participant is gone on the server): join as a new one, on
 *   the same connection;
 * - `failed`: a join refusal another attempt would not change;
 * - `retry`: refused for now (shutting_down, internal, rate_limited…), or unreadable: try again later;
 * - `resumed`: the same participant again (`replay` says whether what we missed follows);
 * - `rejoined`: joined afresh as a new participant.
 * @param {Frame} m a `resumed`, `welcome` or `error` answering our request
 * @param {boolean} resuming we sent `resume` (held a token)
 * @returns {{ kind: 'join-afresh' } | { kind: 'failed', code: string, message: string } | { kind: 'retry', why: string }
 *   | { kind: 'resumed', welcome: Session, replay: Replay } | { kind: 'rejoined', welcome: Session }}
 */
export function readHelloAnswer(m, resuming) {
  if (m.type === 'error') {
    const { code, message } = errorOf(m);
    if (code === 'resume_refused' && resuming) return { kind: 'join-afresh' };
    if (FATAL_JOIN.has(code)) return { kind: 'failed', code, message };
    return { kind: 'retry', why: `refused (${code})` };
  }
  const welcome = readWelcome(m);
  if (!welcome) return { kind: 'retry', why: 'unreadable answer' };
  if (m.type === 'resumed') return { kind: 'resumed', welcome, replay: m.replay === 'replayed' ? 'replayed' : 'reset' };
  return { kind: 'rejoined', welcome };
}

/**
 * What we send to the room while disconnected (signals, chat, hands), bounded: beyond QUEUE_MAX the oldest
 * goes. Sent in order when we are back; signals only when the numbering continued (after `replay: "reset"`
 * they belong to negotiations the transport restarts anyway, and could target peers not (yet) back).
 */
export class Outbox {
  constructor() {
    /** @type {Record<string, unknown>[]} */ this.queue = [];
  }

  get length() { return this.queue.length; }

  /** @param {Record<string, unknown>} msg @returns {boolean} false when the oldest message was dropped to make room */
  push(msg) {
    this.queue.push(msg);
    if (this.queue.length <= QUEUE_MAX) return true;
    this.queue.shift();
    return false;
  }

  /** Empty it: what to send now. @param {boolean} keepSignals */
  take(keepSignals) {
    const queue = this.queue;
    this.queue = [];
    return queue.filter((m) => keepSignals || m.type !== 'signal');
  }

  clear() { this.queue = []; }
}
