// call.js — the in-call screen's controller: joining (through the password prompt or the lobby), building
// the screen from the welcome, and leaving. The layers it wires (docs/design/web-client.md):
//   Signaling (session.js: server messages, lost connections survived) → RoomModel (room.js: who is here
//   and how the room stands) → the views that render it (call-room.js) ;
//   Signaling `signal`/`ice_servers` and the model's people → the media transport (transport.js; the
//   mesh today), whose remote streams go to the tiles ;
//   local media changes and controls (call-local.js) ; host controls and the server's refusals
//   (call-host.js) ; chat ↔ ChatPanel ; FileTransfers ↔ transfer cards.
// Lost connections to the server are survived (session.js resumes): the call goes on peer to peer, and
// after a resume the model is reconciled with the room (RoomModel.resumed/rejoined).
// Exposes a read-only snapshot for the test hook (see app.js).

import { h, setTitle } from './dom.js';
import { L } from '../i18n.js';
import { toast } from './toast.js';
import { leftOutcome, removedOutcome, refusalOutcome } from './left.js';
import { buildScreen } from './call-screen.js';
import { renderRoom, refreshPeople, updateCount } from './call-room.js';
import { onLocalMedia, applyBudget, sampleQuality, onKey, showAutoplayBanner, updateLocal, updateControls } from './call-local.js';
import { onServerError, onMuted } from './call-host.js';
import { showTransfer } from './call-panels.js';
import { wireLayout } from './call-layout.js';
import { showReaction } from './reactions.js';
import { Signaling, ServerError, socketUrl } from '../signaling.js';
import { RoomModel } from '../room.js';
import { createTransport } from '../transport.js';
import { FileTransfers } from '../files.js';
import { QualityProbe } from '../quality.js';

/** @typedef {import('../signaling.js').Welcome} Welcome */
/** @typedef {import('../signaling.js').Session} Session */
/** @typedef {import('../signaling.js').Role} Role */
/** @typedef {import('../signaling.js').Credentials} Credentials */
/** @typedef {import('../media.js').LocalMedia} LocalMedia */
/** @typedef {import('../transport.js').MediaTransport} MediaTransport */
/** @typedef {import('../transport.js').RemotePeer} RemotePeer */
/** @typedef {import('./left.js').Outcome} Outcome */
/** @typedef {import('./call-screen.js').Screen} Screen */

const QUALITY_MS = 2000;
/** The call screen waits at most this long for the answers to the first offers (see enter()). */
const ANSWERS_WAIT_MS = 300;
/** A promise of the next task: what is queued meanwhile (network messages, WebRTC's results) runs first. */
const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });
/** Join refusals the password prompt answers. */
const PASSWORD_CODES = new Set(['password_required', 'wrong_password', 'too_many_attempts']);
/** Refusals of joining afresh (after a lost session) that end the call on the left screen. */
const OUT_CODES = new Set(['room_locked', 'banned', 'invite_required', 'invalid_invite', 'password_required', 'wrong_password']);

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
   *   warm: what the transport made ahead (transport.js prepareTransport()) for the first peer we call
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
    /** the room as we know it: people, roles, lobby, chat, our connection */ this.model = new RoomModel({ room, name });
    this.peopleOpen = false;
    this.chatOpen = false;
    /** @type {Map<number, { action: string, target?: string, name?: string }>} host controls sent, by req, for their refusals */
    this.requests = new Map();
    this.signaling = signaling ?? new Signaling(socketUrl(), { resume: true });
    /** @private @type {RTCPeerConnection | null} until the transport takes it */ this.warm = warm;
    /** @type {MediaTransport | null} */ this.transport = null;
    this.files = new FileTransfers();
    /** @type {Map<string, import('./transfers.js').TransferCard>} */ this.cards = new Map();
    /** @type {Map<string, QualityProbe>} */ this.probes = new Map();
    /** @type {string} */ this.lastMediaSent = '';
    /** @type {(() => void)[]} */ this.cleanups = [];
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.qualityTimer = undefined;
    /** @type {Screen | null} the call screen's parts (once the first offers are answered) */ this.ui = null;
    /** @type {Map<string, RemotePeer>} links made before the screen was built, for participants who joined meanwhile */
    this.early = new Map();
    /** the screen is being built from the welcome */ this.building = false;
  }

  /** our participant id */
  get you() { return this.model.you; }

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
          // a refused host password is answered on the pre-join screen, not by the room password's prompt
          if (this.credentials.hostPassword !== undefined && err.code !== 'password_required') throw err;
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
   * Build the transport and the screen from the welcome. The connections come first: the screen is built
   * once the answers to their offers are applied (or ANSWERS_WAIT_MS passed), since building and drawing it
   * would hold up offers, candidates and answers (the page has one thread); connecting and the media then
   * go on in the browser's own threads. Meanwhile signaling events wait (Signaling.hold()) and are
   * delivered once the screen's listeners are in place, except what the connections need at once: signals
   * and ICE servers go to the transport, and a participant who joins meanwhile gets its link (its offer
   * may come before the screen). Resolves once the screen is in the page.
   * @private @param {Session} w @returns {Promise<void>}
   */
  async enter(w) {
    this.phase = 'in-call';
    this.limits = w.limits;
    this.model.welcome(w);
    this.model.setConnection(this.signaling.state);
    setTitle(`${this.room} · ruang`);
    // a viewer (by invitation) sends nothing: release the devices before any connection exists
    if (this.model.role === 'viewer') this.media.stopAll();

    // --- the transport first: the offers to everyone already here go out before the screen is built
    const transport = createTransport({
      signaling: this.signaling,
      iceServers: w.ice_servers,
      icePolicy: w.ice_transport_policy,
      localTracks: () => ({ audio: this.media.audioTrack, video: this.media.videoTrack, screen: this.media.sharedTrack }),
      sending: this.model.role !== 'viewer',
      warm: this.warm,
      mode: w.media_mode,
      sfu: w.sfu,
    });
    this.warm = null;
    this.transport = transport;
    transport.setSendBudget({ peers: w.peers.length, screen: this.media.sharing }); // (before the connections exist: set as they are made)
    transport.addEventListener('track', (e) => {
      const { peer } = /** @type {CustomEvent} */ (e).detail;
      this.ui?.tiles.get(peer.id)?.setStream(peer.stream);
      this.ui?.tiles.setScreenStream(peer.id, peer.screenStream);
    });
    transport.addEventListener('channel', (e) => {
      const { peer, channel } = /** @type {CustomEvent} */ (e).detail;
      this.files.attach(peer.id, channel, peer.pc);
    });
    transport.addEventListener('state', (e) => {
      const { peer, state } = /** @type {CustomEvent} */ (e).detail;
      this.setConnection(peer.id, state);
      if (state === 'connected') applyBudget(this);
    });
    // a link rebuilt after `reset` (either side): new stream and stats source, same tile
    transport.addEventListener('peer_replaced', (e) => {
      const { peer } = /** @type {CustomEvent} */ (e).detail;
      this.ui?.tiles.get(peer.id)?.setStream(peer.stream);
      this.ui?.tiles.setScreenStream(peer.id, peer.screenStream);
      this.probes.set(peer.id, new QualityProbe(peer.pc));
      this.setConnection(peer.id, 'new');
    });

    /** @type {Map<string, RemotePeer>} */
    const offering = new Map(w.peers.map((p) => [p.id, transport.addPeer(p.id, false)]));

    this.signaling.hold((type, d) => {
      if (type === 'signal') { transport.handleSignal(d.from, d.data); return true; }
      if (type === 'ice_servers') { transport.updateIce(d.iceServers, d.policy); return true; }
      if (type === 'peer_joined' && !transport.peers.has(d.peer.id)) this.early.set(d.peer.id, transport.addPeer(d.peer.id, true));
      return false; // (delivered after the screen is built)
    });
    try {
      const answers = Promise.all([...offering.values()].map((p) => p.answered));
      await Promise.race([answers, new Promise((resolve) => setTimeout(resolve, ANSWERS_WAIT_MS))]);
      if (this.phase === 'in-call') await this.build(w);
    } finally {
      this.signaling.release();
    }
  }

  /**
   * The call screen, its listeners and the tiles of the participants in the welcome. Built in tasks of
   * their own, the page's thread free in between: with several people joining at once, offers, answers
   * and candidates of the other connections arrive meanwhile, and each waits for the task before it (the
   * whole build took 200-300 ms of a loaded machine, holding answers that long; docs/benchmarks.md).
   * The screen's parts are only made in the first task; the call takes them, and follows the model and
   * the media, in the second, which brings everything up to date (media that started meanwhile included).
   * @private @param {Session} w
   */
  async build(w) {
    await nextTask();
    if (this.phase !== 'in-call') return;
    const ui = buildScreen(this, w);
    await nextTask();
    if (this.phase !== 'in-call') return;
    const transport = /** @type {MediaTransport} */ (this.transport);
    this.ui = ui;
    // --- the views follow the model from now on (tiles, the participant list, the lobby notice, toasts)
    renderRoom(this);
    wireLayout(this);
    // --- tiles, before the screen is in the page (no layout until it is: the grid's ResizeObserver lays it out)
    const local = ui.tiles.add({ id: this.you, name: this.name, local: true, media: this.media.state });
    updateLocal(this);
    local.el.dataset.connection = 'connected';
    this.building = true; // (the bitrate ceiling is set once, for all of them; existing links are used)
    for (const peer of w.peers) this.model.add(peer, false);
    this.building = false;
    applyBudget(this);
    this.root.replaceChildren(ui.el);
    ui.recording.setRecorder(w.recording);

    // --- files
    this.files.addEventListener('incoming', (e) => showTransfer(this, /** @type {CustomEvent} */ (e).detail, true));
    this.files.addEventListener('update', (e) => {
      const t = /** @type {CustomEvent} */ (e).detail;
      const card = this.cards.get(t.id);
      if (card) card.update();
      else showTransfer(this, t, false);
    });

    // --- signaling events: the room's to the model, the media's to the transport, the session's here
    const on = (/** @type {string} */ type, /** @type {(d: any) => void} */ fn) => {
      const l = (/** @type {Event} */ e) => fn(/** @type {CustomEvent} */ (e).detail);
      this.signaling.addEventListener(type, l);
      this.cleanups.push(() => this.signaling.removeEventListener(type, l));
    };
    for (const type of ['peer_joined', 'peer_left', 'peer_reconnecting', 'peer_reconnected', 'media', 'role', 'hand',
      'room_state', 'lobby', 'lobby_joined', 'lobby_left', 'chat', 'state', 'media_mode', 'speaker']) on(type, (d) => this.model.handle(type, d));
    on('signal', ({ from, data }) => transport.handleSignal(from, data));
    on('recording', ({ id }) => this.ui?.recording.setRecorder(id));
    on('reaction', ({ id, emoji }) => showReaction({
      tile: this.ui?.tiles.get(id)?.el, emoji, announcer: this.ui?.announcer ?? null,
      who: id === this.you ? L('you') : this.model.people.get(id)?.name ?? L('someone'),
    }));
    on('ice_servers', ({ iceServers, policy }) => transport.updateIce(iceServers, policy));
    on('muted', ({ by }) => void onMuted(this, by));
    on('waiting', () => {
      // joining afresh after a lost session, into a room whose lobby is on
      this.showBanner(L('call.waiting_again'), { reload: false });
    });
    on('server_error', ({ code, message, req }) => onServerError(this, code, message, req));
    on('resumed', ({ welcome, replay }) => this.onResumed(welcome, replay));
    on('rejoined', ({ welcome }) => this.onRejoined(welcome));
    on('failed', ({ code, message }) => {
      const out = OUT_CODES.has(code) ? refusalOutcome(code) : null;
      if (out) { this.teardown(); this.onLeft(out); return; } // a way out: say why on the left screen
      this.showBanner(L('call.failed', { code, message }));
    });
    on('removed', ({ reason, by }) => {
      // nothing to resume: close every connection and say why
      const who = by ? this.model.people.get(by)?.name ?? null : null;
      const outcome = removedOutcome(reason, who, by === this.you);
      this.teardown();
      this.onLeft(outcome);
    });

    for (const m of w.chat_history) this.model.addChat(m, { history: true });

    // --- local media changes → senders + server
    const onMedia = (/** @type {Event} */ e) => void onLocalMedia(this, /** @type {CustomEvent} */ (e).detail.kind);
    this.media.addEventListener('change', onMedia);
    this.cleanups.push(() => this.media.removeEventListener('change', onMedia));

    // --- keyboard, autoplay, unload
    const onKeyDown = (/** @type {KeyboardEvent} */ e) => onKey(this, e);
    document.addEventListener('keydown', onKeyDown);
    this.cleanups.push(() => document.removeEventListener('keydown', onKeyDown));
    ui.grid.addEventListener('autoplay-blocked', () => showAutoplayBanner(this));
    // Closing the tab: say goodbye to the server and close the connections (the others' data channels
    // close at once, which matters when the server is gone).
    const onHide = () => {
      if (this.phase === 'in-call') this.signaling.leave(); // (only closes the socket while reconnecting)
      if (this.phase !== 'left') this.transport?.close();
    };
    window.addEventListener('pagehide', onHide);
    this.cleanups.push(() => window.removeEventListener('pagehide', onHide));

    this.qualityTimer = setInterval(() => void sampleQuality(this), QUALITY_MS);
    updateCount(this);
    updateControls(this);
    refreshPeople(this);
    const role = this.model.role;
    if (role === 'viewer') toast(L('call.joined_viewer'), { ms: 6000 });
    else if (role !== 'participant' && w.peers.length) toast(L(role === 'host' ? 'call.joined_host' : 'call.joined_moderator'));
    // devices may have finished starting while we joined: make senders, tile and server agree now
    void onLocalMedia(this, 'audio');
    void onLocalMedia(this, 'video');
    void onLocalMedia(this, 'screen');
  }

  /**
   * Resumed: the same participant again. After `replay: "reset"` (a restarted server, or too much missed)
   * the model is reconciled with the room as it is now (protocol.md, `resumed`).
   * @private @param {Session} w @param {import('../signaling.js').Replay} replay
   */
  onResumed(w, replay) {
    this.transport?.updateIce(w.ice_servers, w.ice_transport_policy);
    // the server may not know our hand any more (a restart forgets it): tell it again
    if (replay === 'reset' && this.model.hand) this.signaling.hand(true);
    this.model.resumed(w, replay);
    this.ui?.recording.setRecorder(w.recording);
    if (replay === 'reset') this.ui?.recording.remind(); // (and that we record)
  }

  /**
   * The server refused our resume, so we joined afresh as a new participant: rebuild the call from the
   * new welcome (new id, new connections).
   * @private @param {Session} w
   */
  onRejoined(w) {
    const before = this.you;
    this.transport?.renew(); // (the SFU knew our old participant only)
    this.model.rejoined(w); // (everyone we knew goes, quietly; new id, role, room state and media mode)
    this.ui?.recording.setRecorder(w.recording); // (a recording of ours is saved: we are someone new)
    this.limits = w.limits;
    const ui = this.ui;
    if (ui) {
      ui.tiles.remove(before);
      ui.banner.hidden = true; // (it said we were waiting to be let back in)
      ui.tiles.add({ id: this.you, name: this.name, local: true, media: this.media.state }).el.dataset.connection = 'connected';
    }
    updateLocal(this);
    this.transport?.updateIce(w.ice_servers, w.ice_transport_policy);
    for (const peer of w.peers) this.model.add(peer, false);
    for (const m of w.chat_history) this.model.addChat(m, { history: true });
    updateControls(this);
    refreshPeople(this);
    toast(L('call.rejoined'), { ms: 8000 });
  }

  /** @param {string | import('../i18n.js').Label} text @param {{ reload?: boolean }} [opts] */
  showBanner(text, { reload = true } = {}) {
    const banner = this.ui?.banner;
    if (!banner) return;
    banner.hidden = false;
    banner.replaceChildren(h('span', { text }),
      ...(reload ? [h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, L('call.reload'))] : []));
  }

  /** @param {string} id @param {string} state the media connection state towards them */
  setConnection(id, state) {
    const person = this.model.people.get(id);
    if (person) person.connection = state;
    const tile = this.ui?.tiles.get(id);
    if (tile) tile.el.dataset.connection = state;
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
    this.model.close();
    for (const c of this.cleanups) c();
    this.cleanups = [];
    for (const id of this.model.people.keys()) this.files.detach(id);
    for (const t of this.files.transfers.values()) if (t.url) URL.revokeObjectURL(t.url);
    this.transport?.close();
    this.warm?.close(); // (made ahead, never used: the join did not get through)
    this.warm = null;
    this.ui?.tiles.destroy();
    this.ui?.reactions.destroy();
    this.ui?.recording.destroy();
    this.ui?.help.remove();
    this.ui?.settings.el.remove();
    // a confirmation still open (ban, end) answers no and goes away with the call
    for (const d of document.querySelectorAll('dialog[open]')) /** @type {HTMLDialogElement} */ (d).close();
    this.media.stopAll();
    this.signaling.close();
  }

  /** Read-only snapshot for tests and debugging. */
  snapshot() {
    const m = this.model;
    return {
      phase: this.phase,
      room: this.room,
      you: m.you,
      name: this.name,
      media: this.media.state,
      chatOpen: this.chatOpen,
      peopleOpen: this.peopleOpen,
      /** our role: host, moderator, participant or viewer */
      role: m.role,
      hand: m.hand,
      locked: m.locked,
      lobby: m.lobbyOn,
      /** who waits in the lobby (known to hosts and moderators) */
      waiting: m.waiting.map((w) => ({ ...w })),
      peers: [...m.people.values()].map((p) => ({ ...p, media: { ...p.media } })),
      /** our connection to the server: state ('connected', 'reconnecting', …), resumes, rejoins, … */
      server: this.signaling.info(),
      /** media connections created so far in this call (a resume creates none) */
      pcCreated: this.transport?.created ?? 0,
      /** the room's media mode ('mesh' or 'sfu'), its SFU's id, the SFU's active speaker */
      mediaMode: m.mediaMode,
      sfu: m.sfu,
      speaker: m.speaker,
      /** what the media transport is doing: mode, switching, the last switch's times, links by kind */
      transport: this.transport?.info() ?? null,
      transfers: [...this.files.transfers.values()].map((t) => ({
        id: t.id, peerId: t.peerId, direction: t.direction, name: t.name, size: t.size, state: t.state,
        bytes: t.bytes, sha256: t.sha256, error: t.error, url: t.url, startedAt: t.startedAt, finishedAt: t.finishedAt,
      })),
    };
  }
}
