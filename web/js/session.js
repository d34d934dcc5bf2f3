// session.js — one participant's signaling session: the socket's life and the reconnect/resume state
// machine (docs/protocol.md: Heartbeats, Resume), built on the codec in wire.js and the rules in
// reconnect.js. Why it is over 400 lines: it is one state machine (idle → connected → reconnecting →
// connected / replaced / failed / removed / closed) plus the two waits that share its socket (the socket
// warmed on the pre-join screen, the lobby before the first welcome); split further, each part would
// need the others' private state.
//
// Owns: the socket (opened ahead on the pre-join screen: warm()), request ids, typed events (held while
// the call screen is built: hold()/release()), `join` with credentials and the lobby wait, and — for a call
// (`{ resume: true }`) — keeping the participant alive across lost connections: heartbeats both ways,
// reconnecting with backoff, `resume` with the latest token and the highest `n`, queueing what we send
// while disconnected, and joining afresh when the server refuses the resume.
// No DOM and no WebRTC, and no globals: the socket, the clock and the timers come in `env` (signaling.js
// gives the browser's; the unit tests give fakes).
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
//   lobby_joined {knock: {id, name}}, lobby_left {id} (then each change of that list), muted {by},
//   media_mode {mode, sfu} (the room's media now travels so: protocol, Media modes), speaker {id} (SFU rooms)

import {
  ServerError, RemovedError, Numbering, parseFrame, readWelcome, roomEvent, reqOf, errorOf, isStr, isId, isInt,
  joinMessage, resumeMessage, moderateMessage, layersMessage, tilesMessage, pinMessage,
} from './wire.js';
import { PING_MS, DEAD_MS, TICK_MS, backoffDelay, judgeHeartbeat, readHelloAnswer, Outbox } from './reconnect.js';

/** @typedef {import('./wire.js').MediaState} MediaState */
/** @typedef {import('./wire.js').Role} Role */
/** @typedef {import('./wire.js').Credentials} Credentials */
/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').Session} Session */
/** @typedef {import('./wire.js').Replay} Replay */
/** @typedef {import('./wire.js').Frame} Frame */
/**
 * Connection state of a call's signaling: `idle` (not joined yet), `connected` (joined or resumed),
 * `reconnecting` (lost; trying to resume), `replaced` (another connection of ours took over: 4004),
 * `failed` (could not get back in), `removed` (taken out of the room: `removed`, 4005), `closed` (we left
 * or closed on purpose).
 * @typedef {'idle' | 'connected' | 'reconnecting' | 'replaced' | 'failed' | 'removed' | 'closed'} ConnState
 */
/**
 * What a WebSocket is to this module (a browser WebSocket is one).
 * @typedef {{ readyState: number, send(data: string): void, close(code?: number): void,
 *   addEventListener(type: string, fn: (ev: any) => void): void }} SocketLike
 */
/**
 * The outside world: opening a socket, the clock, timers, randomness, the browser's key.
 * @typedef {{ open: (url: string) => SocketLike, now: () => number,
 *   setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (t: unknown) => void,
 *   setInterval: (fn: () => void, ms: number) => unknown, clearInterval: (t: unknown) => void,
 *   random: () => number, browserKey: () => string | undefined }} Env
 */

/** WebSocket readyState values. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** A warm socket (opened ahead of `join`) that the server closed is opened again after this long. */
const WARM_REOPEN_MS = 500;
/** A warm socket that has not been heard from (pongs to our pings) for this long is not trusted with `join`. */
const WARM_FRESH_MS = PING_MS + 2000;

/**
 * The signaling of one participant. Joins at most one room (protocol rule). With `{ resume: true }` (a
 * call) the participant outlives its connections: see the module comment and docs/protocol.md (Resume).
 */
export class SignalingSession extends EventTarget {
  /**
   * @param {string} url WebSocket URL
   * @param {{ resume?: boolean, env: Env }} opts resume: keep the participant alive across lost connections
   */
  constructor(url, { resume = false, env }) {
    super();
    this.url = url;
    this.resume = resume;
    /** @private */ this.env = env;
    /** @type {SocketLike | null} the current socket; every other socket is abandoned and its events ignored */
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
    /** @private the numbering of room messages: last_n, ack */ this.numbering = new Numbering();
    /** @private */ this.room = '';
    /** @private */ this.name = '';
    /** @private @type {Credentials} password and invitation, kept in memory for joining afresh */ this.credentials = {};
    /** @private req of the first join while it waits for its answer, 0 otherwise */ this.joinReq = 0;
    /** @private @type {unknown} heartbeat while waiting in the lobby */ this.lobbyWatch = undefined;
    /** @private @type {MediaState} what we send now, as far as the server should know */
    this.mediaState = { audio: false, video: false, screen: false };
    /** @private media state the server was last told about (join, resume or media) */ this.mediaKnown = '';
    /** @private signals and chat waiting for the connection */ this.outbox = new Outbox();
    /** @private req of the resume/join sent on the current reconnect socket, 0 when none */ this.helloReq = 0;
    /** @private */ this.helloSentAt = 0;
    /** @private */ this.attempt = 0;
    /** @private @type {unknown} */ this.reconnectTimer = undefined;
    /** @private @type {unknown} */ this.heartbeat = undefined;
    /** @private */ this.lastFrameAt = 0;
    /** @private */ this.lastPingAt = 0;
    /** @private */ this.lastTickAt = 0;
    /** @private */ this.outageStartedAt = 0;
    /** @private opened ahead of join (warm()): keep a socket open until join() or close() */ this.warming = false;
    /** @private @type {unknown} */ this.warmTimer = undefined;
    /** @private @type {unknown} pings on the warm socket */ this.warmPings = undefined;
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

  /** highest `n` received in the current numbering */
  get lastN() { return this.numbering.lastN; }

  /**
   * Open the socket, or use the one already open or opening (see warm()). A warm socket that has gone
   * quiet is replaced by a new one. @returns {Promise<void>}
   */
  connect() {
    const warm = this.warming;
    this.stopWarming();
    let ws = this.ws;
    if (ws && ws.readyState === OPEN && warm && this.env.now() - this.lastFrameAt > WARM_FRESH_MS) {
      this.abandonWarm(); // maybe dead without a close (a network change, a sleeping laptop): do not join on it
      ws = null;
    }
    if (ws && ws.readyState === OPEN) return Promise.resolve();
    if (!ws || ws.readyState !== CONNECTING) ws = this.openSocket();
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
    this.env.clearInterval(this.warmPings);
    this.warmPings = this.env.setInterval(() => {
      const ws = this.ws;
      if (this.warming && ws?.readyState === OPEN) ws.send(this.pingMessage());
    }, PING_MS);
  }

  /** Stop keeping a socket warm (the socket itself stays, for join()). @private */
  stopWarming() {
    this.warming = false;
    this.env.clearTimeout(this.warmTimer);
    this.env.clearInterval(this.warmPings);
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
    const w = readWelcome(msg);
    if (!w) throw new ServerError('invalid_welcome', 'The server sent a welcome this client cannot read');
    this.you = w.you;
    this.token = w.resume_token;
    this.numbering.restart();
    this.numbering.acking = true;
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

  /**
   * SFU rooms: the simulcast layers we send, how tall we show the others, whom we pin. Sent only while
   * connected (each replaces the previous one; the media transport sends them again after a resume).
   * @param {import('./wire.js').Layer[]} layers
   */
  layers(layers) { if (this.isLive()) this.send(layersMessage(layers)); }

  /** @param {import('./wire.js').TileSize[]} tiles */
  tiles(tiles) { if (this.isLive()) this.send(tilesMessage(tiles)); }

  /** @param {string | null} id */
  pin(id) { if (this.isLive()) this.send(pinMessage(id)); }

  /** Raise or lower our hand (kept while reconnecting; everyone, us included, gets `hand`). @param {boolean} raised */
  hand(raised) { this.sendRoom({ type: 'hand', raised }); }

  /** Send a reaction (one of reactions.js's set; only while connected: a late reaction means nothing). @param {string} emoji */
  react(emoji) { if (this.isLive()) this.send({ type: 'react', emoji }); }

  /**
   * We start or stop recording the meeting (protocol: `recording`; hosts and moderators start). Only while
   * connected. @param {boolean} on @returns {number} the request id (a refusal comes back as a
   * `server_error` with it), or 0 when not connected (nothing was sent)
   */
  recording(on) {
    if (!this.isLive()) return 0;
    const req = this.nextReq++;
    this.send({ type: 'recording', on, req });
    return req;
  }

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
    this.send(moderateMessage(action, target, role, req));
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
  get open() { return this.ws?.readyState === OPEN; }

  /** @returns {boolean} true while room messages can be sent at once */
  get connected() { return this.isLive(); }

  /** Counters and state, for the UI and the test hook. */
  info() {
    return {
      state: this.state, you: this.you, reconnects: this.reconnects, resumes: this.resumes, rejoins: this.rejoins,
      lastOutageMs: this.lastOutageMs, lastReplay: this.lastReplay, lastLoss: this.lastLoss, lastAttempts: this.lastAttempts, lastN: this.lastN,
      queued: this.outbox.length,
    };
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

  // ---------------------------------------------------------------- internals

  /** @private */
  isLive() { return this.state === 'connected' && this.ws?.readyState === OPEN; }

  /** `join` with our credentials. @private @param {MediaState} media @param {number} req */
  joinMessage(media, req) {
    return joinMessage({ room: this.room, name: this.name, media, credentials: this.credentials, browserKey: this.env.browserKey(), req });
  }

  /** A `ping` (acknowledging what we received once this connection got its welcome or resumed). @private */
  pingMessage() { return JSON.stringify(this.numbering.ping(this.nextReq++)); }

  /**
   * Waiting in the lobby before our first welcome: no call heartbeat runs yet, so watch the socket here
   * (ping every PING_MS, dead after DEAD_MS of silence); a dead one is closed and the join fails.
   * @private
   */
  startLobbyWatch() {
    this.stopLobbyWatch();
    this.lastFrameAt = this.lastPingAt = this.env.now();
    this.lobbyWatch = this.env.setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== OPEN) return;
      const now = this.env.now();
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
    this.env.clearInterval(this.lobbyWatch);
    this.lobbyWatch = undefined;
  }

  /** @private @param {Record<string, unknown>} msg */
  send(msg) {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** A message to the room: sent now, or kept until we are back (bounded; the oldest goes first). @private @param {Record<string, unknown>} msg */
  sendRoom(msg) {
    if (this.isLive()) { this.send(msg); return; }
    if (!this.resume || (this.state !== 'connected' && this.state !== 'reconnecting')) return;
    if (!this.outbox.push(msg)) console.warn('ruang: outgoing queue full while reconnecting; the oldest message was dropped');
  }

  /** @private */
  sendMediaIfChanged() {
    const s = JSON.stringify(this.mediaState);
    if (s === this.mediaKnown) return;
    this.mediaKnown = s;
    this.send({ type: 'media', ...this.mediaState });
  }

  /** Back in the room: send what waited (see Outbox). @private @param {boolean} keepSignals */
  flush(keepSignals) {
    for (const m of this.outbox.take(keepSignals)) this.send(m);
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
    this.env.clearTimeout(this.reconnectTimer);
    this.env.clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.helloReq = 0;
    this.outbox.clear();
    this.setState(state, state);
  }

  /** @private */
  openSocket() {
    const ws = this.env.open(this.url);
    this.ws = ws;
    this.numbering.acking = false;
    this.socketOpened = false;
    this.lastFrameAt = this.env.now();
    ws.addEventListener('open', () => { if (this.ws === ws) this.onOpen(); });
    ws.addEventListener('message', (ev) => { if (this.ws === ws) this.onFrame(ev.data); });
    ws.addEventListener('close', (ev) => { if (this.ws === ws) this.onClose(ev); });
    return ws;
  }

  /** @private */
  onOpen() {
    this.socketOpened = true;
    this.lastFrameAt = this.env.now();
    if (this.state === 'reconnecting') this.sendHello();
  }

  /** @private @param {{ code: number, reason: string }} ev */
  onClose(ev) {
    this.ws = null;
    this.lastCloseCode = ev.code;
    if (this.warming && this.state === 'idle') {
      // on the pre-join screen: the server closed our warm socket (join timeout, restart): open another,
      // once and not at once; a socket that never opened is not retried (join() connects by itself)
      this.env.clearTimeout(this.warmTimer);
      this.warmTimer = this.socketOpened ? this.env.setTimeout(() => {
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
    if (ws && ws.readyState !== CLOSED) { try { ws.close(); } catch { /* already closing */ } }
    for (const p of this.pending.values()) p.reject(new ServerError('closed', 'connection lost'));
    this.pending.clear();
    if (this.state !== 'reconnecting') {
      console.info(`ruang: connection to the server lost (${why}); reconnecting`);
      this.lastLoss = why;
      this.reconnects++;
      this.attempt = 0;
      this.outageStartedAt = this.env.now();
      this.setState('reconnecting', why);
    }
    this.env.clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++, this.env.random);
    this.reconnectTimer = this.env.setTimeout(() => {
      if (this.state === 'reconnecting' && !this.ws) this.openSocket();
    }, delay);
  }

  /** First message on a reconnect socket: resume while we hold a token, else join afresh. @private */
  sendHello() {
    const req = this.nextReq++;
    this.helloReq = req;
    this.helloSentAt = this.env.now();
    const media = { ...this.mediaState };
    if (this.token) this.send(resumeMessage({ token: this.token, lastN: this.lastN, media, req }));
    else this.send(this.joinMessage(media, req)); // joining afresh: with our password or invitation
    this.mediaKnown = JSON.stringify(media);
  }

  /** @private */
  startHeartbeat() {
    this.env.clearInterval(this.heartbeat);
    this.lastFrameAt = this.lastTickAt = this.env.now();
    this.heartbeat = this.env.setInterval(() => this.tick(), TICK_MS);
  }

  /** Heartbeat (see judgeHeartbeat()): ping every PING_MS, lose a dead socket. @private */
  tick() {
    const now = this.env.now();
    const lastTickAt = this.lastTickAt;
    this.lastTickAt = now;
    const ws = this.ws;
    if (!ws || (this.state !== 'connected' && this.state !== 'reconnecting')) return;
    const v = judgeHeartbeat({ now, lastTickAt, lastFrameAt: this.lastFrameAt, helloPending: !!this.helloReq, helloSentAt: this.helloSentAt });
    this.lastFrameAt = v.lastFrameAt;
    this.helloSentAt = v.helloSentAt;
    if (v.dead) { this.lose(v.dead); return; }
    if (ws.readyState === OPEN && now - this.lastPingAt >= PING_MS) {
      this.lastPingAt = now;
      ws.send(this.pingMessage());
    }
  }

  /** The answer to our resume/join on a reconnect socket. @private @param {Frame} m */
  onHelloAnswer(m) {
    this.helloReq = 0;
    const a = readHelloAnswer(m, !!this.token);
    switch (a.kind) {
      case 'join-afresh':
        // the participant is gone on the server: join afresh as a new one, on this same connection
        this.token = null;
        this.sendHello();
        return;
      case 'failed':
        this.stop('failed');
        this.emit('failed', { code: a.code, message: a.message });
        this.ws?.close(1000);
        return;
      case 'retry':
        this.lose(a.why); // shutting_down, internal, rate_limited…: try again later
        return;
    }
    const w = a.welcome;
    this.token = w.resume_token;
    this.numbering.acking = true;
    this.lastOutageMs = Math.round(this.env.now() - this.outageStartedAt);
    this.lastAttempts = this.attempt;
    this.attempt = 0;
    if (a.kind === 'resumed') {
      if (a.replay === 'reset') this.numbering.restart();
      this.lastReplay = a.replay;
      this.resumes++;
      this.setState('connected', 'resumed');
      // replayed: the messages we missed follow; what we queued completes our side of the conversation.
      this.flush(a.replay === 'replayed');
      this.emit('resumed', { welcome: w, replay: a.replay });
    } else {
      const previous = this.you;
      this.you = w.you;
      this.numbering.restart();
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

  /** @private @param {unknown} raw */
  onFrame(raw) {
    this.lastFrameAt = this.env.now();
    const m = parseFrame(raw);
    if (!m) return;
    if (this.helloReq && reqOf(m.req) === this.helloReq && ['resumed', 'welcome', 'error'].includes(/** @type {string} */ (m.type))) {
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
    this.numbering.see(m);
    const ev = roomEvent(m);
    if (ev === 'invalid') { console.warn('ruang: invalid message dropped', m.type); return; }
    if (ev) { this.emit(ev.type, ev.detail); return; }
    switch (m.type) {
      case 'welcome': {
        const p = this.pending.get(reqOf(m.req));
        if (p) { this.pending.delete(reqOf(m.req)); p.resolve(m); }
        return;
      }
      case 'error': {
        const { code, message } = errorOf(m);
        const p = this.pending.get(reqOf(m.req));
        if (p) { this.pending.delete(reqOf(m.req)); p.reject(new ServerError(code, message)); return; }
        this.emit('server_error', isInt(m.req) ? { code, message, req: m.req } : { code, message });
        return;
      }
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
      default:
        return; // pong; unknown server message types are ignored (protocol: not a version change)
    }
  }
}
