// wire.js — the ruang wire protocol v1 (docs/protocol.md) as data: the message types, validation of every
// incoming message, the outgoing message shapes, and the numbering of room messages (`n`, `last_n`, `ack`).
//
// Owns: what a frame means, nothing about when it is sent. No socket, no timers, no DOM, no WebRTC: pure
// functions and one small bookkeeping class, so it loads in Node for unit tests. session.js drives the
// socket with it; every other module gets these types through it (signaling.js re-exports them).

import { isReaction } from './reactions.js';

export const PROTOCOL_VERSION = 1;

/** @typedef {{ audio: boolean, video: boolean, screen: boolean }} MediaState */
/** @typedef {'host' | 'moderator' | 'participant' | 'viewer'} Role */
/** @typedef {{ id: string, name: string, media: MediaState, role: Role, hand: boolean, reconnecting?: boolean }} PeerInfo */
/** @typedef {{ id: string, name: string }} Knock someone waiting in the lobby */
/** @typedef {{ password?: string, hostPassword?: string, invite?: string }} Credentials what opens a protected room (protocol: join; hostPassword: `host_password`) */
/** @typedef {{ seq: number, from: string, name: string, text: string, ts: number }} ChatMessage */
/** @typedef {{ urls: string[], username?: string, credential?: string }} IceServer */
/**
 * @typedef {{ max_frame_bytes: number, max_sdp_bytes: number, max_sfu_sdp_bytes?: number, max_candidate_bytes: number,
 *   max_chat_bytes: number,
 *   max_name_bytes: number, max_participants: number, messages_per_second: number, message_burst: number,
 *   heartbeat_interval_ms: number, heartbeat_timeout_ms: number }} Limits
 */
/** @typedef {'all' | 'relay'} IcePolicy */
/** @typedef {'mesh' | 'sfu'} MediaMode how the room carries its media (protocol: Media modes) */
/**
 * @typedef {{ protocol: number, you: string, role: Role, locked: boolean, lobby: boolean, spotlight: string | null, room: string, peers: PeerInfo[],
 *   ice_servers: IceServer[], ice_transport_policy: IcePolicy, chat_history: ChatMessage[], limits: Limits,
 *   media_mode: MediaMode, sfu: string | null, recording: string | null }} Welcome
 *   media_mode / sfu: the room's media mode and, in `sfu`, the media server's participant id;
 *   spotlight: whom a host put on everyone's stage (null: nobody); recording: who records the meeting, if anyone
 */
/** @typedef {{ rid: string, height: number, bitrate: number }} Layer one simulcast layer we send (protocol: `layers`) */
/** @typedef {{ id: string, height: number }} TileSize how tall we show a participant's video, in device pixels (protocol: `tiles`) */
/** @typedef {{ candidate: string, sdpMid: string | null, sdpMLineIndex: number | null, usernameFragment: string | null }} CandidateInit */
/** @typedef {{ kind: 'offer' | 'answer', sdp: string } | { kind: 'candidate', candidate: CandidateInit } | { kind: 'reset' }} SignalData */
/** @typedef {Welcome & { resume_token: string | null, resume_grace_ms: number }} Session */
/** @typedef {'replayed' | 'reset'} Replay */
/** @typedef {Record<string, unknown>} Frame a parsed JSON object with a string `type` */

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

/** Join errors that another attempt would not change (joining afresh carries the same password and invitation). */
export const FATAL_JOIN = new Set(['room_full', 'too_many_rooms', 'too_many_new_rooms', 'invalid_room', 'invalid_name',
  'unsupported_version', 'already_joined', 'room_locked', 'lobby_full', 'banned', 'password_required', 'wrong_password',
  'invite_required', 'invalid_invite']);

// ---- validation of incoming messages: anything that does not match is dropped ----

/** @param {unknown} v @returns {v is Record<string, unknown>} */
export const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {unknown} v @returns {v is string} */
export const isStr = (v) => typeof v === 'string';
/** @param {unknown} v */
export const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
/** @param {unknown} v */
export const isId = (v) => isStr(v) && ID_RE.test(v);

/** @param {unknown} m @returns {MediaState | null} */
export function mediaState(m) {
  if (!isObj(m) || typeof m.audio !== 'boolean' || typeof m.video !== 'boolean' || typeof m.screen !== 'boolean') return null;
  return { audio: m.audio, video: m.video, screen: m.screen };
}

/** @param {unknown} r @returns {Role | null} */
export function roleOf(r) {
  return ROLES.find((x) => x === r) ?? null;
}

/** @param {unknown} p @returns {PeerInfo | null} */
export function peerInfo(p) {
  if (!isObj(p) || !isId(p.id) || !isStr(p.name)) return null;
  const media = mediaState(p.media);
  if (!media) return null;
  /** @type {PeerInfo} */
  const info = { id: /** @type {string} */ (p.id), name: p.name, media, role: roleOf(p.role) ?? 'participant', hand: p.hand === true };
  if (p.reconnecting === true) info.reconnecting = true; // in welcome/resumed: its connection is lost right now
  return info;
}

/** @param {unknown} c @returns {ChatMessage | null} */
export function chatMessage(c) {
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
export function iceServerList(list) {
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

/** The media modes this client speaks (sent in `join.modes`). */
export const MEDIA_MODES = /** @type {const} */ (['mesh', 'sfu']);

/**
 * The media mode and SFU id of a `welcome`, `resumed` or `media_mode` (field `mode` there): null when it
 * cannot be read (`sfu` without an id). Absent means mesh.
 * @param {unknown} mode @param {unknown} sfu @returns {{ mode: MediaMode, sfu: string | null } | null}
 */
export function mediaModeOf(mode, sfu) {
  if (mode === undefined || mode === null || mode === 'mesh') return { mode: 'mesh', sfu: null };
  if (mode === 'sfu' && isId(sfu)) return { mode: 'sfu', sfu: /** @type {string} */ (sfu) };
  return null;
}

/**
 * A `welcome` or `resumed`, validated; null when it cannot be read.
 * @param {Record<string, unknown>} m @returns {Session | null}
 */
export function readWelcome(m) {
  if (!isId(m.you) || !isStr(m.room) || !Array.isArray(m.peers)) return null;
  const peers = m.peers.map(peerInfo);
  if (peers.some((p) => p === null)) return null;
  const iceServers = iceServerList(m.ice_servers);
  if (!iceServers) return null;
  const history = Array.isArray(m.chat_history) ? m.chat_history.map(chatMessage).filter((c) => c !== null) : [];
  const limits = isObj(m.limits) ? /** @type {Limits} */ (/** @type {unknown} */ (m.limits)) : /** @type {Limits} */ ({});
  const mode = mediaModeOf(m.media_mode, m.sfu);
  if (!mode) return null;
  return {
    protocol: isInt(m.protocol) ? /** @type {number} */ (m.protocol) : 1,
    you: /** @type {string} */ (m.you),
    role: roleOf(m.role) ?? 'participant',
    locked: m.locked === true,
    lobby: m.lobby === true,
    spotlight: isId(m.spotlight) ? /** @type {string} */ (m.spotlight) : null,
    room: m.room,
    peers: /** @type {PeerInfo[]} */ (peers),
    ice_servers: iceServers,
    ice_transport_policy: icePolicy(m.ice_transport_policy),
    chat_history: /** @type {ChatMessage[]} */ (history),
    limits,
    media_mode: mode.mode,
    sfu: mode.sfu,
    recording: isId(m.recording) ? /** @type {string} */ (m.recording) : null,
    resume_token: isStr(m.resume_token) && m.resume_token ? m.resume_token : null,
    resume_grace_ms: isInt(m.resume_grace_ms) && /** @type {number} */ (m.resume_grace_ms) > 0 ? /** @type {number} */ (m.resume_grace_ms) : 30000,
  };
}

/**
 * A text frame as a message object, or null (not JSON, not an object with a string `type`, binary).
 * @param {unknown} raw @returns {Frame | null}
 */
export function parseFrame(raw) {
  if (typeof raw !== 'string') return null; // binary frames are not part of the protocol
  let m;
  try { m = JSON.parse(raw); } catch { console.warn('ruang: non-JSON frame dropped'); return null; }
  if (!isObj(m) || !isStr(m.type)) return null;
  return m;
}

/** The `req` of a message, or -1. @param {unknown} n */
export const reqOf = (n) => (isInt(n) ? /** @type {number} */ (n) : -1);

/** The `code` and `message` of an `error`. @param {Frame} m */
export function errorOf(m) {
  const code = isStr(m.code) ? m.code : 'unknown';
  return { code, message: isStr(m.message) ? m.message : code };
}

/**
 * A room message that only informs (peers, signals, media, chat, roles, hands, the lobby…) as the typed
 * event the client dispatches: `{ type, detail }`; `'invalid'` when it does not match the protocol; null
 * when the type is not one of these (welcome, error, resume_token, removed, shutdown, pong, unknown ones:
 * the session handles those itself).
 * @param {Frame} m @returns {{ type: string, detail: Record<string, unknown> } | 'invalid' | null}
 */
export function roomEvent(m) {
  /** @param {Record<string, unknown> | null | false} detail */
  const ev = (detail) => (detail ? { type: /** @type {string} */ (m.type), detail } : 'invalid');
  switch (m.type) {
    case 'peer_joined': {
      const peer = peerInfo(m.peer);
      return ev(peer && { peer });
    }
    case 'peer_left':
      return ev(isId(m.id) && { id: m.id, reason: isStr(m.reason) ? m.reason : 'left' });
    case 'peer_reconnecting':
    case 'peer_reconnected':
      return ev(isId(m.id) && { id: m.id });
    case 'signal': {
      const data = signalData(m.data);
      return ev(isId(m.from) && data && { from: m.from, data });
    }
    case 'media': {
      const media = mediaState(m);
      return ev(isId(m.id) && media && { id: m.id, media });
    }
    case 'chat': {
      const message = chatMessage(m);
      return ev(message && { message });
    }
    case 'ice_servers': {
      const iceServers = iceServerList(m.ice_servers);
      return ev(iceServers && { iceServers, policy: icePolicy(m.ice_transport_policy) });
    }
    case 'role': {
      const role = roleOf(m.role);
      return ev(isId(m.id) && role && { id: m.id, role });
    }
    case 'hand':
      return ev(isId(m.id) && typeof m.raised === 'boolean' && { id: m.id, raised: m.raised });
    case 'reaction':
      return ev(isId(m.id) && isReaction(m.emoji) && { id: m.id, emoji: m.emoji });
    case 'recording':
      return ev((isId(m.id) || m.id === null) && { id: m.id });
    case 'room_state':
      return ev(typeof m.locked === 'boolean' && typeof m.lobby === 'boolean'
        && { locked: m.locked, lobby: m.lobby, spotlight: isId(m.spotlight) ? m.spotlight : null });
    case 'lobby': {
      if (!Array.isArray(m.waiting)) return 'invalid';
      /** @type {Knock[]} */
      const waiting = [];
      for (const w of m.waiting) if (isObj(w) && isId(w.id) && isStr(w.name)) waiting.push({ id: /** @type {string} */ (w.id), name: w.name });
      return ev({ waiting });
    }
    case 'lobby_joined':
      return ev(isId(m.id) && isStr(m.name) && { knock: { id: /** @type {string} */ (m.id), name: m.name } });
    case 'lobby_left':
      return ev(isId(m.id) && { id: m.id });
    case 'muted':
      return ev({ by: isId(m.by) ? m.by : null });
    case 'media_mode':
      return ev(mediaModeOf(m.mode, m.sfu));
    case 'speaker':
      return ev((isId(m.id) || m.id === null) && { id: m.id });
    default:
      return null;
  }
}

// ---- outgoing messages ----

/**
 * `join` with credentials (only the fields we have: the protocol is strict).
 * @param {{ room: string, name: string, media: MediaState, credentials: Credentials, browserKey?: string, req: number }} a
 */
export function joinMessage({ room, name, media, credentials, browserKey, req }) {
  /** @type {Record<string, unknown>} */
  const msg = { type: 'join', v: PROTOCOL_VERSION, room, name, media: { ...media }, modes: [...MEDIA_MODES], req };
  if (credentials.password !== undefined) msg.password = credentials.password;
  if (credentials.hostPassword !== undefined) msg.host_password = credentials.hostPassword;
  if (credentials.invite !== undefined) msg.invite = credentials.invite;
  if (browserKey !== undefined) msg.browser_key = browserKey;
  return msg;
}

/** @param {{ token: string, lastN: number, media: MediaState, req: number }} a */
export function resumeMessage({ token, lastN, media, req }) {
  return { type: 'resume', v: PROTOCOL_VERSION, token, last_n: lastN, media: { ...media }, req };
}

/** `layers`: the simulcast layers we send, smallest first (SFU rooms). @param {Layer[]} layers */
export function layersMessage(layers) {
  return { type: 'layers', layers: layers.map(({ rid, height, bitrate }) => ({ rid, height, bitrate })) };
}

/** `tiles`: how tall we show each other participant's video (SFU rooms). @param {TileSize[]} tiles */
export function tilesMessage(tiles) {
  return { type: 'tiles', tiles: tiles.map(({ id, height }) => ({ id, height })) };
}

/** `pin`: keep this participant's video forwarded (null unpins; SFU rooms). @param {string | null} id */
export function pinMessage(id) {
  return { type: 'pin', id };
}

/**
 * A host control (protocol: `moderate`).
 * @param {string} action @param {string | undefined} target @param {Role | undefined} role @param {number} req
 */
export function moderateMessage(action, target, role, req) {
  /** @type {Record<string, unknown>} */
  const msg = { type: 'moderate', action, req };
  if (target !== undefined) msg.target = target;
  if (role !== undefined) msg.role = role;
  return msg;
}

/**
 * The numbering of room messages on one participant's stream (protocol: Numbered messages): the highest
 * `n` received, which a `resume` sends as `last_n` and our pings acknowledge (`ack`) once the current
 * connection got its welcome or resumed.
 */
export class Numbering {
  constructor() {
    /** highest `n` received in the current numbering */ this.lastN = 0;
    /** the current connection got its welcome or resumed: pings may acknowledge */ this.acking = false;
  }

  /** A frame arrived: remember its `n`. @param {Frame} m */
  see(m) {
    if (isInt(m.n) && /** @type {number} */ (m.n) > this.lastN) this.lastN = /** @type {number} */ (m.n);
  }

  /** A new numbering (joined afresh, or resumed with `replay: "reset"`). */
  restart() { this.lastN = 0; }

  /** A `ping` with request id `req`, acknowledging what we have when we may. @param {number} req */
  ping(req) {
    /** @type {Record<string, unknown>} */
    const msg = { type: 'ping', req };
    if (this.acking) msg.ack = this.lastN;
    return msg;
  }
}
