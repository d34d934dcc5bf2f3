// call.js — the in-call screen and its controller. Wires the pieces together:
//   Signaling (server messages) → Mesh (peer connections) → TileGrid (video) ;
//   LocalMedia changes → replaceTrack on every peer + `media` message ; chat ↔ ChatPanel ;
//   FileTransfers ↔ transfer cards ; getStats() → quality hints ; keyboard shortcuts ; banners & toasts.
// Lost connections to the server are survived (signaling.js resumes): the call goes on peer to peer, a
// status line says "Reconnecting to the server…", and after a resume the mesh is reconciled with the room.
// Roles and host controls: the participant list (people.js), the lobby notice (lobby.js), raised hands,
// being muted by a host, becoming a viewer (nothing sent) or a participant again; host controls go out as
// `moderate` and a refusal comes back as a toast. Joining may wait in the lobby (onWaiting) or ask for
// the room's password (askPassword) on the same connection.
// Exposes a read-only snapshot for the test hook (see app.js).

import { h } from './dom.js';
import { icon } from './icons.js';
import { toast } from './toast.js';
import { TileGrid } from './tiles.js';
import { ChatPanel } from './chat.js';
import { ControlBar } from './controls.js';
import { TransferCard } from './transfers.js';
import { helpDialog, settingsDialog, confirmDialog } from './dialogs.js';
import { copyInvite } from './prejoin.js';
import { PeoplePanel } from './people.js';
import { LobbyNotice } from './lobby.js';
import { leftOutcome, removedOutcome, refusalOutcome } from './left.js';
import { Signaling, ServerError, socketUrl } from '../signaling.js';
import { moderates } from '../roles.js';
import { Mesh } from '../mesh.js';
import { FileTransfers } from '../files.js';
import { QualityProbe } from '../quality.js';
import { describeMediaError } from '../media.js';

/** @typedef {import('../signaling.js').MediaState} MediaState */
/** @typedef {import('../signaling.js').PeerInfo} PeerInfo */
/** @typedef {import('../signaling.js').Welcome} Welcome */
/** @typedef {import('../signaling.js').Session} Session */
/** @typedef {import('../signaling.js').ConnState} ConnState */
/** @typedef {import('../signaling.js').Role} Role */
/** @typedef {import('../signaling.js').Knock} Knock */
/** @typedef {import('../signaling.js').Credentials} Credentials */
/** @typedef {import('../media.js').LocalMedia} LocalMedia */
/** @typedef {import('./left.js').Outcome} Outcome */
/**
 * @typedef {{ id: string, name: string, media: MediaState, polite: boolean, quality: string, connection: string,
 *   reconnecting: boolean, role: Role, hand: boolean }} Person
 */

const QUALITY_MS = 2000;
/** The call screen waits at most this long for the answers to the first offers (see enter()). */
const ANSWERS_WAIT_MS = 300;
/** Join refusals the password prompt answers. */
const PASSWORD_CODES = new Set(['password_required', 'wrong_password', 'too_many_attempts']);
/** Refusals of joining afresh (after a lost session) that end the call on the left screen. */
const OUT_CODES = new Set(['room_locked', 'banned', 'invite_required', 'invalid_invite', 'password_required', 'wrong_password']);

/** Video bitrate ceiling for a mesh of n remote peers: every peer costs us one upload. */
function videoBitrate(/** @type {number} */ n, /** @type {boolean} */ screen) {
  if (screen) return n <= 2 ? 2_000_000 : 1_200_000;
  if (n <= 1) return 1_500_000;
  if (n <= 3) return 900_000;
  return 500_000;
}

export class Call {
  /**
   * @param {{ root: HTMLElement, room: string, name: string, media: LocalMedia, credentials?: Credentials,
   *   onLeft: (outcome: Outcome) => void, onWaiting?: () => void,
   *   askPassword?: (code: string) => Promise<string | null>, signaling?: Signaling,
   *   warm?: RTCPeerConnection | null }} opts
   *   credentials: password and invitation (this object is updated with the password that worked);
   *   onLeft: we are out of the call, and why; onWaiting: the lobby holds our join;
   *   askPassword: the room wants a (different) password; null gives up;
   *   signaling: a call Signaling (`resume: true`) whose socket the pre-join screen opened already (warm());
   *   warm: a connection made ahead (mesh.js warmConnection()) for the first peer we call
   */
  constructor({ root, room, name, media, credentials = {}, onLeft, onWaiting, askPassword, signaling, warm = null }) {
    this.root = root;
    this.room = room;
    this.name = name;
    this.media = media;
    this.credentials = credentials;
    this.onLeft = onLeft;
    this.onWaiting = onWaiting;
    this.askPassword = askPassword;
    /** @type {'joining' | 'waiting' | 'in-call' | 'left'} */ this.phase = 'joining';
    /** we gave up joining (left the lobby, cancelled the password prompt) */ this.cancelled = false;
    /** @type {Role} */ this.role = 'participant';
    this.locked = false;
    this.lobbyOn = false;
    /** our hand is raised */ this.hand = false;
    /** @type {Knock[]} who waits in the lobby (hosts and moderators hear of it) */ this.waiting = [];
    this.peopleOpen = false;
    /** @type {Map<number, { action: string, target?: string, name?: string }>} host controls sent, by req, for their refusals */
    this.requests = new Map();
    this.you = '';
    /** @type {Map<string, Person>} */ this.people = new Map();
    this.signaling = signaling ?? new Signaling(socketUrl(), { resume: true });
    /** @private @type {RTCPeerConnection | null} until the mesh takes it */ this.warm = warm;
    /** @type {Map<string, ReturnType<typeof setTimeout>>} after a reset resume: participants we wait for */
    this.awaiting = new Map();
    /** @type {Mesh | null} */ this.mesh = null;
    this.files = new FileTransfers();
    /** @type {Map<string, TransferCard>} */ this.cards = new Map();
    /** @type {Map<string, QualityProbe>} */ this.probes = new Map();
    /** @type {string} */ this.lastMediaSent = '';
    /** @type {(() => void)[]} */ this.cleanups = [];
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.qualityTimer = undefined;
    /** @type {HTMLElement | undefined} the call screen (in the page once the first offers are answered) */ this.screen = undefined;
    /** @type {Map<string, import('../mesh.js').Peer>} connections made before the screen was built, for participants who joined meanwhile */
    this.early = new Map();
    /** the screen is being built from the welcome */ this.building = false;
    this.chatOpen = false;
  }

  /**
   * Connect and join; resolves once in the call. Rejects (ServerError / Error) when the join is refused.
   * @returns {Promise<void>}
   */
  async start() {
    const sig = this.signaling;
    const onWaiting = (/** @type {Event} */ e) => {
      if (/** @type {CustomEvent} */ (e).detail.rejoin || this.phase !== 'joining') return;
      this.phase = 'waiting';
      this.onWaiting?.();
    };
    sig.addEventListener('waiting', onWaiting);
    let prompted = false; // a password was just typed: a socket the server closed meanwhile is retried once
    let late = false; // the join raced the server closing an unjoined (warm) socket: retried once
    try {
      for (;;) {
        // the server gives a connection join_timeout_ms to join: a slow password may need a new one;
        // connect() takes the socket the pre-join screen opened, if it is still good
        await sig.connect();
        if (this.cancelled) throw new ServerError('cancelled', 'gave up joining');
        try {
          const welcome = await sig.join({ room: this.room, name: this.name, media: this.media.state, credentials: this.credentials });
          this.lastMediaSent = JSON.stringify(this.media.state);
          await this.enter(welcome);
          return;
        } catch (err) {
          const closed = err instanceof ServerError && err.code === 'closed' && !this.cancelled;
          if (prompted && closed) { prompted = false; continue; }
          if (closed && !late && sig.lastCloseCode === 4001) { late = true; continue; } // (never joined: nothing left behind)
          if (!(err instanceof ServerError) || !PASSWORD_CODES.has(err.code) || !this.askPassword || this.cancelled) throw err;
          if (err.code !== 'too_many_attempts') delete this.credentials.password;
          const password = await this.askPassword(err.code);
          if (password === null || this.cancelled) { this.cancelled = true; throw err; }
          this.credentials.password = password;
          prompted = true;
        }
      }
    } finally {
      sig.removeEventListener('waiting', onWaiting);
    }
  }

  /** Give up joining: leave the lobby, or stop at the password prompt (the socket closes). */
  cancel() {
    this.cancelled = true;
    this.signaling.close();
  }

  /**
   * Build the mesh and the screen from the welcome. The connections come first: the screen is built once
   * the answers to their offers are applied (or ANSWERS_WAIT_MS passed), since building and drawing it would
   * hold up offers, candidates and answers (the page has one thread); connecting and the media then go on
   * in the browser's own threads. Meanwhile signaling events wait (Signaling.hold()) and are delivered once
   * the screen's listeners are in place, except what the connections need at once: signals and ICE
   * servers go to the mesh, and a participant who joins meanwhile gets its connection (its offer may come
   * before the screen). Resolves once the screen is in the page.
   * @private @param {Welcome} w @returns {Promise<void>}
   */
  async enter(w) {
    this.you = w.you;
    this.phase = 'in-call';
    this.limits = w.limits;
    this.role = w.role;
    this.locked = w.locked;
    this.lobbyOn = w.lobby;
    document.title = `${this.room} · ruang`;
    // a viewer (by invitation) sends nothing: release the devices before any connection exists
    if (this.role === 'viewer') this.media.stopAll();

    // --- the mesh first: the offers to everyone already here go out before the screen is built
    const mesh = new Mesh({
      signaling: this.signaling,
      iceServers: w.ice_servers,
      icePolicy: w.ice_transport_policy,
      localTracks: () => ({ audio: this.media.audioTrack, video: this.media.videoTrack }),
      sending: this.role !== 'viewer',
      warm: this.warm,
    });
    this.warm = null;
    this.mesh = mesh;
    mesh.setMaxBitrate(videoBitrate(w.peers.length, this.media.sharing)); // (before the connections exist: set as they are made)
    mesh.addEventListener('track', (e) => {
      const { peer } = /** @type {CustomEvent} */ (e).detail;
      this.tiles?.get(peer.id)?.setStream(peer.stream);
    });
    mesh.addEventListener('channel', (e) => {
      const { peer, channel } = /** @type {CustomEvent} */ (e).detail;
      this.files.attach(peer.id, channel, peer.pc);
    });
    mesh.addEventListener('state', (e) => {
      const { peer, state } = /** @type {CustomEvent} */ (e).detail;
      this.setConnection(peer.id, state);
      if (state === 'connected') this.applyBitrates();
    });
    // a connection rebuilt after `reset` (either side): new stream and stats source, same tile
    mesh.addEventListener('peer_replaced', (e) => {
      const { peer } = /** @type {CustomEvent} */ (e).detail;
      this.tiles?.get(peer.id)?.setStream(peer.stream);
      this.probes.set(peer.id, new QualityProbe(peer.pc));
      this.setConnection(peer.id, 'new');
    });

    /** @type {Map<string, import('../mesh.js').Peer>} */
    const offering = new Map(w.peers.map((p) => [p.id, mesh.addPeer(p.id, false)]));

    this.signaling.hold((type, d) => {
      if (type === 'signal') { mesh.handleSignal(d.from, d.data); return true; }
      if (type === 'ice_servers') { mesh.updateIce(d.iceServers, d.policy); return true; }
      if (type === 'peer_joined' && !mesh.peers.has(d.peer.id)) this.early.set(d.peer.id, mesh.addPeer(d.peer.id, true));
      return false; // (delivered after the screen is built)
    });
    try {
      const answers = Promise.all([...offering.values()].map((p) => p.answered));
      await Promise.race([answers, new Promise((resolve) => setTimeout(resolve, ANSWERS_WAIT_MS))]);
      if (this.phase === 'in-call') this.build(w);
    } finally {
      this.signaling.release();
    }
  }

  /**
   * The call screen, its listeners and the tiles of the participants in the welcome.
   * @private @param {Welcome} w
   */
  build(w) {
    const mesh = /** @type {Mesh} */ (this.mesh);
    // --- layout
    this.grid = h('section', { class: 'grid', id: 'grid', 'aria-label': 'Participants' });
    this.tiles = new TileGrid(this.grid);
    this.countEl = h('span', { class: 'count', 'aria-live': 'polite' });
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    // our own connection to the server (a live region that is always there; the banner inside comes and goes)
    this.connStatus = h('div', { class: 'conn-status', id: 'conn-status', role: 'status', 'aria-live': 'polite' });
    this.chat = new ChatPanel({
      you: () => this.you,
      onSend: (text) => this.signaling.chat(text),
      onFiles: (files) => this.shareFiles(files),
      onUnread: (n) => this.controls?.setUnread(n),
      onClose: () => this.setChat(false),
      maxBytes: w.limits.max_chat_bytes || 4096,
      canShareFiles: () => [...this.people.keys()].some((id) => this.files.canSendTo(id)),
    });
    this.peoplePanel = new PeoplePanel({
      act: (action, target, role) => void this.moderate(action, target, role),
      onClose: () => this.setPeople(false),
    });
    this.lobbyNotice = new LobbyNotice({
      admit: (id) => void this.moderate('admit', id),
      deny: (id) => void this.moderate('deny', id),
    });
    this.controls = new ControlBar({
      mic: () => this.toggleMic(),
      camera: () => this.toggleCamera(),
      screen: () => this.toggleScreen(),
      hand: () => this.toggleHand(),
      people: () => this.setPeople(!this.peopleOpen),
      chat: () => this.setChat(!this.chatOpen),
      devices: () => void this.settings?.open(),
      help: () => this.help?.showModal(),
      leave: () => this.leave(),
    });
    this.help = helpDialog();
    this.settings = settingsDialog(this.media, {
      onCamera: (id) => this.media.switchCamera(id),
      onMic: (id) => this.media.switchMic(id),
    });
    const copyBtn = h('button', {
      type: 'button', class: 'btn btn-ghost btn-small', id: 'call-copy-link', 'aria-label': 'Copy invite link',
      onclick: async () => { if (await copyInvite(this.room)) toast('Invite link copied'); },
    }, icon('link'), h('span', { class: 'hide-narrow', text: 'Invite' }));
    const header = h('header', { class: 'call-head' },
      h('div', { class: 'call-title' }, h('span', { class: 'brand-mark small', 'aria-hidden': 'true' }),
        h('span', { class: 'room-name', text: this.room, title: this.room })),
      h('div', { class: 'call-meta' }, icon('users'), this.countEl, copyBtn));
    // --- tiles, before the screen is in the page (no layout until it is: the grid's ResizeObserver lays it out)
    const local = this.tiles.add({ id: this.you, name: this.name, local: true, media: this.media.state });
    this.updateLocal();
    local.el.dataset.connection = 'connected';
    this.building = true; // (the bitrate ceiling is set once, for all of them)
    for (const peer of w.peers) this.addPerson(peer, false, mesh.peers.get(peer.id)); // (a `reset` may have replaced one)
    this.building = false;
    this.applyBitrates();
    this.screen = h('div', { class: 'call', id: 'call' },
      header, this.connStatus, this.banner, this.lobbyNotice.el,
      h('div', { class: 'stage' }, this.grid, this.chat.el, this.peoplePanel.el),
      this.controls.el);
    this.root.replaceChildren(this.screen);

    // --- files
    this.files.addEventListener('incoming', (e) => this.showTransfer(/** @type {CustomEvent} */ (e).detail, true));
    this.files.addEventListener('update', (e) => {
      const t = /** @type {CustomEvent} */ (e).detail;
      const card = this.cards.get(t.id);
      if (card) card.update();
      else this.showTransfer(t, false);
    });

    // --- signaling events
    const on = (/** @type {string} */ type, /** @type {(d: any) => void} */ fn) => {
      const l = (/** @type {Event} */ e) => fn(/** @type {CustomEvent} */ (e).detail);
      this.signaling.addEventListener(type, l);
      this.cleanups.push(() => this.signaling.removeEventListener(type, l));
    };
    on('peer_joined', ({ peer }) => {
      // after a server restart, participants we are still connected to come back with peer_joined
      if (this.people.has(peer.id) && this.mesh?.peers.has(peer.id)) { this.refreshPerson(peer); return; }
      this.addPerson(peer, true);
      toast(`${peer.name} joined`);
    });
    on('peer_left', ({ id, reason }) => {
      // `shutdown` is reserved (a stopping server no longer makes anyone leave): not a departure
      if (reason === 'shutdown') return;
      this.removePerson(id, reason);
    });
    on('peer_reconnecting', ({ id }) => this.setReconnecting(id, true));
    on('peer_reconnected', ({ id }) => this.setReconnecting(id, false));
    on('signal', ({ from, data }) => mesh.handleSignal(from, data));
    on('ice_servers', ({ iceServers, policy }) => mesh.updateIce(iceServers, policy));
    on('media', ({ id, media }) => {
      const p = this.people.get(id);
      if (!p) return;
      p.media = media;
      this.tiles?.setMedia(id, media);
      this.refreshPeople();
    });
    on('role', ({ id, role }) => this.onRole(id, role));
    on('hand', ({ id, raised }) => this.onHand(id, raised));
    on('room_state', ({ locked, lobby }) => this.onRoomState(locked, lobby));
    on('lobby', ({ waiting }) => this.onLobby(waiting));
    on('lobby_joined', ({ knock }) => this.onLobby([...this.waiting.filter((w) => w.id !== knock.id), knock]));
    on('lobby_left', ({ id }) => {
      if (!this.waiting.some((w) => w.id === id)) return;
      this.waiting = this.waiting.filter((w) => w.id !== id);
      this.refreshPeople();
    });
    on('muted', ({ by }) => void this.onMuted(by));
    on('waiting', () => {
      // joining afresh after a lost session, into a room whose lobby is on
      this.showBanner('The server lost your place in the meeting: waiting for a host to let you back in.', { reload: false });
    });
    on('chat', ({ message }) => this.chat?.addMessage(message));
    on('server_error', ({ code, message, req }) => this.onServerError(code, message, req));
    on('state', ({ state }) => this.onServerState(state));
    on('resumed', ({ welcome, replay }) => this.onResumed(welcome, replay));
    on('rejoined', ({ welcome }) => this.onRejoined(welcome));
    on('failed', ({ code, message }) => {
      const out = OUT_CODES.has(code) ? refusalOutcome(code) : null;
      if (out) { this.teardown(); this.onLeft(out); return; } // a way out: say why on the left screen
      this.showBanner(`Could not get back into the call (${code}): ${message}`);
    });
    on('removed', ({ reason, by }) => {
      // nothing to resume: close every connection and say why
      const who = by ? this.people.get(by)?.name ?? null : null;
      const outcome = removedOutcome(reason, who, by === this.you);
      this.teardown();
      this.onLeft(outcome);
    });

    for (const m of w.chat_history) this.chat.addMessage(m, { history: true });

    // --- local media changes → senders + server
    const onMedia = (/** @type {Event} */ e) => void this.onLocalMedia(/** @type {CustomEvent} */ (e).detail.kind);
    this.media.addEventListener('change', onMedia);
    this.cleanups.push(() => this.media.removeEventListener('change', onMedia));

    // --- keyboard, autoplay, unload
    const onKey = (/** @type {KeyboardEvent} */ e) => this.onKey(e);
    document.addEventListener('keydown', onKey);
    this.cleanups.push(() => document.removeEventListener('keydown', onKey));
    const onBlocked = () => this.showAutoplayBanner();
    this.grid.addEventListener('autoplay-blocked', onBlocked);
    // Closing the tab: say goodbye to the server and close the connections (the others' data channels
    // close at once, which matters when the server is gone).
    const onHide = () => {
      if (this.phase === 'in-call') this.signaling.leave(); // (only closes the socket while reconnecting)
      if (this.phase !== 'left') this.mesh?.close();
    };
    window.addEventListener('pagehide', onHide);
    this.cleanups.push(() => window.removeEventListener('pagehide', onHide));

    this.qualityTimer = setInterval(() => void this.sampleQuality(), QUALITY_MS);
    this.updateCount();
    this.updateControls();
    this.refreshPeople();
    if (this.role === 'viewer') toast('You joined as a viewer: you can watch, listen, chat and raise your hand.', { ms: 6000 });
    else if (this.role !== 'participant' && w.peers.length) toast(`You joined as ${this.role === 'host' ? 'a host' : 'a moderator'} of this meeting.`);
    // devices may have finished starting while we joined: make senders, tile and server agree now
    void this.onLocalMedia('audio');
    void this.onLocalMedia('video');
  }

  // ---------------------------------------------------------------- participants

  /**
   * @private @param {PeerInfo} info @param {boolean} polite
   * @param {import('../mesh.js').Peer} [connected] its connection, if made already
   */
  addPerson(info, polite, connected) {
    if (!this.mesh || !this.tiles) return;
    /** @type {Person} */
    const person = {
      id: info.id, name: info.name, media: info.media, polite, quality: 'unknown', connection: 'new', reconnecting: false,
      role: info.role, hand: info.hand,
    };
    this.people.set(info.id, person);
    const tile = this.tiles.add({ id: info.id, name: info.name, local: false, media: info.media });
    tile.el.dataset.connection = 'new';
    tile.setHand(info.hand);
    if (info.reconnecting) this.setReconnecting(info.id, true);
    const early = this.early.get(info.id);
    this.early.delete(info.id);
    const peer = connected ?? (early && early === this.mesh.peers.get(info.id) && early.polite === polite ? early : this.mesh.addPeer(info.id, polite));
    person.connection = tile.el.dataset.connection = peer.pc.connectionState ?? 'new'; // (it may have moved already)
    tile.setStream(peer.stream);
    this.probes.set(info.id, new QualityProbe(peer.pc));
    this.updateCount();
    if (!this.building) this.applyBitrates();
    this.refreshPeople();
  }

  /**
   * A participant we already have a connection with was introduced again (peer_joined or `peers` after a
   * server restart): keep the connection, update name, media and tile, and heal the connection if it is
   * not connected or was mid-negotiation.
   * @private @param {PeerInfo} info
   */
  refreshPerson(info) {
    const p = this.people.get(info.id);
    if (!p) return;
    clearTimeout(this.awaiting.get(info.id));
    this.awaiting.delete(info.id);
    p.name = info.name;
    p.media = info.media;
    p.role = info.role;
    p.hand = info.hand;
    this.tiles?.get(info.id)?.setName(info.name);
    this.tiles?.setMedia(info.id, info.media);
    this.tiles?.get(info.id)?.setHand(info.hand);
    this.setReconnecting(info.id, !!info.reconnecting);
    this.mesh?.heal(info.id);
    this.refreshPeople();
  }

  /** @private @param {string} id @param {boolean} on */
  setReconnecting(id, on) {
    const p = this.people.get(id);
    if (!p) return;
    p.reconnecting = on;
    this.tiles?.get(id)?.setReconnecting(on);
    this.refreshPeople();
  }

  /** @private @param {string} id @param {string} state */
  setConnection(id, state) {
    const person = this.people.get(id);
    if (person) person.connection = state;
    const tile = this.tiles?.get(id);
    if (tile) tile.el.dataset.connection = state;
  }

  /** @private @param {string} id @param {string} reason @param {{ quiet?: boolean }} [opts] */
  removePerson(id, reason, { quiet = false } = {}) {
    const p = this.people.get(id);
    if (!p) return;
    clearTimeout(this.awaiting.get(id));
    this.awaiting.delete(id);
    this.people.delete(id);
    this.probes.delete(id);
    this.files.detach(id);
    this.mesh?.removePeer(id);
    this.tiles?.remove(id);
    this.updateCount();
    this.applyBitrates();
    this.refreshPeople();
    if (quiet) return;
    const why = {
      left: 'left', disconnected: 'disconnected', timeout: 'lost connection', slow: 'was disconnected (connection too slow)',
      kicked: 'was removed', removed: 'was removed from the meeting', banned: 'was banned from the meeting', shutdown: 'left (server stopping)',
    };
    toast(`${p.name} ${/** @type {Record<string, string>} */ (why)[reason] ?? 'left'}`);
  }

  /** @param {string} id */
  nameOf(id) {
    if (id === this.you) return 'you';
    return this.people.get(id)?.name ?? 'someone who left';
  }

  /** @private */
  updateCount() {
    if (!this.countEl) return;
    const n = this.people.size + 1;
    this.countEl.textContent = `${n}`;
    this.countEl.setAttribute('aria-label', `${n} ${n === 1 ? 'participant' : 'participants'}`);
    this.countEl.title = this.countEl.getAttribute('aria-label') ?? '';
  }

  // ---------------------------------------------------------------- local media

  /** @private @param {'audio' | 'video'} kind */
  async onLocalMedia(kind) {
    if (this.phase !== 'in-call' || !this.mesh) return;
    if (kind === 'audio') await this.mesh.setTrack('audio', this.media.audioTrack);
    else await this.mesh.setTrack('video', this.media.videoTrack);
    this.updateLocal();
    this.publishMedia();
    this.updateControls();
    this.refreshPeople();
    if (kind === 'video') this.applyBitrates();
  }

  /** Tell the server (and so everyone) our true media state, when it changed. @private */
  publishMedia() {
    const s = JSON.stringify(this.media.state);
    if (s === this.lastMediaSent) return;
    this.lastMediaSent = s;
    this.signaling.media(this.media.state);
  }

  /** @private */
  updateLocal() {
    const tile = this.tiles?.get(this.you);
    if (!tile) return;
    const track = this.media.videoTrack;
    const current = /** @type {MediaStream | null} */ (tile.video.srcObject);
    if ((current?.getVideoTracks()[0] ?? null) !== track) tile.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) tile.video.play().catch(() => {});
    tile.setMedia(this.media.state);
    tile.watchAudio(this.media.micTrack);
  }

  /** @private */
  updateControls() {
    this.controls?.update({
      mic: this.media.micOn,
      camera: this.media.cameraOn || (this.media.sharing && this.media.cameraBeforeShare),
      screen: this.media.sharing,
      chatOpen: this.chatOpen,
      peopleOpen: this.peopleOpen,
      hand: this.hand,
      viewer: this.role === 'viewer',
    });
  }

  async toggleMic() {
    if (this.role === 'viewer') return; // viewers send nothing (the server would refuse it)
    try { await this.media.setMicEnabled(!this.media.micOn); } catch (e) { toast(describeMediaError(e, 'microphone'), { kind: 'error' }); }
    this.updateControls();
  }

  async toggleCamera() {
    if (this.role === 'viewer') return;
    const want = !(this.media.cameraOn || (this.media.sharing && this.media.cameraBeforeShare));
    try { await this.media.setCameraEnabled(want); } catch (e) { toast(describeMediaError(e, 'camera'), { kind: 'error' }); }
    if (this.media.sharing) toast(want ? 'Your camera comes back when you stop sharing' : 'Camera stays off after sharing');
    this.updateControls();
  }

  async toggleScreen() {
    if (this.role === 'viewer') return;
    try {
      if (this.media.sharing) await this.media.stopScreen();
      else await this.media.startScreen();
    } catch (e) {
      const name = e instanceof Error || e instanceof DOMException ? e.name : '';
      if (name !== 'NotAllowedError' && name !== 'AbortError') toast(describeMediaError(e, 'screen share'), { kind: 'error' });
    }
    this.updateControls();
  }

  /** Cap the video bitrate by mesh size so uploads stay within reach. @private */
  applyBitrates() {
    this.mesh?.setMaxBitrate(videoBitrate(this.people.size, this.media.sharing));
  }

  // ---------------------------------------------------------------- chat & files

  /** @param {boolean} open */
  setChat(open) {
    if (open && this.peopleOpen) this.setPeople(false, { focus: false }); // one side panel at a time
    this.chatOpen = open;
    this.chat?.setOpen(open);
    this.screen?.classList.toggle('chat-open', open);
    this.updateControls();
    if (!open) this.controls?.chat.focus();
    this.tiles?.layout();
  }

  /** The participant list. @param {boolean} open @param {{ focus?: boolean }} [opts] */
  setPeople(open, { focus = true } = {}) {
    if (open && this.chatOpen) {
      this.chatOpen = false;
      this.chat?.setOpen(false);
      this.screen?.classList.remove('chat-open');
    }
    this.peopleOpen = open;
    this.peoplePanel?.setOpen(open);
    this.screen?.classList.toggle('people-open', open);
    this.updateControls();
    if (!open && focus) this.controls?.people.focus();
    this.tiles?.layout();
  }

  /** @private @param {File[]} files */
  shareFiles(files) {
    const targets = [...this.people.keys()].filter((id) => this.files.canSendTo(id));
    if (!targets.length) { toast('Nobody is connected to receive the file yet.'); return; }
    for (const f of files) this.files.offer(f, targets);
  }

  /** @private @param {import('../files.js').Transfer} t @param {boolean} incoming */
  showTransfer(t, incoming) {
    if (this.cards.has(t.id) || !this.chat) return;
    const card = new TransferCard(t, this.files, (id) => this.nameOf(id));
    this.cards.set(t.id, card);
    this.chat.addItem(card.el, incoming);
    if (incoming && !this.chatOpen) toast(`${this.nameOf(t.peerId)} wants to send you a file: open the chat to accept`);
  }

  // ---------------------------------------------------------------- quality

  /** @private */
  async sampleQuality() {
    for (const [id, probe] of this.probes) {
      const person = this.people.get(id);
      if (!person || person.connection !== 'connected') continue;
      try {
        const s = await probe.sample();
        person.quality = s.quality;
        const parts = [];
        if (s.rttMs !== null) parts.push(`${Math.round(s.rttMs)} ms`);
        if (s.lossPct !== null) parts.push(`${s.lossPct.toFixed(1)}% loss`);
        this.tiles?.get(id)?.setQuality(s.quality, parts.join(', '));
      } catch { /* connection closed meanwhile */ }
    }
  }

  // ---------------------------------------------------------------- keyboard

  /** @private @param {KeyboardEvent} e */
  onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const t = /** @type {HTMLElement | null} */ (e.target);
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    if (document.querySelector('dialog[open]')) return;
    switch (e.key) {
      case 'm': case 'M': void this.toggleMic(); break;
      case 'v': case 'V': void this.toggleCamera(); break;
      case 's': case 'S': if (!this.controls?.screen.hidden) void this.toggleScreen(); break;
      case 'c': case 'C': this.setChat(!this.chatOpen); break;
      case 'p': case 'P': this.setPeople(!this.peopleOpen); break;
      case 'h': case 'H': this.toggleHand(); break;
      case 'd': case 'D': if (this.role !== 'viewer') void this.settings?.open(); break;
      case '?': this.help?.showModal(); break;
      case 'Escape':
        if (this.chatOpen) this.setChat(false);
        else if (this.peopleOpen) this.setPeople(false);
        else return;
        break;
      default: return;
    }
    e.preventDefault();
  }

  // ---------------------------------------------------------------- server trouble

  /** @private @param {string} code @param {string} message @param {number} [req] */
  onServerError(code, message, req) {
    const asked = req === undefined ? undefined : this.requests.get(req);
    if (asked) {
      this.requests.delete(req ?? 0);
      this.onRefused(asked, code, message);
      return;
    }
    switch (code) {
      case 'unknown_peer': return; // a race with peer_left; harmless
      case 'forbidden':
        // a viewer's negotiation caught in the moment its role changed: the mesh renegotiates recvonly
        if (this.role === 'viewer') { console.info('ruang: refused while becoming a viewer:', message); return; }
        toast(`Not allowed: ${message}`, { kind: 'error' });
        return;
      case 'rate_limited': toast('You are sending too fast; a message was dropped.', { kind: 'error' }); return;
      case 'field_too_large': toast('That message was too long for the server.', { kind: 'error' }); return;
      default:
        console.warn('ruang: server error', code, message);
        toast(`Server: ${message}`, { kind: 'error' });
    }
  }

  /** Our own connection to the server changed. @private @param {ConnState} state */
  onServerState(state) {
    if (!this.connStatus) return;
    if (state === 'reconnecting') {
      // non-modal: the call goes on peer to peer, local tracks keep running, what we send is queued
      if (!this.connStatus.firstChild) {
        this.connStatus.replaceChildren(h('div', { class: 'banner banner-reconnecting' },
          h('span', { class: 'spinner', 'aria-hidden': 'true' }),
          h('span', { text: 'Reconnecting to the server… The call continues; chat is sent when the connection is back.' })));
      }
      this.chat?.setNotice('Reconnecting: messages are sent when the connection is back.');
    } else {
      this.connStatus.replaceChildren();
      this.chat?.setNotice('');
      if (state === 'replaced') this.showBanner('This call continued on another connection of yours. Reload to rejoin here.');
    }
  }

  /**
   * Resumed: the same participant again. After `replay: "reset"` (a restarted server, or too much missed)
   * reconcile the mesh with the room as it is now (protocol.md, `resumed`).
   * @private @param {Session} w @param {import('../signaling.js').Replay} replay
   */
  onResumed(w, replay) {
    this.mesh?.updateIce(w.ice_servers, w.ice_transport_policy);
    if (replay === 'reset') {
      // changes to the lobby list may be lost: the server sends the list again if anyone is waiting
      this.waiting = [];
      // roles may have been handed out afresh (after a server restart the first one back is host)
      this.setRole(w.role);
      this.onRoomState(w.locked, w.lobby, { quiet: true });
      // the server may not know our hand any more (a restart forgets it): tell it again
      if (this.hand) this.signaling.hand(true);
      const listed = new Set(w.peers.map((p) => p.id));
      for (const info of w.peers) {
        if (this.people.has(info.id) && this.mesh?.peers.has(info.id)) this.refreshPerson(info);
        else this.addPerson(info, false); // new to us: we are the newcomer towards it, so we offer
      }
      // not back (yet): after a server restart they reappear with peer_joined when they resume
      for (const id of this.people.keys()) {
        if (listed.has(id) || this.awaiting.has(id)) continue;
        this.setReconnecting(id, true);
        this.awaiting.set(id, setTimeout(() => {
          this.awaiting.delete(id);
          if (this.people.get(id)?.reconnecting) this.removePerson(id, 'disconnected');
        }, w.resume_grace_ms));
      }
    }
    for (const m of w.chat_history) this.chat?.addMessage(m, { history: true }); // duplicates are skipped
  }

  /**
   * The server refused our resume, so we joined afresh as a new participant: rebuild the call from the
   * new welcome (new id, new connections).
   * @private @param {Session} w
   */
  onRejoined(w) {
    for (const id of [...this.people.keys()]) this.removePerson(id, 'left', { quiet: true });
    this.tiles?.remove(this.you);
    this.you = w.you;
    this.limits = w.limits;
    if (this.banner) this.banner.hidden = true; // (it said we were waiting to be let back in)
    this.waiting = [];
    this.setRole(w.role);
    this.onRoomState(w.locked, w.lobby, { quiet: true });
    this.hand = false;
    const local = this.tiles?.add({ id: this.you, name: this.name, local: true, media: this.media.state });
    if (local) local.el.dataset.connection = 'connected';
    this.updateLocal();
    this.mesh?.updateIce(w.ice_servers, w.ice_transport_policy);
    for (const peer of w.peers) this.addPerson(peer, false);
    for (const m of w.chat_history) this.chat?.addMessage(m, { history: true });
    this.updateControls();
    this.refreshPeople();
    toast('The server no longer knew your session, so you rejoined the call as a new participant.', { ms: 8000 });
  }

  /** @private @param {string} text @param {{ reload?: boolean }} [opts] */
  showBanner(text, { reload = true } = {}) {
    if (!this.banner) return;
    this.banner.hidden = false;
    this.banner.replaceChildren(h('span', { text }),
      ...(reload ? [h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, 'Reload')] : []));
  }

  // ---------------------------------------------------------------- roles, hands, host controls

  /**
   * Somebody's role changed (a host gave it, or the automatic hand-over when the last host left).
   * @private @param {string} id @param {Role} role
   */
  onRole(id, role) {
    if (id === this.you) { this.setRole(role, { announce: true }); return; }
    const p = this.people.get(id);
    if (!p) return;
    p.role = role;
    if (role === 'viewer') p.media = { audio: false, video: false, screen: false }; // (the server says so with `media` too)
    this.refreshPeople();
  }

  /**
   * Our own role. A viewer sends nothing: the transceivers turn recvonly and the devices are released;
   * back to participant, the media buttons return and the user turns media on when they like.
   * @private @param {Role} role @param {{ announce?: boolean }} [opts]
   */
  setRole(role, { announce = false } = {}) {
    const before = this.role;
    if (role === before) return;
    this.role = role;
    if (role === 'viewer') {
      void this.mesh?.setSending(false);
      if (this.media.sharing || this.media.micTrack || this.media.cameraTrack) this.media.release();
    } else if (before === 'viewer') {
      void this.mesh?.setSending(true);
    }
    if (!moderates(role)) this.waiting = []; // the lobby list is for hosts and moderators; no more updates come
    this.updateControls();
    this.refreshPeople();
    if (!announce) return;
    if (role === 'host') toast('You are now the host', { ms: 6000 });
    else if (role === 'moderator') toast('You are now a moderator: you can mute, remove and let people in.', { ms: 6000 });
    else if (role === 'viewer') toast('You are now a viewer: your microphone and camera are off. You can still chat and raise your hand.', { ms: 8000 });
    else if (before === 'viewer') toast('You can take part again: turn on your microphone or camera when you like.', { ms: 6000 });
    else toast('You are now a participant.');
  }

  /** @private @param {string} id @param {boolean} raised */
  onHand(id, raised) {
    if (id === this.you) {
      this.hand = raised;
      this.tiles?.get(id)?.setHand(raised);
      this.updateControls();
      this.refreshPeople();
      return;
    }
    const p = this.people.get(id);
    if (!p || p.hand === raised) return;
    p.hand = raised;
    this.tiles?.get(id)?.setHand(raised);
    this.refreshPeople();
    if (raised && moderates(this.role)) toast(`${p.name} raised a hand`);
  }

  /** Raise or lower our hand (shown at once; the server's echo confirms it). */
  toggleHand() {
    this.hand = !this.hand;
    this.signaling.hand(this.hand);
    this.tiles?.get(this.you)?.setHand(this.hand);
    this.updateControls();
    this.refreshPeople();
  }

  /** @private @param {boolean} locked @param {boolean} lobby @param {{ quiet?: boolean }} [opts] */
  onRoomState(locked, lobby, { quiet = false } = {}) {
    const was = { locked: this.locked, lobby: this.lobbyOn };
    this.locked = locked;
    this.lobbyOn = lobby;
    this.refreshPeople();
    if (quiet) return;
    if (locked !== was.locked) toast(locked ? 'The meeting is locked: nobody new can join.' : 'The meeting is unlocked.');
    if (lobby !== was.lobby) toast(lobby ? 'The lobby is on: newcomers wait until a host lets them in.' : 'The lobby is off: newcomers come straight in.');
  }

  /**
   * Who waits in the lobby: hosts and moderators get the whole list once (arrival, promotion), then each
   * change (lobby_joined, lobby_left), which is applied to the list and passed here whole.
   * @private @param {Knock[]} waiting
   */
  onLobby(waiting) {
    if (!moderates(this.role)) return; // (a change that crossed our loss of the role)
    const before = new Set(this.waiting.map((w) => w.id));
    this.waiting = waiting;
    this.refreshPeople();
    const fresh = waiting.filter((w) => !before.has(w.id));
    if (fresh.length === 1) toast(`${fresh[0].name} is waiting to join`, { ms: 6000 });
    else if (fresh.length > 1) toast(`${fresh.length} people are waiting to join`, { ms: 6000 });
  }

  /** A host or moderator muted us: the microphone goes off at once; only we can turn it on again. @private @param {string | null} by */
  async onMuted(by) {
    const who = by ? this.people.get(by)?.name ?? 'A host' : 'A host';
    if (this.media.micOn) {
      try { await this.media.setMicEnabled(false); } catch { /* no microphone */ }
    }
    this.updateControls();
    toast(`${who} muted you`, { ms: 6000 });
  }

  /**
   * Use a host control (the server checks it again). Ban and end ask first.
   * @param {string} action @param {string} [target] @param {Role} [role]
   */
  async moderate(action, target, role) {
    const name = target ? this.people.get(target)?.name ?? this.waiting.find((w) => w.id === target)?.name : undefined;
    if (action === 'ban') {
      const ok = await confirmDialog({
        title: `Ban ${name ?? 'this participant'}?`, id: 'ban-dialog', confirm: 'Ban',
        text: `${name ?? 'They'} will be removed and cannot come back to this meeting, not even with their invitation.`,
      });
      if (!ok) return;
    }
    if (action === 'end') {
      const ok = await confirmDialog({
        title: 'End the meeting for everyone?', id: 'end-dialog', confirm: 'End meeting',
        text: 'Everyone, you included, leaves the call, and the people waiting in the lobby are sent away.',
      });
      if (!ok) return;
    }
    if (this.phase !== 'in-call') return;
    const req = this.signaling.moderate(action, target, role);
    if (!req) { toast('Not connected to the server right now; try again in a moment.', { kind: 'error' }); return; }
    this.requests.set(req, { action, target, name });
    while (this.requests.size > 64) this.requests.delete(this.requests.keys().next().value ?? 0);
  }

  /**
   * A host control we sent was refused.
   * @private @param {{ action: string, target?: string, name?: string }} asked @param {string} code @param {string} message
   */
  onRefused(asked, code, message) {
    const lobbyAction = asked.action === 'admit' || asked.action === 'deny';
    if (code === 'forbidden') toast(`You are not allowed to do that: ${message}`, { kind: 'error' });
    else if (code === 'unknown_peer' && lobbyAction) {
      this.waiting = this.waiting.filter((w) => w.id !== asked.target);
      this.refreshPeople();
      toast(`${asked.name ?? 'They'} is no longer waiting.`);
    } else if (code === 'unknown_peer') toast(`${asked.name ?? 'That participant'} is no longer in the meeting.`);
    else if (code === 'room_full') toast('The meeting is full: nobody else can be let in.', { kind: 'error' });
    else toast(`The server refused: ${message}`, { kind: 'error' });
  }

  /** Redraw the participant list, the lobby notice and the participants button's badge. @private */
  refreshPeople() {
    if (!this.peoplePanel || this.phase !== 'in-call') return;
    const mayAdmit = moderates(this.role);
    this.peoplePanel.render({
      me: { id: this.you, name: this.name, role: this.role, media: this.media.state, hand: this.hand, reconnecting: false },
      others: [...this.people.values()].map((p) => ({ id: p.id, name: p.name, role: p.role, media: p.media, hand: p.hand, reconnecting: p.reconnecting })),
      locked: this.locked,
      lobby: this.lobbyOn,
      waiting: mayAdmit ? this.waiting : [],
    });
    this.lobbyNotice?.render(this.waiting, mayAdmit);
    this.controls?.setWaiting(mayAdmit ? this.waiting.length : 0);
  }

  /** @private */
  showAutoplayBanner() {
    if (!this.banner || !this.banner.hidden) return;
    this.banner.hidden = false;
    this.banner.replaceChildren(h('span', { text: 'Your browser blocked the sound of the call.' }),
      h('button', {
        type: 'button', class: 'btn btn-small btn-primary',
        onclick: () => { for (const t of this.tiles?.tiles.values() ?? []) t.resume(); if (this.banner) this.banner.hidden = true; },
      }, 'Turn on sound'));
  }

  // ---------------------------------------------------------------- leaving

  leave() {
    if (this.phase === 'left') return;
    this.signaling.leave();
    this.teardown();
    this.onLeft(leftOutcome());
  }

  /** Release everything (connections, devices, listeners) without telling the server. */
  teardown() {
    this.phase = 'left';
    clearInterval(this.qualityTimer);
    for (const t of this.awaiting.values()) clearTimeout(t);
    this.awaiting.clear();
    for (const c of this.cleanups) c();
    this.cleanups = [];
    for (const id of this.people.keys()) this.files.detach(id);
    for (const t of this.files.transfers.values()) if (t.url) URL.revokeObjectURL(t.url);
    this.mesh?.close();
    this.warm?.close(); // (made ahead, never used: the join did not get through)
    this.warm = null;
    this.tiles?.destroy();
    this.help?.remove();
    this.settings?.el.remove();
    // a confirmation still open (ban, end) answers no and goes away with the call
    for (const d of document.querySelectorAll('dialog[open]')) /** @type {HTMLDialogElement} */ (d).close();
    this.media.stopAll();
    this.signaling.close();
  }

  /** Read-only snapshot for tests and debugging. */
  snapshot() {
    return {
      phase: this.phase,
      room: this.room,
      you: this.you,
      name: this.name,
      media: this.media.state,
      chatOpen: this.chatOpen,
      peopleOpen: this.peopleOpen,
      /** our role: host, moderator, participant or viewer */
      role: this.role,
      hand: this.hand,
      locked: this.locked,
      lobby: this.lobbyOn,
      /** who waits in the lobby (known to hosts and moderators) */
      waiting: this.waiting.map((w) => ({ ...w })),
      peers: [...this.people.values()].map((p) => ({ ...p, media: { ...p.media } })),
      /** our connection to the server: state ('connected', 'reconnecting', …), resumes, rejoins, … */
      server: this.signaling.info(),
      /** RTCPeerConnections created so far in this call (a resume creates none) */
      pcCreated: this.mesh?.created ?? 0,
      transfers: [...this.files.transfers.values()].map((t) => ({
        id: t.id, peerId: t.peerId, direction: t.direction, name: t.name, size: t.size, state: t.state,
        bytes: t.bytes, sha256: t.sha256, error: t.error, url: t.url,
      })),
    };
  }
}
