// media-switch.js — the call's media transport that follows the room's media mode (docs/protocol.md,
// "Media modes: mesh and SFU"): the mesh (mesh.js) in a mesh room, the SFU connection (sfu.js) in an SFU
// room, and the move between them, make before break. It implements MediaTransport (transport.js), so the
// call neither knows nor cares which one carries a participant's media.
//
// The switch: on `sfu` the SFU connection is made beside the mesh; each participant's tile moves to the
// SFU's stream once that participant's media decodes through the SFU (or at once when the mesh brought
// nothing from them); once all have moved (after HANDOVER_MS at the latest) the mesh closes. Back to
// `mesh`, the reverse: the mesh is negotiated again as after a welcome (the participant who came later
// offers), each tile moves as its mesh media decodes, and the SFU connection closes when all have moved.
// Signals from an SFU id that is no longer current are ignored. A new SFU id (a server restart) means a new
// connection to it; a signaling resume changes nothing.
//
// Files in an SFU room: a peer-to-peer connection with only the files channel (a Mesh with media off),
// opened when a file is first sent to that participant (openFiles), accepted when the other side opens it
// (its offer carries no audio or video). Participants' signals go to it once it exists; before, to the
// mesh (still up during the switch).
// The tile heights the UI reports go out as `tiles` (tile-report.js) while in SFU mode.

import { Mesh } from './mesh.js';
import { SfuTransport, sdpHasMedia } from './sfu.js';
import { TileReport } from './tile-report.js';

/** @typedef {import('./transport.js').TransportOptions} TransportOptions */
/** @typedef {import('./transport.js').RemotePeer} RemotePeer */
/** @typedef {import('./sfu.js').SfuSignaling} SfuSignaling */
/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {import('./wire.js').MediaMode} MediaMode */
/** @typedef {'mesh' | 'sfu'} Side */

/** The old transport is closed at the latest this long after a switch starts (protocol: at most 10 s). */
export const HANDOVER_MS = 10_000;
/** How often the new transport's media is looked at during a switch. */
const HANDOVER_POLL_MS = 200;

/**
 * The inbound media counters of a stats source: video frames decoded, audio packets received.
 * @param {RTCPeerConnection | undefined} pc @returns {Promise<{ frames: number, audio: number }>}
 */
async function inbound(pc) {
  const out = { frames: 0, audio: 0 };
  if (!pc) return out;
  try {
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') out.frames += s.framesDecoded ?? 0;
      else out.audio += s.packetsReceived ?? 0;
    });
  } catch { /* closed meanwhile */ }
  return out;
}

/** @param {{ made: number, up: number, media: Record<string, number> }} t */
function sfuTimes(t) {
  const since = (/** @type {number} */ at) => (at ? Math.round(at - t.made) : null);
  return { up: since(t.up), media: Object.fromEntries(Object.entries(t.media).map(([id, at]) => [id, since(at)])) };
}

export class MediaSwitch extends EventTarget {
  /**
   * @param {TransportOptions & { signaling: SfuSignaling, mode: MediaMode, sfu: string | null }} opts
   *   mode / sfu: the room's media mode and media server from the welcome
   */
  constructor(opts) {
    super();
    /** @private */ this.opts = opts;
    this.signaling = opts.signaling;
    this.iceServers = opts.iceServers;
    this.icePolicy = opts.icePolicy;
    this.sending = opts.sending ?? true;
    /** @type {MediaMode} */ this.mode = 'mesh';
    /** @type {string | null} the current SFU id */ this.sfuId = null;
    /** @private @type {Set<string>} SFU ids of earlier SFU periods (their signals are ignored) */ this.pastSfus = new Set();
    /** @private @type {Map<string, boolean>} everyone in the room, with `polite` (they came after us) */ this.people = new Map();
    /** @type {Mesh | null} the media mesh */ this.mesh = null;
    /** @type {SfuTransport | null} */ this.sfu = null;
    /** @type {Mesh | null} files-only connections (SFU mode) */ this.files = null;
    /** @private @type {Map<string, Side>} which transport's stream each participant's tile shows */ this.shown = new Map();
    /** @private @type {{ to: Side, poll: ReturnType<typeof setInterval>, deadline: ReturnType<typeof setTimeout>, last: Map<string, number>, checking: boolean } | null} */
    this.handover = null;
    /** @private connections made by transports closed since */ this.createdBefore = 0;
    /** @private @type {{ peers: number, screen: boolean }} */ this.budget = { peers: 0, screen: false };
    /** when the last switch started and ended (performance.now(), for tests and logs) */ this.lastSwitch = { to: /** @type {Side | null} */ (null), startedAt: 0, endedAt: 0 };
    /** @private */ this.tileReport = new TileReport({ send: (tiles) => { if (this.mode === 'sfu' && this.sfu?.up) this.signaling.tiles(tiles); } });
    if (opts.mode === 'sfu' && opts.sfu) {
      opts.warm?.close(); // (made for the mesh: no simulcast)
      this.mode = 'sfu';
      this.sfuId = opts.sfu;
      this.startSfu(opts.sfu);
    } else {
      this.mesh = this.makeMesh(opts.warm ?? null);
    }
  }

  /** @type {ReadonlyMap<string, RemotePeer>} each participant's link as its tile shows it */
  get peers() {
    /** @type {Map<string, RemotePeer>} */
    const out = new Map();
    for (const id of this.people.keys()) {
      const p = this.peerOf(id);
      if (p) out.set(id, p);
    }
    return out;
  }

  /** connections made so far (mesh, SFU and files) */
  get created() {
    return this.createdBefore + (this.mesh?.created ?? 0) + (this.sfu?.created ?? 0) + (this.files?.created ?? 0);
  }

  /** What the transport is doing (test hook and debugging). */
  info() {
    return {
      mode: this.mode, sfu: this.sfuId, switching: !!this.handover, lastSwitch: { ...this.lastSwitch },
      links: { mesh: this.mesh?.peers.size ?? 0, sfu: this.sfu?.pc ? 1 : 0, files: this.files?.peers.size ?? 0 },
      sfuState: this.sfu?.pc?.connectionState ?? null,
      /** the SFU connection's set-up: ms from making it to up, and to each participant's first decoded media */
      sfuTimes: this.sfu ? sfuTimes(this.sfu.times) : null,
    };
  }

  /** @param {string} id @param {boolean} polite @returns {RemotePeer} */
  addPeer(id, polite) {
    this.people.set(id, polite);
    this.files?.removePeer(id);
    if (this.mode === 'sfu') {
      this.shown.set(id, 'sfu');
      /** @type {SfuTransport} */ (this.sfu).addPeer(id);
    } else {
      this.shown.set(id, 'mesh');
      /** @type {Mesh} */ (this.mesh).addPeer(id, polite);
      this.sfu?.addPeer(id); // (a switch back to mesh is under way: the SFU may still carry them a moment)
    }
    const peer = /** @type {RemotePeer} */ (this.peerOf(id));
    this.emit('peer_added', { peer });
    return peer;
  }

  /** @param {string} id */
  removePeer(id) {
    if (!this.people.delete(id)) return;
    this.shown.delete(id);
    this.mesh?.removePeer(id);
    this.sfu?.removePeer(id);
    this.files?.removePeer(id);
    this.emit('peer_removed', { id });
  }

  /** @param {string} from @param {SignalData} data */
  handleSignal(from, data) {
    if (from === this.sfuId) { this.sfu?.handleSignal(data); return; }
    if (this.pastSfus.has(from)) return; // an SFU period that is over
    if (this.mode === 'mesh') { this.mesh?.handleSignal(from, data); return; }
    // SFU mode: participants signal each other for files-only connections (and, during the switch, the mesh)
    const files = /** @type {Mesh} */ (this.files);
    if (!files.peers.has(from) && data.kind === 'offer' && !sdpHasMedia(data.sdp) && this.people.has(from)) {
      // they left the mesh with us already (they opened this one): our mesh link to them is over too
      if (this.mesh?.peers.has(from)) this.showOn(from, 'sfu');
      files.addPeer(from, /** @type {boolean} */ (this.people.get(from)), true);
    }
    if (files.peers.has(from)) files.handleSignal(from, data);
    else this.mesh?.handleSignal(from, data);
  }

  /**
   * A link to send files to `id` on (SFU rooms: a files-only connection, opened now; it says `channel`).
   * @param {string} id
   */
  openFiles(id) {
    if (this.mode !== 'sfu' || !this.files || !this.people.has(id) || this.files.peers.has(id)) return;
    if (this.mesh?.peers.get(id)?.channel?.readyState === 'open') return; // (the mesh's, until the switch ends)
    this.files.addPeer(id, /** @type {boolean} */ (this.people.get(id)), false);
  }

  /**
   * The room's media mode changed (or its SFU: a new period, e.g. after a server restart).
   * @param {MediaMode} mode @param {string | null} sfu
   */
  setMode(mode, sfu) {
    if (mode === 'sfu' && sfu) {
      if (this.mode === 'sfu' && sfu === this.sfuId) return;
      if (this.sfuId) this.pastSfus.add(this.sfuId);
      const wasSfu = this.mode === 'sfu';
      this.mode = 'sfu';
      this.sfuId = sfu;
      this.files ??= this.makeFiles();
      if (wasSfu && this.sfu) {
        // the same mode with a new media server (the old one is gone): a new connection to it
        this.sfu.sfu = sfu;
        this.tileReport.forget();
        this.sfu.connect({ told: true });
        return;
      }
      if (this.sfu) { this.sfu.sfu = sfu; this.sfu.connect({ told: true }); } else this.startSfu(sfu);
      this.startHandover('sfu');
      return;
    }
    if (mode !== 'mesh' || this.mode === 'mesh') return;
    if (this.sfuId) this.pastSfus.add(this.sfuId);
    this.mode = 'mesh';
    this.sfuId = null;
    if (this.files) { this.createdBefore += this.files.created; this.files.close(); this.files = null; }
    // negotiated again as after a welcome: who came later offers
    this.mesh ??= this.makeMesh(null);
    for (const [id, polite] of this.people) if (!this.mesh.peers.has(id)) this.mesh.addPeer(id, polite);
    this.startHandover('mesh');
  }

  /**
   * We are a new participant (the resume was refused and we joined afresh): the SFU forgot our old one,
   * so an SFU connection starts anew.
   */
  renew() {
    if (this.mode === 'sfu' && this.sfu) { this.tileReport.forget(); this.sfu.connect({ told: true }); }
  }

  /**
   * How tall each other participant's tile is now (device pixels, 0 when not shown): reported to the SFU.
   * @param {Map<string, number>} heights
   */
  setTiles(heights) { this.tileReport.update(heights); }

  /** @param {string} id @returns {boolean} */
  heal(id) {
    return this.shown.get(id) === 'mesh' ? !!this.mesh?.heal(id) : false;
  }

  /** @param {IceServer[]} iceServers @param {IcePolicy} policy */
  updateIce(iceServers, policy) {
    this.iceServers = iceServers;
    this.icePolicy = policy;
    for (const t of [this.mesh, this.sfu, this.files]) t?.updateIce(iceServers, policy);
  }

  /** @param {'audio' | 'video' | 'screen'} kind @param {MediaStreamTrack | null} track */
  async setTrack(kind, track) {
    await Promise.all([this.mesh?.setTrack(kind, track), this.sfu?.setTrack(kind, track)]);
  }

  /** @param {boolean} on */
  async setSending(on) {
    this.sending = on;
    await Promise.all([this.mesh?.setSending(on), this.sfu?.setSending(on)]);
  }

  /** @param {{ peers: number, screen: boolean }} budget */
  setSendBudget(budget) {
    this.budget = budget;
    this.mesh?.setSendBudget(budget);
  }

  close() {
    this.endHandover();
    this.tileReport.close();
    this.mesh?.close();
    this.sfu?.close();
    this.files?.close();
  }

  // ---------------------------------------------------------------- internals

  /** @private @param {string} id @returns {RemotePeer | undefined} */
  peerOf(id) {
    const side = this.shown.get(id);
    const mesh = this.mesh?.peers.get(id);
    const sfu = this.sfu?.peers.get(id);
    return side === 'sfu' ? sfu ?? mesh : mesh ?? sfu;
  }

  /** @private @param {RTCPeerConnection | null} warm */
  makeMesh(warm) {
    const o = this.opts;
    const mesh = new Mesh({ signaling: o.signaling, iceServers: this.iceServers, icePolicy: this.icePolicy, localTracks: o.localTracks, sending: this.sending, warm });
    mesh.setSendBudget(this.budget);
    this.forward(mesh, 'mesh');
    return mesh;
  }

  /** @private */
  makeFiles() {
    const o = this.opts;
    const files = new Mesh({ signaling: o.signaling, iceServers: this.iceServers, icePolicy: this.icePolicy, localTracks: o.localTracks, sending: false, media: false });
    files.addEventListener('channel', (e) => this.emit('channel', /** @type {CustomEvent} */ (e).detail));
    return files;
  }

  /** @private @param {string} sfu */
  startSfu(sfu) {
    const o = this.opts;
    const t = new SfuTransport({ signaling: o.signaling, sfu, iceServers: this.iceServers, icePolicy: this.icePolicy, localTracks: o.localTracks, sending: this.sending });
    this.sfu = t;
    t.onUp = () => { this.tileReport.forget(); this.tileReport.flush(); };
    this.forward(t, 'sfu');
    t.addEventListener('media', () => this.checkHandover());
    for (const id of this.people.keys()) t.addPeer(id);
    this.files ??= this.makeFiles();
    t.connect();
  }

  /**
   * Pass a transport's events on for the participants whose tiles it feeds.
   * @private @param {EventTarget} t @param {Side} side
   */
  forward(t, side) {
    for (const type of ['track', 'state', 'peer_replaced']) {
      t.addEventListener(type, (e) => {
        const d = /** @type {CustomEvent} */ (e).detail;
        if (this.shown.get(d.peer.id) === side && (side === 'mesh' ? this.mesh : this.sfu) === t) this.emit(type, d);
      });
    }
    // (the mesh's files channels stay in use until the switch closes them)
    if (side === 'mesh') t.addEventListener('channel', (e) => this.emit('channel', /** @type {CustomEvent} */ (e).detail));
  }

  /** @private @param {Side} to */
  startHandover(to) {
    this.endHandover();
    console.info(`ruang: media moves to ${to === 'sfu' ? 'the SFU' : 'the mesh'}`);
    this.lastSwitch = { to, startedAt: performance.now(), endedAt: 0 };
    this.handover = {
      to,
      poll: setInterval(() => void this.checkHandover(), HANDOVER_POLL_MS),
      deadline: setTimeout(() => this.finishHandover(), HANDOVER_MS),
      last: new Map(),
      checking: false,
    };
  }

  /** Move the tiles whose media decodes on the new side; done when all have moved. @private */
  async checkHandover() {
    const h = this.handover;
    if (!h || h.checking) return;
    h.checking = true;
    try {
      const to = h.to;
      for (const id of [...this.people.keys()]) {
        if (this.shown.get(id) === to || this.handover !== h) continue;
        const next = to === 'sfu' ? this.sfu?.peers.get(id) : this.mesh?.peers.get(id);
        const prev = to === 'sfu' ? this.mesh?.peers.get(id) : this.sfu?.peers.get(id);
        if (!next) continue;
        const [n, p] = await Promise.all([inbound(next.pc), inbound(prev?.pc)]);
        if (this.handover !== h) return;
        // the old side brings no video from them (camera off, or its link is down): audio is enough
        const prevFrames = h.last.get(id);
        h.last.set(id, p.frames);
        const prevVideo = prevFrames === undefined || p.frames > prevFrames;
        if (n.frames > 0 || (n.audio > 0 && !prevVideo) || !prev) this.showOn(id, to);
      }
      if ([...this.people.keys()].every((id) => this.shown.get(id) === to)) this.finishHandover();
    } finally {
      h.checking = false;
    }
  }

  /**
   * Show a participant through `side` from now on. (Their mesh connection stays until every tile has
   * moved: they may still be waiting for our media through the SFU, and closing it would stall theirs.)
   * @private @param {string} id @param {Side} side
   */
  showOn(id, side) {
    this.shown.set(id, side);
    const peer = this.peerOf(id);
    if (peer) {
      this.emit('peer_replaced', { peer });
      this.emit('state', { peer, state: peer.pc.connectionState ?? 'new' });
      if (peer.stream.getTracks().length || peer.screenStream.getTracks().length) this.emit('track', { peer });
    }
  }

  /** Everything moves now; the old side closes. @private */
  finishHandover() {
    const h = this.handover;
    if (!h) return;
    this.endHandover();
    for (const id of this.people.keys()) if (this.shown.get(id) !== h.to) this.showOn(id, h.to);
    if (h.to === 'sfu' && this.mesh) {
      this.createdBefore += this.mesh.created;
      this.mesh.close();
      this.mesh = null;
    } else if (h.to === 'mesh' && this.sfu) {
      this.createdBefore += this.sfu.created;
      this.sfu.close();
      this.sfu = null;
    }
    this.lastSwitch.endedAt = performance.now();
    console.info(`ruang: media moved to ${h.to === 'sfu' ? 'the SFU' : 'the mesh'} in ${Math.round(this.lastSwitch.endedAt - this.lastSwitch.startedAt)} ms`);
  }

  /** @private */
  endHandover() {
    const h = this.handover;
    if (!h) return;
    clearInterval(h.poll);
    clearTimeout(h.deadline);
    this.handover = null;
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
