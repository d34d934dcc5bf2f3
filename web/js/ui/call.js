// call.js — the in-call screen and its controller. Wires the pieces together:
//   Signaling (server messages) → Mesh (peer connections) → TileGrid (video) ;
//   LocalMedia changes → replaceTrack on every peer + `media` message ; chat ↔ ChatPanel ;
//   FileTransfers ↔ transfer cards ; getStats() → quality hints ; keyboard shortcuts ; banners & toasts.
// Exposes a read-only snapshot for the test hook (see app.js).

import { h } from './dom.js';
import { icon } from './icons.js';
import { toast } from './toast.js';
import { TileGrid } from './tiles.js';
import { ChatPanel } from './chat.js';
import { ControlBar } from './controls.js';
import { TransferCard } from './transfers.js';
import { helpDialog, settingsDialog } from './dialogs.js';
import { copyInvite } from './prejoin.js';
import { Signaling, socketUrl } from '../signaling.js';
import { Mesh } from '../mesh.js';
import { FileTransfers } from '../files.js';
import { QualityProbe } from '../quality.js';
import { describeMediaError } from '../media.js';

/** @typedef {import('../signaling.js').MediaState} MediaState */
/** @typedef {import('../signaling.js').PeerInfo} PeerInfo */
/** @typedef {import('../signaling.js').Welcome} Welcome */
/** @typedef {import('../media.js').LocalMedia} LocalMedia */
/** @typedef {{ id: string, name: string, media: MediaState, polite: boolean, quality: string, connection: string }} Person */

const QUALITY_MS = 2000;
/** Without signaling, a peer connection interrupted this long counts as the participant gone. */
const ORPHAN_MS = 4000;

/** Video bitrate ceiling for a mesh of n remote peers: every peer costs us one upload. */
function videoBitrate(/** @type {number} */ n, /** @type {boolean} */ screen) {
  if (screen) return n <= 2 ? 2_000_000 : 1_200_000;
  if (n <= 1) return 1_500_000;
  if (n <= 3) return 900_000;
  return 500_000;
}

export class Call {
  /**
   * @param {{ root: HTMLElement, room: string, name: string, media: LocalMedia,
   *   onLeft: (why: 'left' | 'kicked') => void }} opts
   */
  constructor({ root, room, name, media, onLeft }) {
    this.root = root;
    this.room = room;
    this.name = name;
    this.media = media;
    this.onLeft = onLeft;
    /** @type {'joining' | 'in-call' | 'disconnected' | 'left'} */ this.phase = 'joining';
    this.you = '';
    /** @type {Map<string, Person>} */ this.people = new Map();
    this.signaling = new Signaling(socketUrl());
    /** @type {Mesh | null} */ this.mesh = null;
    this.files = new FileTransfers();
    /** @type {Map<string, TransferCard>} */ this.cards = new Map();
    /** @type {Map<string, QualityProbe>} */ this.probes = new Map();
    /** @type {string} */ this.lastMediaSent = '';
    /** @type {(() => void)[]} */ this.cleanups = [];
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.qualityTimer = undefined;
    this.chatOpen = false;
  }

  /**
   * Connect and join; resolves once in the call. Rejects (ServerError / Error) when the join is refused.
   * @returns {Promise<void>}
   */
  async start() {
    const sig = this.signaling;
    await sig.connect();
    const welcome = await sig.join({ room: this.room, name: this.name, media: this.media.state });
    this.lastMediaSent = JSON.stringify(this.media.state);
    this.enter(welcome);
  }

  /** Build the screen and the mesh from the welcome. @private @param {Welcome} w */
  enter(w) {
    this.you = w.you;
    this.phase = 'in-call';
    this.limits = w.limits;
    document.title = `${this.room} · ruang`;

    // --- layout
    this.grid = h('section', { class: 'grid', id: 'grid', 'aria-label': 'Participants' });
    this.tiles = new TileGrid(this.grid);
    this.countEl = h('span', { class: 'count', 'aria-live': 'polite' });
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    this.chat = new ChatPanel({
      you: () => this.you,
      onSend: (text) => this.signaling.chat(text),
      onFiles: (files) => this.shareFiles(files),
      onUnread: (n) => this.controls?.setUnread(n),
      onClose: () => this.setChat(false),
      maxBytes: w.limits.max_chat_bytes || 4096,
      canShareFiles: () => [...this.people.keys()].some((id) => this.files.canSendTo(id)),
    });
    this.controls = new ControlBar({
      mic: () => this.toggleMic(),
      camera: () => this.toggleCamera(),
      screen: () => this.toggleScreen(),
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
    this.root.replaceChildren(h('div', { class: 'call', id: 'call' },
      header, this.banner,
      h('div', { class: 'stage' }, this.grid, this.chat.el),
      this.controls.el));

    // --- local tile
    const local = this.tiles.add({ id: this.you, name: this.name, local: true, media: this.media.state });
    this.updateLocal();
    local.el.dataset.connection = 'connected';

    // --- mesh
    const mesh = new Mesh({
      signaling: this.signaling,
      iceServers: w.ice_servers,
      icePolicy: w.ice_transport_policy,
      localTracks: () => ({ audio: this.media.audioTrack, video: this.media.videoTrack }),
    });
    this.mesh = mesh;
    mesh.addEventListener('track', (e) => {
      const { peer } = /** @type {CustomEvent} */ (e).detail;
      this.tiles?.get(peer.id)?.setStream(peer.stream);
    });
    mesh.addEventListener('channel', (e) => {
      const { peer, channel } = /** @type {CustomEvent} */ (e).detail;
      this.files.attach(peer.id, channel, peer.pc);
      channel.addEventListener('close', () => {
        if (this.phase === 'disconnected' && this.mesh?.peers.get(peer.id) === peer) this.removePerson(peer.id, 'disconnected');
      });
    });
    mesh.addEventListener('state', (e) => {
      const { peer, state } = /** @type {CustomEvent} */ (e).detail;
      const person = this.people.get(peer.id);
      if (person) person.connection = state;
      const tile = this.tiles?.get(peer.id);
      if (tile) tile.el.dataset.connection = state;
      if (state === 'connected') this.applyBitrates();
      // Without the server nobody tells us about leavers (and ICE cannot be restarted): a connection that
      // dies, or stays interrupted for a few seconds, is taken as the participant gone.
      if (this.phase === 'disconnected') {
        if (state === 'failed' || state === 'closed') this.removePerson(peer.id, 'disconnected');
        else if (state === 'disconnected') {
          setTimeout(() => {
            if (this.mesh?.peers.get(peer.id) === peer && peer.pc.connectionState === 'disconnected') this.removePerson(peer.id, 'disconnected');
          }, ORPHAN_MS);
        }
      }
    });

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
    on('peer_joined', ({ peer }) => { this.addPerson(peer, true); toast(`${peer.name} joined`); });
    on('peer_left', ({ id, reason }) => {
      // `shutdown` means the server is going away, not the participant: the peer-to-peer call goes on
      // (protocol: media already flowing is not affected); a real departure is noticed from the connection.
      if (reason === 'shutdown') return;
      this.removePerson(id, reason);
    });
    on('signal', ({ from, data }) => mesh.handleSignal(from, data));
    on('ice_servers', ({ iceServers, policy }) => mesh.updateIce(iceServers, policy));
    on('media', ({ id, media }) => {
      const p = this.people.get(id);
      if (!p) return;
      p.media = media;
      this.tiles?.setMedia(id, media);
    });
    on('chat', ({ message }) => this.chat?.addMessage(message));
    on('server_error', ({ code, message }) => this.onServerError(code, message));
    on('shutdown', () => this.showBanner('The server is stopping. Calls already running continue until someone leaves; reload to reconnect later.'));
    on('close', ({ expected }) => { if (!expected && this.phase === 'in-call') this.onSocketLost(); });

    for (const peer of w.peers) this.addPerson(peer, false);
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
      if (this.phase === 'in-call') this.signaling.leave();
      if (this.phase !== 'left') this.mesh?.close();
    };
    window.addEventListener('pagehide', onHide);
    this.cleanups.push(() => window.removeEventListener('pagehide', onHide));

    this.qualityTimer = setInterval(() => void this.sampleQuality(), QUALITY_MS);
    this.updateCount();
    // devices may have finished starting while we joined: make senders, tile and server agree now
    void this.onLocalMedia('audio');
    void this.onLocalMedia('video');
  }

  // ---------------------------------------------------------------- participants

  /** @private @param {PeerInfo} info @param {boolean} polite */
  addPerson(info, polite) {
    if (!this.mesh || !this.tiles) return;
    /** @type {Person} */
    const person = { id: info.id, name: info.name, media: info.media, polite, quality: 'unknown', connection: 'new' };
    this.people.set(info.id, person);
    const tile = this.tiles.add({ id: info.id, name: info.name, local: false, media: info.media });
    tile.el.dataset.connection = 'new';
    const peer = this.mesh.addPeer(info.id, polite);
    tile.setStream(peer.stream);
    this.probes.set(info.id, new QualityProbe(peer.pc));
    this.updateCount();
    this.applyBitrates();
  }

  /** @private @param {string} id @param {string} reason */
  removePerson(id, reason) {
    const p = this.people.get(id);
    if (!p) return;
    this.people.delete(id);
    this.probes.delete(id);
    this.files.detach(id);
    this.mesh?.removePeer(id);
    this.tiles?.remove(id);
    this.updateCount();
    this.applyBitrates();
    const why = { left: 'left', disconnected: 'disconnected', timeout: 'lost connection', slow: 'was disconnected (connection too slow)', kicked: 'was removed', shutdown: 'left (server stopping)' };
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
    });
  }

  async toggleMic() {
    try { await this.media.setMicEnabled(!this.media.micOn); } catch (e) { toast(describeMediaError(e, 'microphone'), { kind: 'error' }); }
    this.updateControls();
  }

  async toggleCamera() {
    const want = !(this.media.cameraOn || (this.media.sharing && this.media.cameraBeforeShare));
    try { await this.media.setCameraEnabled(want); } catch (e) { toast(describeMediaError(e, 'camera'), { kind: 'error' }); }
    if (this.media.sharing) toast(want ? 'Your camera comes back when you stop sharing' : 'Camera stays off after sharing');
    this.updateControls();
  }

  async toggleScreen() {
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
    if (!this.mesh) return;
    const max = videoBitrate(this.people.size, this.media.sharing);
    for (const peer of this.mesh.peers.values()) {
      const sender = peer.video?.sender;
      if (!sender || !peer.ready) continue;
      const params = sender.getParameters();
      if (!params.encodings || params.encodings.length === 0) continue;
      if (params.encodings[0].maxBitrate === max) continue;
      params.encodings[0].maxBitrate = max;
      sender.setParameters(params).catch(() => { /* not negotiated yet: retried on the next change */ });
    }
  }

  // ---------------------------------------------------------------- chat & files

  /** @param {boolean} open */
  setChat(open) {
    this.chatOpen = open;
    this.chat?.setOpen(open);
    this.root.querySelector('.call')?.classList.toggle('chat-open', open);
    this.updateControls();
    if (!open) this.controls?.chat.focus();
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
      case 'd': case 'D': void this.settings?.open(); break;
      case '?': this.help?.showModal(); break;
      case 'Escape': if (this.chatOpen) this.setChat(false); else return; break;
      default: return;
    }
    e.preventDefault();
  }

  // ---------------------------------------------------------------- server trouble

  /** @private @param {string} code @param {string} message */
  onServerError(code, message) {
    switch (code) {
      case 'unknown_peer': return; // a race with peer_left; harmless
      case 'rate_limited': toast('You are sending too fast; a message was dropped.', { kind: 'error' }); return;
      case 'field_too_large': toast('That message was too long for the server.', { kind: 'error' }); return;
      default:
        console.warn('ruang: server error', code, message);
        toast(`Server: ${message}`, { kind: 'error' });
    }
  }

  /** @private */
  onSocketLost() {
    this.phase = 'disconnected';
    this.showBanner('Connection to the server was lost. Calls already running may continue, but chat and new participants need a reload.');
    if (this.chat) {
      this.chat.input.disabled = true;
      this.chat.input.placeholder = 'Chat is unavailable while disconnected';
    }
  }

  /** @private @param {string} text */
  showBanner(text) {
    if (!this.banner) return;
    this.banner.hidden = false;
    this.banner.replaceChildren(h('span', { text }),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, 'Reload'));
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
    if (this.signaling.open) this.signaling.leave();
    this.teardown();
    this.onLeft('left');
  }

  /** Release everything (connections, devices, listeners) without telling the server. */
  teardown() {
    this.phase = 'left';
    clearInterval(this.qualityTimer);
    for (const c of this.cleanups) c();
    this.cleanups = [];
    for (const id of this.people.keys()) this.files.detach(id);
    for (const t of this.files.transfers.values()) if (t.url) URL.revokeObjectURL(t.url);
    this.mesh?.close();
    this.tiles?.destroy();
    this.help?.remove();
    this.settings?.el.remove();
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
      peers: [...this.people.values()].map((p) => ({ ...p, media: { ...p.media } })),
      transfers: [...this.files.transfers.values()].map((t) => ({
        id: t.id, peerId: t.peerId, direction: t.direction, name: t.name, size: t.size, state: t.state,
        bytes: t.bytes, sha256: t.sha256, error: t.error, url: t.url,
      })),
    };
  }
}
