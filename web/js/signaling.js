// signaling.js — the ruang wire protocol v1 (docs/protocol.md) over one WebSocket to /ws.
//
// Owns: the socket, outgoing message shapes, validation of every incoming message, request ids, and typed
// events. No DOM access and no WebRTC here: the mesh and the UI listen to the events this module dispatches.
//
// Events (CustomEvent, payload in `detail`):
//   peer_joined {peer}, peer_left {id, reason}, signal {from, data}, media {id, media}, chat {message},
//   ice_servers {iceServers, policy}, server_error {code, message, req?}, shutdown {reason},
//   close {code, reason, expected}

export const PROTOCOL_VERSION = 1;

/** @typedef {{ audio: boolean, video: boolean, screen: boolean }} MediaState */
/** @typedef {{ id: string, name: string, media: MediaState }} PeerInfo */
/** @typedef {{ seq: number, from: string, name: string, text: string, ts: number }} ChatMessage */
/** @typedef {{ urls: string[], username?: string, credential?: string }} IceServer */
/**
 * @typedef {{ max_frame_bytes: number, max_sdp_bytes: number, max_candidate_bytes: number, max_chat_bytes: number,
 *   max_name_bytes: number, max_participants: number, messages_per_second: number, message_burst: number,
 *   heartbeat_interval_ms: number, heartbeat_timeout_ms: number }} Limits
 */
/** @typedef {'all' | 'relay'} IcePolicy */
/**
 * @typedef {{ protocol: number, you: string, room: string, peers: PeerInfo[], ice_servers: IceServer[],
 *   ice_transport_policy: IcePolicy, chat_history: ChatMessage[], limits: Limits }} Welcome
 */
/** @typedef {{ candidate: string, sdpMid: string | null, sdpMLineIndex: number | null, usernameFragment: string | null }} CandidateInit */
/** @typedef {{ kind: 'offer' | 'answer', sdp: string } | { kind: 'candidate', candidate: CandidateInit }} SignalData */

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

/** @param {unknown} p @returns {PeerInfo | null} */
function peerInfo(p) {
  if (!isObj(p) || !isId(p.id) || !isStr(p.name)) return null;
  const media = mediaState(p.media);
  return media ? { id: /** @type {string} */ (p.id), name: p.name, media } : null;
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

/** @param {Record<string, unknown>} m @returns {Welcome | null} */
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
    room: m.room,
    peers: /** @type {PeerInfo[]} */ (peers),
    ice_servers: iceServers,
    ice_transport_policy: icePolicy(m.ice_transport_policy),
    chat_history: /** @type {ChatMessage[]} */ (history),
    limits,
  };
}

/**
 * URL of the signaling socket on the page's own origin.
 * @param {Location} [loc]
 */
export function socketUrl(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

/** One signaling connection; joins at most one room (protocol rule). */
export class Signaling extends EventTarget {
  /** @param {string} url WebSocket URL (see socketUrl()) */
  constructor(url) {
    super();
    this.url = url;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @private */ this.nextReq = 1;
    /** @private @type {Map<number, {resolve: (m: any) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    /** @private set when we close on purpose (leave), so the UI does not report a lost connection */
    this.closingOnPurpose = false;
    /** @type {string | null} our participant id once joined */
    this.you = null;
  }

  /** Open the socket. @returns {Promise<void>} */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let opened = false;
      ws.addEventListener('open', () => { opened = true; resolve(); });
      ws.addEventListener('message', (ev) => this.onFrame(ev.data));
      ws.addEventListener('close', (ev) => {
        for (const p of this.pending.values()) p.reject(new ServerError('closed', `connection closed (${ev.code})`));
        this.pending.clear();
        if (!opened) reject(new Error('Could not reach the server'));
        this.emit('close', { code: ev.code, reason: ev.reason, expected: this.closingOnPurpose || ev.code === 1000 });
      });
    });
  }

  /**
   * Join a room; resolves with the validated welcome, rejects with ServerError.
   * @param {{ room: string, name: string, media: MediaState }} args
   * @returns {Promise<Welcome>}
   */
  async join({ room, name, media }) {
    const req = this.nextReq++;
    const answer = new Promise((resolve, reject) => this.pending.set(req, { resolve, reject }));
    this.send({ type: 'join', v: PROTOCOL_VERSION, room, name, media: { ...media }, req });
    const msg = await answer;
    const w = welcome(msg);
    if (!w) throw new ServerError('invalid_welcome', 'The server sent a welcome this client cannot read');
    this.you = w.you;
    return w;
  }

  /** @param {string} to @param {SignalData} data */
  signal(to, data) { this.send({ type: 'signal', to, data }); }

  /** @param {MediaState} m */
  media(m) { this.send({ type: 'media', audio: m.audio, video: m.video, screen: m.screen }); }

  /** @param {string} text */
  chat(text) { this.send({ type: 'chat', text }); }

  /** Leave the room; the server closes the socket with 1000 afterwards. */
  leave() {
    this.closingOnPurpose = true;
    this.send({ type: 'leave' });
  }

  /** Close the socket without leaving (the others see `disconnected`). */
  close() {
    this.closingOnPurpose = true;
    this.ws?.close(1000);
  }

  /** @returns {boolean} */
  get open() { return this.ws?.readyState === WebSocket.OPEN; }

  /** @private @param {Record<string, unknown>} msg */
  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  /** @private @param {unknown} raw */
  onFrame(raw) {
    if (typeof raw !== 'string') return; // binary frames are not part of the protocol
    let m;
    try { m = JSON.parse(raw); } catch { console.warn('ruang: non-JSON frame dropped'); return; }
    if (!isObj(m) || !isStr(m.type)) return;
    const drop = () => console.warn('ruang: invalid message dropped', m.type);
    switch (m.type) {
      case 'welcome': {
        const p = isInt(m.req) ? this.pending.get(/** @type {number} */ (m.req)) : undefined;
        if (p) { this.pending.delete(/** @type {number} */ (m.req)); p.resolve(m); }
        return;
      }
      case 'error': {
        const code = isStr(m.code) ? m.code : 'unknown';
        const message = isStr(m.message) ? m.message : code;
        const p = isInt(m.req) ? this.pending.get(/** @type {number} */ (m.req)) : undefined;
        if (p) { this.pending.delete(/** @type {number} */ (m.req)); p.reject(new ServerError(code, message)); return; }
        this.emit('server_error', { code, message });
        return;
      }
      case 'peer_joined': {
        const peer = peerInfo(m.peer);
        return peer ? this.emit('peer_joined', { peer }) : drop();
      }
      case 'peer_left':
        return isId(m.id) ? this.emit('peer_left', { id: m.id, reason: isStr(m.reason) ? m.reason : 'left' }) : drop();
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
      case 'shutdown':
        return this.emit('shutdown', { reason: isStr(m.reason) ? m.reason : 'stopping' });
      case 'pong':
        return;
      default:
        return; // unknown server message types are ignored (protocol: not a version change)
    }
  }
}
