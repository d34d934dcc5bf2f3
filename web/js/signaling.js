// signaling.js — the signaling the rest of the client uses: the session of session.js bound to the
// browser (a WebSocket to /ws on the page's own origin, performance.now(), the window's timers, this
// browser's key), and the protocol's types and helpers from wire.js, so that callers import one module.
//
// Layers (docs/design/web-client.md): wire.js (what frames mean) → reconnect.js (the rules of a lost
// connection) → session.js (the socket and the state machine) → this facade → room.js (the room model)
// and the transport (mesh.js) → the UI (ui/*.js).

import { SignalingSession } from './session.js';
import { browserKey } from './browser-key.js';

export {
  PROTOCOL_VERSION, ROOM_RE, ROLES, ServerError, RemovedError, roleOf, signalData,
} from './wire.js';
export { PING_MS, DEAD_MS, QUEUE_MAX, backoffDelay } from './reconnect.js';

/** @typedef {import('./wire.js').MediaState} MediaState */
/** @typedef {import('./wire.js').Role} Role */
/** @typedef {import('./wire.js').PeerInfo} PeerInfo */
/** @typedef {import('./wire.js').Knock} Knock */
/** @typedef {import('./wire.js').Credentials} Credentials */
/** @typedef {import('./wire.js').ChatMessage} ChatMessage */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').Limits} Limits */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {import('./wire.js').Welcome} Welcome */
/** @typedef {import('./wire.js').CandidateInit} CandidateInit */
/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').Session} Session */
/** @typedef {import('./wire.js').Replay} Replay */
/** @typedef {import('./session.js').ConnState} ConnState */
/** @typedef {import('./session.js').Env} Env */

/**
 * URL of the signaling socket on the page's own origin.
 * @param {Location} [loc]
 */
export function socketUrl(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

/** The browser as session.js sees it. @returns {Env} */
export function browserEnv() {
  return {
    open: (url) => new WebSocket(url),
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (t) => clearTimeout(/** @type {ReturnType<typeof setTimeout> | undefined} */ (t)),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (t) => clearInterval(/** @type {ReturnType<typeof setInterval> | undefined} */ (t)),
    random: () => Math.random(),
    browserKey,
  };
}

/**
 * The signaling of one participant, in this browser. With `{ resume: true }` (a call) the participant
 * outlives its connections (session.js).
 */
export class Signaling extends SignalingSession {
  /**
   * @param {string} url WebSocket URL (see socketUrl())
   * @param {{ resume?: boolean }} [opts] resume: keep the participant alive across lost connections
   */
  constructor(url, { resume = false } = {}) {
    super(url, { resume, env: browserEnv() });
  }
}
