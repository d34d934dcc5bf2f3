// signaling.js — the ruang wire protocol v1 (docs/protocol.md) over a WebSocket to /ws.
//
// Owns: the socket, outgoing message shapes, validation of every incoming message, request ids, typed
// events, and — for a call (`{ resume: true }`) — keeping the participant alive across lost connections:
// heartbeats both ways, reconnecting with backoff, `resume` with the latest token and the highest `n`,
// queueing what we send while disconnected, and joining afresh when the server refuses the resume.
// No DOM access and no WebRTC here: the mesh and the UI listen to the events this module dispatches.
//
// Events (CustomEvent, payload in `detail`):
//   peer_joined {peer}, peer_left {id, reason}, peer_reconnecting {id}, peer_reconnected {id},
//   signal {from, data}, media {id, media}, chat {message}, ice_servers {iceServers, policy},
//   server_error {code, message, req?}, shutdown {reason}, close {code, reason, expected},
//   state {state, reason} (connection state changed: see ConnState),
//   resumed {welcome, replay} (same participant again; replay 'replayed' or 'reset'),
//   rejoined {welcome, previous} (the resume was refused and we joined afresh as a new participant),
//   failed {code, message} (cannot get back into the room: joining afresh was refused),
//   removed {reason, by} (a host took us out of the room, ended the meeting, or turned us away from the
//     lobby: nothing to resume),
//   waiting {room, rejoin} (the room's lobby holds us until a host or moderator lets us in; `rejoin`: while
//     joining afresh after a refused resume), role {id, role}, hand {id, raised}, room_state {locked, lobby},
//   lobby {waiting: [{id, name}]} (hosts and moderators: who waits to be let in, once on arrival or promotion),
//   lobby_joined {knock: {id, name}}, lobby_left {id} (then each change of that list), muted {by}

import { browserKey } from './browser-key.js';

export const PROTOCOL_VERSION = 1;

/** @typedef {{ audio: boolean, video: boolean, screen: boolean }} MediaState */
/** @typedef {'host' | 'moderator' | 'participant' | 'viewer'} Role */
/** @typedef {{ id: string, name: string, media: MediaState, role: Role, hand: boolean, reconnecting?: boolean }} PeerInfo */
/** @typedef {{ id: string, name: string }} Knock someone waiting in the lobby */
/** @typedef {{ password?: string, invite?: string }} Credentials what opens a protected room (protocol: join) */
/** @typedef {{ seq: number, from: string, name: string, text: string, ts: number }} ChatMessage */
/** @typedef {{ urls: string[], username?: string, credential?: string }} IceServer */
/**
 * @typedef {{ max_frame_bytes: number, max_sdp_bytes: number, max_candidate_bytes: number, max_chat_bytes: number,
 *   max_name_bytes: number, max_participants: number, messages_per_second: number, message_burst: number,
 *   heartbeat_interval_ms: number, heartbeat_timeout_ms: number }} Limits
 */
/** @typedef {'all' | 'relay'} IcePolicy */
/**
 * @typedef {{ protocol: number, you: string, role: Role, locked: boolean, lobby: boolean, room: string, peers: PeerInfo[],
 *   ice_servers: IceServer[], ice_transport_policy: IcePolicy, chat_history: ChatMessage[], limits: Limits }} Welcome
 */
/** @typedef {{ candidate: string, sdpMid: string | null, sdpMLineIndex: number | null, usernameFragment: string | null }} CandidateInit */
/** @typedef {{ kind: 'offer' | 'answer', sdp: string } | { kind: 'candidate', candidate: CandidateInit } | { kind: 'reset' }} SignalData */
/** @typedef {Welcome & { resume_token: string | null, resume_grace_ms: number }} Session */
/** @typedef {'replayed' | 'reset'} Replay */
/**
 * Connection state of a call's signaling: `idle` (not joined yet), `connected` (joined or resumed),
 * `reconnecting` (lost; trying to resume), `replaced` (another connection of ours took over: 4004),
 * `failed` (could not get back in), `removed` (taken out of the room: `removed`, 4005), `closed` (we left
 * or closed on purpose).
 * @typedef {'idle' | 'connected' | 'reconnecting' | 'replaced' | 'failed' | 'removed' | 'closed'} ConnState
 */

/** Room names: 1 to 64 of A-Z a-z 0-9 - _ */
export const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
const ID_RE = /^[0-9a-f]{16}$/;

/** An error answer from the server (`error` message) to a request. */
export class ServerError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message || code);
    this.name = 'ServerError';
    this.code = code;
  }
}

/** Taken out of the room (`removed`) while a join was still waiting for its answer, e.g. denied from the lobby. */
export class RemovedError extends ServerError {
  /** @param {string} reason removed, banned, ended, denied @param {string | null} by */
  constructor(reason, by) {
    super('removed', `removed from the room (${reason})`);
    this.name = 'RemovedError';
    this.reason = reason;
    this.by = by;
  }
}

/** The four roles (protocol: Roles and host controls). */
export const ROLES = /** @type {const} */ (['host', 'moderator', 'participant', 'viewer']);

// ---- validation of incoming messages: anything that does not match is dropped ----

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {unknown} v @returns {v is string} */
const isStr = (v) => typeof v === 'string';
/** @param {unknown} v */
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
/** @param {unknown} v */
const isId = (v) => isStr(v) && ID_RE.test(v);

/** @param {unknown} m @returns {MediaState | null} */
function mediaState(m) {
  if (!isObj(m) || typeof m.audio !== 'boolean' || typeof m.video !== 'boolean' || typeof m.screen !== 'boolean') return null;
  return { audio: m.audio, video: m.video, screen: m.screen };
}

/** @param {unknown} r @returns {Role | null} */
export function roleOf(r) {
  return ROLES.find((x) => x === r) ?? null;
}

/** @param {unknown} p @returns {PeerInfo | null} */
function peerInfo(p) {
  if (!isObj(p) || !isId(p.id) || !isStr(p.name)) return null;
  const media = mediaState(p.media);
  if (!media) return null;
  /** @type {PeerInfo} */
  const info = { id: /** @type {string} */ (p.id), name: p.name, media, role: roleOf(p.role) ?? 'participant', hand: p.hand === true };
  if (p.reconnecting === true) info.reconnecting = true; // in welcome/resumed: its connection is lost right now
  return info;
}

/** @param {unknown} c @returns {ChatMessage | null} */
function chatMessage(c) {
  if (!isObj(c) || !isInt(c.seq) || !isId(c.from) || !isStr(c.name) || !isStr(c.text) || typeof c.ts !== 'number') return null;
  return { seq: /** @type {number} */ (c.seq), from: /** @type {string} */ (c.from), name: c.name, text: c.text, ts: c.ts };
}

/** @param {unknown} d @returns {SignalData | null} */
export function signalData(d) {
  if (!isObj(d)) return null;
  if ((d.kind === 'offer' || d.kind === 'answer') && isStr(d.sdp)) return { kind: d.kind, sdp: d.sdp };
  if (d.kind === 'reset') return { kind: 'reset' };
  if (d.kind === 'candidate' && isObj(d.candidate) && isStr(d.candidate.candidate)) {
    const c = d.candidate;
    return {
      kind: 'candidate',
      candidate: {
        candidate: /** @type {string} */ (c.candidate),
        sdpMid: isStr(c.sdpMid) ? c.sdpMid : null,
        sdpMLineIndex: isInt(c.sdpMLineIndex) ? /** @type {number} */ (c.sdpMLineIndex) : null,
        usernameFragment: isStr(c.usernameFragment) ? c.usernameFragment : null,
      },
    };
  }
  return null;
}

/** @param {unknown} list @returns {IceServer[] | null} */
function iceServerList(list) {
  if (!Array.isArray(list)) return null;
  /** @type {IceServer[]} */
  const out = [];
  for (const s of list) {
    if (!isObj(s)) return null;
    const urls = Array.isArray(s.urls) ? s.urls.filter(isStr) : isStr(s.urls) ? [s.urls] : [];
    /** @type {IceServer} */
    const entry = { urls };
    if (isStr(s.username)) entry.username = s.username;
    if (isStr(s.credential)) entry.credential = s.credential;
    if (urls.length) out.push(entry);
  }
  return out;
}

/** @param {unknown} p @returns {IcePolicy} */
const icePolicy = (p) => (p === 'relay' ? 'relay' : 'all');

/** @param {Record<string, unknown>} m @returns {Session | null} */
function welcome(m) {
  if (!isId(m.you) || !isStr(m.room) || !Array.isArray(m.peers)) return null;
  const peers = m.peers.map(peerInfo);
  if (peers.some((p) => p === null)) return null;
  const iceServers = iceServerList(m.ice_servers);
  if (!iceServers) return null;
  const history = Array.isArray(m.chat_history) ? m.chat_history.map(chatMessage).filter((c) => c !== null) : [];
  const limits = isObj(m.limits) ? /** @type {Limits} */ (/** @type {unknown} */ (m.limits)) : /** @type {Limits} */ ({});
  return {
    protocol: isInt(m.protocol) ? /** @type {number} */ (m.protocol) : 1,
    you: /** @type {string} */ (m.you),
    role: roleOf(m.role) ?? 'participant',
    locked: m.locked === true,
    lobby: m.lobby === true,
    room: m.room,
    peers: /** @type {PeerInfo[]} */ (peers),
    ice_servers: iceServers,
    ice_transport_policy: icePolicy(m.ice_transport_policy),
    chat_history: /** @type {ChatMessage[]} */ (history),
    limits,
    resume_token: isStr(m.resume_token) && m.resume_token ? m.resume_token : null,
    resume_grace_ms: isInt(m.resume_grace_ms) && /** @type {number} */ (m.resume_grace_ms) > 0 ? /** @type {number} */ (m.resume_grace_ms) : 30000,
  };
}

/**
 * URL of the signaling socket on the page's own origin.
 * @param {Location} [loc]
 */
export function socketUrl(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

/** We send a `ping` message this often… */
export const PING_MS = 2000;
/** …and take the socket for dead when nothing at all (pong, anything) arrived for this long. */
export const DEAD_MS = 6000;
/** Reconnect backoff: first delay, doubling up to the maximum, each with ±JITTER. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;
const JITTER = 0.2;
/** At most this many signal/chat messages wait for the connection to come back (oldest dropped). */
export const QUEUE_MAX = 150;
/** How often the heartbeat timer looks at the socket. */
const TICK_MS = 500;
/** A warm socket (opened ahead of `join`) that the server closed is opened again after this long. */
const WARM_REOPEN_MS = 500;
/** A warm socket that has not been heard from (pongs to our pings) for this long is not trusted with `join`. */
const WARM_FRESH_MS = PING_MS + 2000;
/** Join errors that another attempt would not change (joining afresh carries the same password and invitation). */
const FATAL_JOIN = new Set(['room_full', 'too_many_rooms', 'too_many_new_rooms', 'invalid_room', 'invalid_name',
  'unsupported_version', 'already_joined', 'room_locked', 'lobby_full', 'banned', 'password_required', 'wrong_password',
  'invite_required', 'invalid_invite']);

/**
 * Delay before reconnect attempt `attempt` (0 for the first): 250 ms doubling to 5 s, ±20 % jitter.
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/** @param {unknown} n */
const reqOf = (n) => (isInt(n) ? /** @type {number} */ (n) : -1);

/**
 * The signaling of one participant. Joins at most one room (protocol rule). With `{ resume: true }` (a
 * call) the participant outlives its connections: see the module comment and docs/protocol.md (Resume).
 */
export class Signaling extends EventTarget {
  /**
   * @param {string} url WebSocket URL (see socketUrl())
   * @param {{ resume?: boolean }} [opts] resume: keep the participant alive across lost connections
   */
  constructor(url, { resume = false } = {}) {
    super();
    this.url = url;
    this.resume = resume;
    /** @type {WebSocket | null} the current socket; every other socket is abandoned and its events ignored */
    this.ws = null;
    /** @private */ this.nextReq = 1;
    /** @private @type {Map<number, {resolve: (m: any) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    /** @private set when we close on purpose (leave), so nobody reports a lost connection */
    this.closingOnPurpose = false;
    /** @type {string | null} our participant id once joined */
    this.you = null;
    /** @type {ConnState} */ this.state = 'idle';
    /** @private @type {string | null} latest resume token (welcome, resumed, resume_token) */ this.token = null;
    /** highest `n` received in the current numbering */ this.lastN = 0;
    /** @private */ this.room = '';
    /** @private */ this.name = '';
    /** @private @type {Credentials} password and invitation, kept in memory for joining afresh */ this.credentials = {};
    /** @private req of the first join while it waits for its answer, 0 otherwise */ this.joinReq = 0;
    /** @private @type {ReturnType<typeof setInterval> | undefined} heartbeat while waiting in the lobby */ this.lobbyWatch = undefined;
    /** @private @type {MediaState} what we send now, as far as the server should know */
    this.mediaState = { audio: false, video: false, screen: false };
    /** @private media state the server was last told about (join, resume or media) */ this.mediaKnown = '';
    /** @private @type {Record<string, unknown>[]} signals and chat waiting for the connection */ this.queue = [];
    /** @private req of the resume/join sent on the current reconnect socket, 0 when none */ this.helloReq = 0;
    /** @private */ this.helloSentAt = 0;
    /** @private */ this.attempt = 0;
    /** @private @type {ReturnType<typeof setTimeout> | undefined} */ this.reconnectTimer = undefined;
    /** @private @type {ReturnType<typeof setInterval> | undefined} */ this.heartbeat = undefined;
    /** @private */ this.lastFrameAt = 0;
    /** @private */ this.lastPingAt = 0;
    /** @private */ this.lastTickAt = 0;
    /** @private */ this.outageStartedAt = 0;
    /** @private opened ahead of join (warm()): keep a socket open until join() or close() */ this.warming = false;
    /** @private @type {ReturnType<typeof setTimeout> | undefined} */ this.warmTimer = undefined;
    /** @private @type {ReturnType<typeof setInterval> | undefined} pings on the warm socket */ this.warmPings = undefined;
    /** @private the current socket got its welcome or resumed: our pings may acknowledge `n` */ this.acking = false;
    /** close code of the last socket that closed (0: none yet) */ this.lastCloseCode = 0;
    /** @private the current socket has opened */ this.socketOpened = false;
    /** @private @type {[string, unknown][] | null} events kept while held (hold()) */ this.held = null;
    /** @private @type {((type: string, detail: any) => boolean) | null} */ this.through = null;
    // counters, for the UI and the test hook
    this.reconnects = 0;
    this.resumes = 0;
    this.rejoins = 0;
    /** @type {number | null} how long the last outage lasted, ms */ this.lastOutageMs = null;
    /** @type {Replay | null} */ this.lastReplay = null;
    /** why we last lost the connection: 'closed (code)', 'silent', 'shutdown', ... */ this.lastLoss = '';
    /** sockets opened to get back in, in the last outage */ this.lastAttempts = 0;
  }

  /**
   * Open the socket, or use the one already open or opening (see warm()). A warm socket that has gone
   * quiet is replaced by a new one. @returns {Promise<void>}
   */
  connect() {
    const warm = this.warming;
    this.stopWarming();
    let ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN && warm && performance.now() - this.lastFrameAt > WARM_FRESH_MS) {
      this.abandonWarm(); // maybe dead without a close (a network change, a sleeping laptop): do not join on it
      ws = null;
    }
    if (ws && ws.readyState === WebSocket.OPEN) return Promise.resolve();
    if (!ws || ws.readyState !== WebSocket.CONNECTING) ws = this.openSocket();
    const socket = ws;
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('close', () => reject(new Error('Could not reach the server')));
    });
  }

  /**
   * Open the socket ahead of join() (on the pre-join screen), so that joining needs no connection setup.
   * The server closes a socket that has not joined within its join_timeout_ms (4001): while warming, a
   * socket that closed after it had opened is opened again once, after WARM_REOPEN_MS; one that could not
   * connect is not (connect() opens one then). Pings tell whether it is alive. connect(), join() and
   * close() end the warming.
   */
  warm() {
    if (this.state !== 'idle') return;
    this.warming = true;
    if (!this.ws) this.openSocket();
    clearInterval(this.warmPings);
    this.warmPings = setInterval(() => {
      const ws = this.ws;
      if (this.warming && ws?.readyState === WebSocket.OPEN) ws.send(this.pingMessage());
    }, PING_MS);
  }

  /** Stop keeping a socket warm (the socket itself stays, for join()). @private */
  stopWarming() {
    this.warming = false;
    clearTimeout(this.warmTimer);
    clearInterval(this.warmPings);
    this.warmTimer = this.warmPings = undefined;
  }

  /** Drop a warm socket we no longer trust (its later events are ignored). @private */
  abandonWarm() {
    const ws = this.ws;
    this.ws = null;
    try { ws?.close(); } catch { /* already closing */ }
  }

  /**
   * Join a room; resolves with the validated welcome, rejects with ServerError (RemovedError when turned
   * away from the lobby). A room with its lobby on answers `waiting` first (a `waiting` event), and the
   * welcome comes when a host lets us in. After an error the same socket may join again (with a password).
   * @param {{ room: string, name: string, media: MediaState, credentials?: Credentials }} args
   * @returns {Promise<Session>}
   */
  async join({ room, name, media, credentials = {} }) {
    this.stopWarming();
    this.room = room;
    this.name = name;
    this.mediaState = { ...media };
    this.credentials = { ...credentials };
    const req = this.nextReq++;
    const answer = new Promise((resolve, reject) => this.pending.set(req, { resolve, reject }));
    this.joinReq = req;
    this.send(this.joinMessage(media, req));
    this.mediaKnown = JSON.stringify(this.mediaState);
    let msg;
    try {
      msg = await answer;
    } finally {
      this.joinReq = 0;
      this.stopLobbyWatch();
    }
    const w = welcome(msg);
    if (!w) throw new ServerError('invalid_welcome', 'The server sent a welcome this client cannot read');
    this.you = w.you;
    this.token = w.resume_token;
    this.lastN = 0;
    this.acking = true;
    this.setState('connected', 'joined');
    if (this.resume) this.startHeartbeat();
    return w;
  }

  /** @param {string} to @param {SignalData} data */
  signal(to, data) { this.sendRoom({ type: 'signal', to, data }); }

  /** Our whole media state; while reconnecting, `resume` carries it instead. @param {MediaState} m */
  media(m) {
    this.mediaState = { audio: m.audio, video: m.video, screen: m.screen };
    if (this.isLive()) this.sendMediaIfChanged();
  }

  /** @param {string} text */
  chat(text) { this.sendRoom({ type: 'chat', text }); }

  /** Raise or lower our hand (kept while reconnecting; everyone, us included, gets `hand`). @param {boolean} raised */
  hand(raised) { this.sendRoom({ type: 'hand', raised }); }

  /**
   * A host control (protocol: `moderate`). Sent only while connected: a stale control is worse than none.
   * Success has no answer; a refusal comes back as a `server_error` with the returned `req`.
   * @param {string} action remove, ban, mute, mute_all, lock, unlock, end, set_role, lobby_on, lobby_off, admit, deny
   * @param {string} [target] a participant id (or a lobby id for admit and deny)
   * @param {Role} [role] for set_role
   * @returns {number} the request id, or 0 when not connected (nothing was sent)
   */
  moderate(action, target, role) {
    if (!this.isLive()) return 0;
    const req = this.nextReq++;
    /** @type {Record<string, unknown>} */
    const msg = { type: 'moderate', action, req };
    if (target !== undefined) msg.target = target;
    if (role !== undefined) msg.role = role;
    this.send(msg);
    return req;
  }

  /** Leave the room for good; the server closes the socket with 1000 afterwards. */
  leave() {
    this.closingOnPurpose = true;
    const live = this.isLive();
    this.stop('closed');
    if (live) this.send({ type: 'leave' });
    else this.ws?.close(1000);
  }

  /** Close the socket without leaving (the others see the participant reconnecting, then gone). */
  close() {
    this.stopWarming();
    this.closingOnPurpose = true;
    this.stop('closed');
    this.ws?.close(1000);
  }

  /** @returns {boolean} the socket is open (it may still be waiting for its answer to resume) */
  get open() { return this.ws?.readyState === WebSocket.OPEN; }

  /** @returns {boolean} true while room messages can be sent at once */
  get connected() { return this.isLive(); }

  /** Counters and state, for the UI and the test hook. */
  info() {
    return {
      state: this.state, you: this.you, reconnects: this.reconnects, resumes: this.resumes, rejoins: this.rejoins,
      lastOutageMs: this.lastOutageMs, lastReplay: this.lastReplay, lastLoss: this.lastLoss, lastAttempts: this.lastAttempts, lastN: this.lastN,
      queued: this.queue.length,
    };
  }

  // ---------------------------------------------------------------- internals

  /** @private */
  isLive() { return this.state === 'connected' && this.ws?.readyState === WebSocket.OPEN; }

  /** `join` with our credentials (only the fields we have: the protocol is strict). @private
   * @param {MediaState} media @param {number} req */
  joinMessage(media, req) {
    /** @type {Record<string, unknown>} */
    const msg = { type: 'join', v: PROTOCOL_VERSION, room: this.room, name: this.name, media: { ...media }, req };
    if (this.credentials.password !== undefined) msg.password = this.credentials.password;
    if (this.credentials.invite !== undefined) msg.invite = this.credentials.invite;
    const key = browserKey();
    if (key !== undefined) msg.browser_key = key;
    return msg;
  }

  /**
   * Waiting in the lobby before our first welcome: no call heartbeat runs yet, so watch the socket here
   * (ping every PING_MS, dead after DEAD_MS of silence); a dead one is closed and the join fails.
   * @private
   */
  startLobbyWatch() {
    this.stopLobbyWatch();
    this.lastFrameAt = this.lastPingAt = performance.now();
    this.lobbyWatch = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      const now = performance.now();
      if (now - this.lastFrameAt > DEAD_MS) {
        const req = this.joinReq;
        this.stopLobbyWatch();
        const p = this.pending.get(req);
        this.pending.delete(req);
        p?.reject(new ServerError('closed', 'the connection to the server was lost while waiting'));
        try { ws.close(); } catch { /* already closing */ }
        return;
      }
      if (now - this.lastPingAt >= PING_MS) {
        this.lastPingAt = now;
        ws.send(this.pingMessage());
      }
    }, TICK_MS);
  }

  /** @private */
  stopLobbyWatch() {
    clearInterval(this.lobbyWatch);
    this.lobbyWatch = undefined;
  }

  /** @private @param {Record<string, unknown>} msg */
  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** A message to the room: sent now, or kept until we are back (bounded; the oldest goes first). @private @param {Record<string, unknown>} msg */
  sendRoom(msg) {
    if (this.isLive()) { this.send(msg); return; }
    if (!this.resume || (this.state !== 'connected' && this.state !== 'reconnecting')) return;
    this.queue.push(msg);
    if (this.queue.length > QUEUE_MAX) {
      this.queue.shift();
      console.warn('ruang: outgoing queue full while reconnecting; the oldest message was dropped');
    }
  }

  /** @private */
  sendMediaIfChanged() {
    const s = JSON.stringify(this.mediaState);
    if (s === this.mediaKnown) return;
    this.mediaKnown = s;
    this.send({ type: 'media', ...this.mediaState });
  }

  /**
   * Back in the room: send what waited. Signals are dropped when the numbering was reset (`keepSignals`
   * false): they belong to negotiations the mesh restarts anyway, and could target peers not (yet) back.
   * @private @param {boolean} keepSignals
   */
  flush(keepSignals) {
    const queue = this.queue;
    this.queue = [];
    for (const m of queue) if (keepSignals || m.type !== 'signal') this.send(m);
    this.sendMediaIfChanged();
  }

  /** @private @param {ConnState} state @param {string} reason */
  setState(state, reason) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state, reason });
  }

  /** Stop reconnecting and heartbeats for good. @private @param {ConnState} state */
  stop(state) {
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.helloReq = 0;
    this.queue = [];
    this.setState(state, state);
  }

  /** @private */
  openSocket() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.acking = false;
    this.socketOpened = false;
    this.lastFrameAt = performance.now();
    ws.addEventListener('open', () => { if (this.ws === ws) this.onOpen(); });
    ws.addEventListener('message', (ev) => { if (this.ws === ws) this.onFrame(ev.data); });
    ws.addEventListener('close', (ev) => { if (this.ws === ws) this.onClose(ev); });
    return ws;
  }

  /** @private */
  onOpen() {
    this.socketOpened = true;
    this.lastFrameAt = performance.now();
    if (this.state === 'reconnecting') this.sendHello();
  }

  /** @private @param {CloseEvent} ev */
  onClose(ev) {
    this.ws = null;
    this.lastCloseCode = ev.code;
    if (this.warming && this.state === 'idle') {
      // on the pre-join screen: the server closed our warm socket (join timeout, restart): open another,
      // once and not at once; a socket that never opened is not retried (join() connects by itself)
      clearTimeout(this.warmTimer);
      this.warmTimer = this.socketOpened ? setTimeout(() => {
        this.warmTimer = undefined;
        if (this.warming && !this.ws) this.openSocket();
      }, WARM_REOPEN_MS) : undefined;
      return;
    }
    for (const p of this.pending.values()) p.reject(new ServerError('closed', `connection closed (${ev.code})`));
    this.pending.clear();
    const expected = this.closingOnPurpose || (!this.resume && ev.code === 1000);
    this.emit('close', { code: ev.code, reason: ev.reason, expected });
    if (expected) { this.stop('closed'); return; }
    if (ev.code === 4004) { this.stop('replaced'); return; } // another connection of ours took over
    if (ev.code === 4005) { this.removed('removed', null); return; } // (normally announced by `removed` first)
    if (this.resume && (this.state === 'connected' || this.state === 'reconnecting')) this.lose(`closed (${ev.code})`);
    else if (this.state === 'connected') this.stop('closed');
  }

  /**
   * The current socket is gone (closed, silent, or the server is stopping): abandon it and resume on a
   * new one, with backoff.
   * @private @param {string} why
   */
  lose(why) {
    const ws = this.ws;
    this.ws = null; // from now on its events are ignored
    this.helloReq = 0;
    if (ws && ws.readyState !== WebSocket.CLOSED) { try { ws.close(); } catch { /* already closing */ } }
    for (const p of this.pending.values()) p.reject(new ServerError('closed', 'connection lost'));
    this.pending.clear();
    if (this.state !== 'reconnecting') {
      console.info(`ruang: connection to the server lost (${why}); reconnecting`);
      this.lastLoss = why;
      this.reconnects++;
      this.attempt = 0;
      this.outageStartedAt = performance.now();
      this.setState('reconnecting', why);
    }
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => {
      if (this.state === 'reconnecting' && !this.ws) this.openSocket();
    }, delay);
  }

  /** First message on a reconnect socket: resume while we hold a token, else join afresh. @private */
  sendHello() {
    const req = this.nextReq++;
    this.helloReq = req;
    this.helloSentAt = performance.now();
    const media = { ...this.mediaState };
    if (this.token) this.send({ type: 'resume', v: PROTOCOL_VERSION, token: this.token, last_n: this.lastN, media, req });
    else this.send(this.joinMessage(media, req)); // joining afresh: with our password or invitation
    this.mediaKnown = JSON.stringify(media);
  }

  /** @private */
  startHeartbeat() {
    clearInterval(this.heartbeat);
    this.lastFrameAt = this.lastTickAt = performance.now();
    this.heartbeat = setInterval(() => this.tick(), TICK_MS);
  }

  /**
   * Heartbeat: ping every PING_MS; a socket with nothing received for DEAD_MS is dead. A tick that comes
   * late (the page was throttled in the background, or the machine slept) judges nothing: our pings were
   * not sent meanwhile, so the silence says nothing about the socket; the next frames get 2 × PING_MS.
   * @private
   */
  tick() {
    const now = performance.now();
    const late = now - this.lastTickAt > PING_MS + TICK_MS;
    this.lastTickAt = now;
    const ws = this.ws;
    if (!ws || (this.state !== 'connected' && this.state !== 'reconnecting')) return;
    if (late) {
      const grace = now - DEAD_MS + 2 * PING_MS;
      this.lastFrameAt = Math.max(this.lastFrameAt, grace);
      this.helloSentAt = Math.max(this.helloSentAt, grace);
    } else {
      if (now - this.lastFrameAt > DEAD_MS) { this.lose('silent'); return; }
      if (this.helloReq && now - this.helloSentAt > DEAD_MS) { this.lose('no answer'); return; }
    }
    if (ws.readyState === WebSocket.OPEN && now - this.lastPingAt >= PING_MS) {
      this.lastPingAt = now;
      ws.send(this.pingMessage());
    }
  }

  /**
   * A `ping`; once this connection got its welcome or resumed it acknowledges (`ack`) the highest `n`
   * received, the `last_n` a resume would send, so that the server can forget what we have. @private
   */
  pingMessage() {
    /** @type {Record<string, unknown>} */
    const msg = { type: 'ping', req: this.nextReq++ };
    if (this.acking) msg.ack = this.lastN;
    return JSON.stringify(msg);
  }

  /** The answer to our resume/join on a reconnect socket. @private @param {Record<string, unknown>} m */
  onHelloAnswer(m) {
    this.helloReq = 0;
    if (m.type === 'error') {
      const code = isStr(m.code) ? m.code : 'unknown';
      const message = isStr(m.message) ? m.message : code;
      if (code === 'resume_refused' && this.token) {
        // the participant is gone on the server: join afresh as a new one, on this same connection
        this.token = null;
        this.sendHello();
      } else if (FATAL_JOIN.has(code)) {
        this.stop('failed');
        this.emit('failed', { code, message });
        this.ws?.close(1000);
      } else {
        this.lose(`refused (${code})`); // shutting_down, internal, rate_limited…: try again later
      }
      return;
    }
    const w = welcome(m);
    if (!w) { this.lose('unreadable answer'); return; }
    this.token = w.resume_token;
    this.acking = true;
    this.lastOutageMs = Math.round(performance.now() - this.outageStartedAt);
    this.lastAttempts = this.attempt;
    this.attempt = 0;
    if (m.type === 'resumed') {
      const replay = m.replay === 'replayed' ? 'replayed' : 'reset';
      if (replay === 'reset') this.lastN = 0;
      this.lastReplay = replay;
      this.resumes++;
      this.setState('connected', 'resumed');
      // replayed: the messages we missed follow; what we queued completes our side of the conversation.
      this.flush(replay === 'replayed');
      this.emit('resumed', { welcome: w, replay });
    } else {
      const previous = this.you;
      this.you = w.you;
      this.lastN = 0;
      this.lastReplay = null;
      this.rejoins++;
      this.setState('connected', 'rejoined');
      this.flush(false);
      this.emit('rejoined', { welcome: w, previous });
    }
  }

  /** Taken out of the room (removed, banned, the meeting ended): there is nothing to resume. @private
   * @param {string} reason @param {string | null} by */
  removed(reason, by) {
    if (this.state === 'removed') return;
    this.stop('removed');
    this.stopLobbyWatch();
    // a join still waiting for its answer (in the lobby) ends here
    for (const p of this.pending.values()) p.reject(new RemovedError(reason, by));
    this.pending.clear();
    this.emit('removed', { reason, by });
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) {
    if (!this.held) this.dispatchEvent(new CustomEvent(type, { detail }));
    else if (!this.through?.(type, detail)) this.held.push([type, detail]);
  }

  /**
   * Keep events (in order) instead of dispatching them, until release(): their listeners are not there
   * yet. `through` sees each event at once and returns true for one it has fully handled (not kept).
   * @param {(type: string, detail: any) => boolean} [through]
   */
  hold(through) {
    this.held ??= [];
    this.through = through ?? null;
  }

  /** Dispatch the events kept since hold(), in order, and dispatch again from now on. */
  release() {
    /** @type {[string, unknown][]} */
    const held = this.held ?? [];
    this.held = null;
    this.through = null;
    for (const [type, detail] of held) this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @private @param {unknown} raw */
  onFrame(raw) {
    this.lastFrameAt = performance.now();
    if (typeof raw !== 'string') return; // binary frames are not part of the protocol
    let m;
    try { m = JSON.parse(raw); } catch { console.warn('ruang: non-JSON frame dropped'); return; }
    if (!isObj(m) || !isStr(m.type)) return;
    if (this.helloReq && reqOf(m.req) === this.helloReq && ['resumed', 'welcome', 'error'].includes(m.type)) {
      this.onHelloAnswer(m);
      return;
    }
    // joining afresh into a room with a lobby: the welcome comes when a host admits us, however long that takes
    if (this.helloReq && m.type === 'waiting') {
      this.helloSentAt = Infinity;
      this.emit('waiting', { room: this.room, rejoin: true });
      return;
    }
    if (this.joinReq && m.type === 'waiting') {
      this.startLobbyWatch();
      this.emit('waiting', { room: this.room, rejoin: false });
      return;
    }
    if (isInt(m.n) && /** @type {number} */ (m.n) > this.lastN) this.lastN = /** @type {number} */ (m.n);
    const drop = () => console.warn('ruang: invalid message dropped', m.type);
    switch (m.type) {
      case 'welcome': {
        const p = this.pending.get(reqOf(m.req));
        if (p) { this.pending.delete(reqOf(m.req)); p.resolve(m); }
        return;
      }
      case 'error': {
        const code = isStr(m.code) ? m.code : 'unknown';
        const message = isStr(m.message) ? m.message : code;
        const p = this.pending.get(reqOf(m.req));
        if (p) { this.pending.delete(reqOf(m.req)); p.reject(new ServerError(code, message)); return; }
        this.emit('server_error', isInt(m.req) ? { code, message, req: m.req } : { code, message });
        return;
      }
      case 'peer_joined': {
        const peer = peerInfo(m.peer);
        return peer ? this.emit('peer_joined', { peer }) : drop();
      }
      case 'peer_left':
        return isId(m.id) ? this.emit('peer_left', { id: m.id, reason: isStr(m.reason) ? m.reason : 'left' }) : drop();
      case 'peer_reconnecting':
      case 'peer_reconnected':
        return isId(m.id) ? this.emit(m.type, { id: m.id }) : drop();
      case 'signal': {
        const data = signalData(m.data);
        return isId(m.from) && data ? this.emit('signal', { from: m.from, data }) : drop();
      }
      case 'media': {
        const media = mediaState(m);
        return isId(m.id) && media ? this.emit('media', { id: m.id, media }) : drop();
      }
      case 'chat': {
        const message = chatMessage(m);
        return message ? this.emit('chat', { message }) : drop();
      }
      case 'ice_servers': {
        const iceServers = iceServerList(m.ice_servers);
        return iceServers ? this.emit('ice_servers', { iceServers, policy: icePolicy(m.ice_transport_policy) }) : drop();
      }
      case 'role': {
        const role = roleOf(m.role);
        return isId(m.id) && role ? this.emit('role', { id: m.id, role }) : drop();
      }
      case 'hand':
        return isId(m.id) && typeof m.raised === 'boolean' ? this.emit('hand', { id: m.id, raised: m.raised }) : drop();
      case 'room_state':
        return typeof m.locked === 'boolean' && typeof m.lobby === 'boolean' ? this.emit('room_state', { locked: m.locked, lobby: m.lobby }) : drop();
      case 'lobby': {
        if (!Array.isArray(m.waiting)) return drop();
        /** @type {Knock[]} */
        const waiting = [];
        for (const w of m.waiting) if (isObj(w) && isId(w.id) && isStr(w.name)) waiting.push({ id: /** @type {string} */ (w.id), name: w.name });
        return this.emit('lobby', { waiting });
      }
      case 'lobby_joined':
        return isId(m.id) && isStr(m.name) ? this.emit('lobby_joined', { knock: { id: /** @type {string} */ (m.id), name: m.name } }) : drop();
      case 'lobby_left':
        return isId(m.id) ? this.emit('lobby_left', { id: m.id }) : drop();
      case 'muted':
        return this.emit('muted', { by: isId(m.by) ? m.by : null });
      case 'resume_token':
        if (isStr(m.token) && m.token) this.token = m.token;
        return;
      case 'removed':
        this.removed(isStr(m.reason) ? m.reason : 'removed', isId(m.by) ? /** @type {string} */ (m.by) : null);
        return;
      case 'shutdown':
        this.emit('shutdown', { reason: isStr(m.reason) ? m.reason : 'stopping' });
        // nobody leaves: resume when the server (or its replacement) is back
        if (this.resume && this.state === 'connected') this.lose('shutdown');
        return;
      case 'pong':
        return;
      default:
        return; // unknown server message types are ignored (protocol: not a version change)
    }
  }
}
