// room.js — the room as this participant knows it, without the DOM: who is here (name, media state, role,
// raised hand, whether their connection to the server is lost), our own role and hand, whether the room is
// locked or has a lobby, who waits in the lobby (hosts and moderators hear of it), the chat, and our own
// connection to the server. It takes the signaling events (handle()), the welcome and the answers to a
// resume, and says what changed through events; the UI (ui/call.js) subscribes and renders, and drives the
// media transport from the same events. Nothing here touches `document`, `window` or WebRTC; the one timer
// (a participant missing after a reset resume) comes in `timers`, so tests run it on a fake clock.
//
// Events (CustomEvent, payload in `detail`):
//   person_added {person, announce} (announce: they joined now, not listed in a welcome),
//   person_removed {person, reason, quiet}, person_updated {person, what} (what changed: 'media', 'role',
//   'hand', 'reconnecting', or 'refreshed': introduced again after a server restart, all of it may have
//   changed and the media link should heal),
//   role {role, before, announce} (our own role), hand {raised} (our own hand),
//   hand_raised {person} (someone else raised a hand), room_state {locked, lobby, spotlight, was, quiet}
//   (spotlight: whom a host put on everyone's stage, or null),
//   lobby {waiting, fresh} (the list of who waits; fresh: who is new in it), chat {message, history},
//   connection {state}, change {} (after every change above: redraw lists and counts),
//   media_mode {mode, sfu, before} (the room's media mode or its SFU id changed: the transport follows;
//   before: {mode, sfu} as it was), speaker {id, before} (the SFU's active speaker, or null).
// The media mode comes from the welcome, a resume (`resumed` and its replay) and `media_mode`; the active
// speaker from `speaker` (SFU rooms; nobody in mesh).

import { moderates } from './roles.js';
import { t } from './i18n.js';

/** @typedef {import('./wire.js').MediaState} MediaState */
/** @typedef {import('./wire.js').PeerInfo} PeerInfo */
/** @typedef {import('./wire.js').Role} Role */
/** @typedef {import('./wire.js').Knock} Knock */
/** @typedef {import('./wire.js').ChatMessage} ChatMessage */
/** @typedef {import('./wire.js').Session} Session */
/** @typedef {import('./wire.js').Replay} Replay */
/** @typedef {import('./wire.js').MediaMode} MediaMode */
/** @typedef {import('./session.js').ConnState} ConnState */
/**
 * Someone else in the room. `polite`, `connection` and `quality` describe our media link with them (set by
 * the UI from the transport); the rest comes from the server.
 * @typedef {{ id: string, name: string, media: MediaState, polite: boolean, quality: string, connection: string,
 *   reconnecting: boolean, role: Role, hand: boolean }} Person
 */
/** @typedef {{ setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (t: unknown) => void }} Timers */

const NO_MEDIA = /** @type {MediaState} */ ({ audio: false, video: false, screen: false });

export class RoomModel extends EventTarget {
  /**
   * @param {{ room: string, name: string, timers?: Timers }} opts
   *   timers: for forgetting a participant who does not come back after a reset resume (default: the global ones)
   */
  constructor({ room, name, timers }) {
    super();
    this.room = room;
    this.name = name;
    /** @private */
    this.timers = timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(/** @type {any} */ (t)) };
    /** our participant id ('' until the welcome) */ this.you = '';
    /** @type {Role} */ this.role = 'participant';
    /** our hand is raised */ this.hand = false;
    this.locked = false;
    this.lobbyOn = false;
    /** @type {string | null} whom a host or moderator put on everyone's stage */ this.spotlight = null;
    /** @type {Knock[]} who waits in the lobby (hosts and moderators hear of it) */ this.waiting = [];
    /** @type {Map<string, Person>} everyone else, in the order we met them */ this.people = new Map();
    /** @type {ChatMessage[]} the chat as shown, oldest first */ this.chat = [];
    /** @private @type {Set<string>} chat messages seen, by seq, sender, time and text (seq alone restarts with the server) */
    this.chatSeen = new Set();
    /** @type {ConnState} our connection to the server */ this.connection = 'idle';
    /** @type {MediaMode} how the room carries its media */ this.mediaMode = 'mesh';
    /** @type {string | null} the room's media server (its participant id) while in `sfu` mode */ this.sfu = null;
    /** @type {string | null} who the SFU says is speaking (us included), null when nobody or in mesh */ this.speaker = null;
    /** @private @type {Map<string, unknown>} after a reset resume: participants we wait for, with their deadline timers */
    this.awaiting = new Map();
  }

  /** Whether we may see the lobby and let people in. */
  get moderating() { return moderates(this.role); }

  /** A name for an id ('you' for us), in the page's language. @param {string} id */
  nameOf(id) {
    if (id === this.you) return t('you.in_sentence');
    return this.people.get(id)?.name ?? t('someone_who_left');
  }

  // ---------------------------------------------------------------- from the server

  /** Our first welcome: who we are and how the room stands (the people in it are added with add()). @param {Session} w */
  welcome(w) {
    this.you = w.you;
    this.role = w.role;
    this.locked = w.locked;
    this.lobbyOn = w.lobby;
    this.spotlight = w.spotlight ?? null;
    this.mediaMode = w.media_mode;
    this.sfu = w.sfu;
  }

  /**
   * A signaling event (session.js) about the room. Events that concern the media transport only (signal,
   * ice_servers) or the session (resumed, rejoined: see resumed()/rejoined()) are not for the model.
   * @param {string} type @param {any} d
   */
  handle(type, d) {
    switch (type) {
      case 'peer_joined':
        // after a server restart, participants we are still connected to come back with peer_joined
        if (this.people.has(d.peer.id)) this.refresh(d.peer);
        else this.add(d.peer, true, { announce: true });
        return;
      case 'peer_left':
        // `shutdown` is reserved (a stopping server no longer makes anyone leave): not a departure
        if (d.reason !== 'shutdown') this.remove(d.id, d.reason);
        return;
      case 'peer_reconnecting': this.setReconnecting(d.id, true); return;
      case 'peer_reconnected': this.setReconnecting(d.id, false); return;
      case 'media': this.setMedia(d.id, d.media); return;
      case 'role': this.setRole(d.id, d.role); return;
      case 'hand': this.setHand(d.id, d.raised); return;
      case 'room_state': this.setRoomState(d.locked, d.lobby, { spotlight: d.spotlight ?? null }); return;
      case 'lobby': this.setLobby(d.waiting); return;
      case 'lobby_joined': this.setLobby([...this.waiting.filter((w) => w.id !== d.knock.id), d.knock]); return;
      case 'lobby_left': this.dropKnock(d.id); return;
      case 'chat': this.addChat(d.message); return;
      case 'state': this.setConnection(d.state); return;
      case 'media_mode': this.setMediaMode(d.mode, d.sfu); return;
      case 'speaker': this.setSpeaker(d.id); return;
      default:
    }
  }

  /**
   * Someone new to us (welcome, peer_joined, a resume that lists them).
   * @param {PeerInfo} info @param {boolean} polite they came after us (we answer their offer)
   * @param {{ announce?: boolean }} [opts] announce: they joined just now
   * @returns {Person}
   */
  add(info, polite, { announce = false } = {}) {
    /** @type {Person} */
    const person = {
      id: info.id, name: info.name, media: info.media, polite, quality: 'unknown', connection: 'new',
      reconnecting: !!info.reconnecting, role: info.role, hand: info.hand,
    };
    this.people.set(info.id, person);
    this.emit('person_added', { person, announce });
    this.changed();
    return person;
  }

  /**
   * Someone we know introduced again (peer_joined or `peers` after a server restart): new name, media,
   * role, hand; no longer awaited.
   * @param {PeerInfo} info
   */
  refresh(info) {
    const p = this.people.get(info.id);
    if (!p) return;
    this.stopAwaiting(info.id);
    p.name = info.name;
    p.media = info.media;
    p.role = info.role;
    p.hand = info.hand;
    p.reconnecting = !!info.reconnecting;
    this.emit('person_updated', { person: p, what: 'refreshed' });
    this.changed();
  }

  /** @param {string} id @param {string} reason @param {{ quiet?: boolean }} [opts] */
  remove(id, reason, { quiet = false } = {}) {
    const person = this.people.get(id);
    if (!person) return;
    this.stopAwaiting(id);
    this.people.delete(id);
    this.emit('person_removed', { person, reason, quiet });
    this.changed();
  }

  /** @param {string} id @param {boolean} on */
  setReconnecting(id, on) {
    const p = this.people.get(id);
    if (!p) return;
    p.reconnecting = on;
    this.emit('person_updated', { person: p, what: 'reconnecting' });
    this.changed();
  }

  /** @param {string} id @param {MediaState} media */
  setMedia(id, media) {
    const p = this.people.get(id);
    if (!p) return;
    p.media = media;
    this.emit('person_updated', { person: p, what: 'media' });
    this.changed();
  }

  /**
   * Somebody's role changed (a host gave it, or the automatic hand-over when the last host left).
   * @param {string} id @param {Role} role
   */
  setRole(id, role) {
    if (id === this.you) { this.setOwnRole(role, { announce: true }); return; }
    const p = this.people.get(id);
    if (!p) return;
    p.role = role;
    if (role === 'viewer') p.media = { ...NO_MEDIA }; // (the server says so with `media` too)
    this.emit('person_updated', { person: p, what: 'role' });
    this.changed();
  }

  /**
   * Our own role. Hosts and moderators alone follow the lobby: losing the role forgets the list (no more
   * updates come).
   * @param {Role} role @param {{ announce?: boolean }} [opts]
   */
  setOwnRole(role, { announce = false } = {}) {
    const before = this.role;
    if (role === before) return;
    this.role = role;
    if (!moderates(role)) this.waiting = [];
    this.emit('role', { role, before, announce });
    this.changed();
  }

  /** @param {string} id @param {boolean} raised */
  setHand(id, raised) {
    if (id === this.you) { this.setOwnHand(raised); return; }
    const p = this.people.get(id);
    if (!p || p.hand === raised) return;
    p.hand = raised;
    this.emit('person_updated', { person: p, what: 'hand' });
    if (raised) this.emit('hand_raised', { person: p });
    this.changed();
  }

  /** Our own hand (raised by us at once, confirmed by the server's echo). @param {boolean} raised */
  setOwnHand(raised) {
    this.hand = raised;
    this.emit('hand', { raised });
    this.changed();
  }

  /**
   * @param {boolean} locked @param {boolean} lobby
   * @param {{ quiet?: boolean, spotlight?: string | null }} [opts] spotlight: absent means nobody (room_state carries it all)
   */
  setRoomState(locked, lobby, { quiet = false, spotlight = null } = {}) {
    const was = { locked: this.locked, lobby: this.lobbyOn, spotlight: this.spotlight };
    this.locked = locked;
    this.lobbyOn = lobby;
    this.spotlight = spotlight;
    this.emit('room_state', { locked, lobby, spotlight, was, quiet });
    this.changed();
  }

  /**
   * Who waits in the lobby: hosts and moderators get the whole list once (arrival, promotion), then each
   * change (lobby_joined, lobby_left), applied to the list.
   * @param {Knock[]} waiting
   */
  setLobby(waiting) {
    if (!moderates(this.role)) return; // (a change that crossed our loss of the role)
    const before = new Set(this.waiting.map((w) => w.id));
    this.waiting = waiting;
    this.emit('lobby', { waiting, fresh: waiting.filter((w) => !before.has(w.id)) });
    this.changed();
  }

  /** Someone no longer waits (admitted, denied, gave up, or gone when we tried). @param {string} id */
  dropKnock(id) {
    if (!this.waiting.some((w) => w.id === id)) return;
    this.waiting = this.waiting.filter((w) => w.id !== id);
    this.changed();
  }

  /** A chat message (or one from a history: those already shown are skipped). @param {ChatMessage} message @param {{ history?: boolean }} [opts] */
  addChat(message, { history = false } = {}) {
    const key = JSON.stringify([message.seq, message.from, message.ts, message.text]);
    if (this.chatSeen.has(key)) return;
    this.chatSeen.add(key);
    this.chat.push(message);
    this.emit('chat', { message, history });
  }

  /**
   * The room's media mode (and, in `sfu`, its media server's id: a new one is a new SFU period). Leaving
   * `sfu` forgets the active speaker.
   * @param {MediaMode} mode @param {string | null} sfu
   */
  setMediaMode(mode, sfu) {
    const id = mode === 'sfu' ? sfu : null;
    if (mode === this.mediaMode && id === this.sfu) return;
    const before = { mode: this.mediaMode, sfu: this.sfu };
    this.mediaMode = mode;
    this.sfu = id;
    this.emit('media_mode', { mode, sfu: id, before });
    if (mode !== 'sfu') this.setSpeaker(null);
    this.changed();
  }

  /** The active speaker (SFU rooms). @param {string | null} id */
  setSpeaker(id) {
    if (id === this.speaker || (id !== null && this.mediaMode !== 'sfu')) return;
    const before = this.speaker;
    this.speaker = id;
    this.emit('speaker', { id, before });
  }

  /** Our own connection to the server. @param {ConnState} state */
  setConnection(state) {
    if (state === this.connection) return;
    this.connection = state;
    this.emit('connection', { state });
  }

  /**
   * Resumed (the same participant again). After `replay: "reset"` (a restarted server, or too much
   * missed) the room is taken as the server says it is now: roles, room state, the people listed (known
   * ones refreshed, new ones added: we are the newcomer towards them, so we offer); those not listed are
   * shown reconnecting and forgotten if not back within the grace period (after a server restart they
   * reappear with peer_joined when they resume). The lobby list is dropped (the server sends it again if
   * anyone waits). Returns whether our hand must be told again (a restart forgets it).
   * @param {Session} w @param {Replay} replay @returns {{ tellHand: boolean }}
   */
  resumed(w, replay) {
    let tellHand = false;
    if (replay === 'reset') {
      this.waiting = [];
      this.setOwnRole(w.role);
      this.setRoomState(w.locked, w.lobby, { quiet: true, spotlight: w.spotlight ?? null });
      tellHand = this.hand;
      const listed = new Set(w.peers.map((p) => p.id));
      for (const info of w.peers) {
        if (this.people.has(info.id)) this.refresh(info);
        else this.add(info, false);
      }
      for (const id of this.people.keys()) {
        if (listed.has(id) || this.awaiting.has(id)) continue;
        this.setReconnecting(id, true);
        this.awaiting.set(id, this.timers.setTimeout(() => {
          this.awaiting.delete(id);
          if (this.people.get(id)?.reconnecting) this.remove(id, 'disconnected');
        }, w.resume_grace_ms));
      }
    }
    for (const m of w.chat_history) this.addChat(m, { history: true });
    // the mode as the server has it now (a replay that follows may still move it, in order)
    this.setMediaMode(w.media_mode, w.sfu);
    return { tellHand };
  }

  /**
   * The resume was refused and we joined afresh as a new participant: everyone we knew is gone (quietly),
   * and the room is rebuilt from the new welcome (new id; the people listed are added as we offer to them).
   * @param {Session} w
   */
  rejoined(w) {
    for (const id of [...this.people.keys()]) this.remove(id, 'left', { quiet: true });
    this.you = w.you;
    this.waiting = [];
    this.setOwnRole(w.role);
    this.setRoomState(w.locked, w.lobby, { quiet: true, spotlight: w.spotlight ?? null });
    this.hand = false;
    this.setMediaMode(w.media_mode, w.sfu);
  }

  /** Stop every timer (the call is over). */
  close() {
    for (const t of this.awaiting.values()) this.timers.clearTimeout(t);
    this.awaiting.clear();
  }

  /** @private @param {string} id */
  stopAwaiting(id) {
    this.timers.clearTimeout(this.awaiting.get(id));
    this.awaiting.delete(id);
  }

  /** @private */
  changed() { this.emit('change', {}); }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
