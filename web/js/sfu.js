// sfu.js — the SFU media transport: ONE RTCPeerConnection to the room's media server (docs/protocol.md,
// "Media modes: mesh and SFU"), carrying our audio and camera (VP8 simulcast, rids l, m, h) up and
// everyone's media down. It implements the MediaTransport interface of transport.js for the media; files
// travel elsewhere (media-switch.js opens peer-to-peer data connections on demand).
//
// Negotiation: we offer first (audio, camera video, and screen video transceivers; `recvonly` for a viewer;
// the screen's `inactive` while we do not share); the SFU answers, then
// offers whenever another participant's track comes or goes, and we answer. We are the impolite side: an SFU
// offer that arrives while ours is out was made before the SFU took ours (the server sends the SFU's offers
// to us only after its answer to us), so taking ours rolled it back and the SFU offers again afterwards: it
// is dropped. So is an offer of an SFU session other than the current connection's (its ICE ufrag differs
// from the SFU's answer's): one made before a `reset`. `reset` from the SFU, a failed connection, or a new
// SFU id (a server restart) → a new connection, offered at once.
// Whose track: a track's msid stream id is its sender's participant id, `<id>-screen` for its screen share
// (sfu-tracks.js keeps the mapping); each participant is a RemotePeer whose streams we build from its tracks, so a participant may be added
// before or after its tracks. Its `pc` is a stats view of that participant's receivers only.
// After the connection is set up we say which layers we send (`layers`), and the UI's tile heights go out
// as `tiles` (tile-report.js). Events: as transport.js says (track, state, peer_added, peer_removed,
// peer_replaced never: the streams survive a new connection), plus `media {id}`: video (or audio) from
// participant `id` decodes through the SFU (media-switch.js hands tiles over on it).
// Why it is a little over 400 lines: the connection's negotiation, its tracks and its set-up (layers, the
// first media) all act on the one current connection and are replaced together with it.

import { TrackOwners } from './sfu-tracks.js';

/** @typedef {import('./transport.js').SignalSender} SignalSender */
/** @typedef {import('./transport.js').LocalTracks} LocalTracks */
/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {import('./wire.js').Layer} Layer */
/**
 * What the SFU transport needs of the signaling beyond `signal`: the SFU-only messages.
 * @typedef {SignalSender & { layers(layers: Layer[]): void, tiles(tiles: import('./wire.js').TileSize[]): void }} SfuSignaling
 */

/** Simulcast layers of the camera, smallest first (protocol: rids listed smallest first). */
export const SIMULCAST = /** @type {const} */ ([
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
]);
/** The SFU names a participant's screen share's stream `<id>-screen` (protocol.md, "Whose track is it"). */
const SCREEN_SUFFIX = '-screen';
/** @param {string} id */
const screenStreamId = (id) => `${id}${SCREEN_SUFFIX}`;
/** A screen share is sent in one layer, sharp (it is meant to be read), at most this fast (bit/s). */
const SCREEN_BITRATE = 1_500_000;

/**
 * A connection `disconnected` this long is taken as lost and made anew (the SFU is ICE-lite: nothing to
 * restart; it gives up on us after 15 s down, or 30 s not up, and says `reset`).
 */
const DISCONNECTED_MS = 10_000;
/** How often the receivers' stats are looked at until each participant's media decodes. */
const MEDIA_POLL_MS = 200;

/**
 * The `layers` we send for a video track of `height` pixels (the short side of a camera): each rid's
 * height and target bitrate.
 * @param {number} height @returns {Layer[]}
 */
export function layersFor(height) {
  return SIMULCAST.map((l) => ({ rid: l.rid, height: Math.max(1, Math.round(height / l.scaleResolutionDownBy)), bitrate: l.maxBitrate }));
}

/**
 * Which of our connections an SFU answer answers: the ICE ufrag of the offer, from the answer's
 * `a=ruang-answers:` line (protocol.md, "A session is one client connection"). '' if none.
 * @param {string} sdp
 */
export function answeredUfrag(sdp) {
  const m = /^a=ruang-answers:(\S+)/m.exec(sdp);
  return m ? m[1] : '';
}

/**
 * The ICE username fragment of an SDP (its first `a=ice-ufrag`), which names one side's ICE session: the
 * SFU's offers on a connection carry the one of its answer to that connection's first offer. '' if none.
 * @param {string} sdp
 */
export function iceUfrag(sdp) {
  const m = /^a=ice-ufrag:(\S+)/m.exec(sdp);
  return m ? m[1] : '';
}

/**
 * Whether an SDP carries audio or video (a data-only connection carries neither).
 * @param {string} sdp
 */
export const sdpHasMedia = (sdp) => /^m=(audio|video) /m.test(sdp);

/** One remote participant as the SFU connection carries it. */
export class SfuPeer {
  /** @param {string} id @param {SfuTransport} transport */
  constructor(id, transport) {
    this.id = id;
    this.polite = false;
    /** their audio and camera video, from the tracks whose msid stream id is their id */
    this.stream = new MediaStream();
    /** their screen share, from the track whose msid stream id is `<their id>-screen` */
    this.screenStream = new MediaStream();
    /** (nothing to wait for: the SFU connection answers for everyone) */
    this.answered = Promise.resolve();
    /** video or audio from them decodes */
    this.flowing = false;
    const t = transport;
    /** a stats view of their receivers on the one connection (what transport.js calls the stats source) */
    this.pc = /** @type {RTCPeerConnection} */ (/** @type {unknown} */ ({
      get connectionState() { return t.pc?.connectionState ?? 'new'; },
      get iceConnectionState() { return t.pc?.iceConnectionState ?? 'new'; },
      sctp: null,
      getStats: () => t.statsOf(this),
      // what we send is on the one connection: its transceivers and senders (debugging, tests)
      getTransceivers: () => t.pc?.getTransceivers() ?? [],
      getSenders: () => t.pc?.getSenders() ?? [],
      getReceivers: () => t.pc?.getReceivers().filter((r) => this.stream.getTracks().includes(r.track)) ?? [],
    }));
  }
}

export class SfuTransport extends EventTarget {
  /**
   * @param {{ signaling: SfuSignaling, sfu: string, iceServers: IceServer[], icePolicy: IcePolicy,
   *   localTracks: () => LocalTracks, sending?: boolean }} opts sfu: the media server's participant id
   */
  constructor({ signaling, sfu, iceServers, icePolicy, localTracks, sending = true }) {
    super();
    this.signaling = signaling;
    this.sfu = sfu;
    this.iceServers = iceServers;
    this.icePolicy = icePolicy;
    this.localTracks = localTracks;
    this.sending = sending;
    /** @type {Map<string, SfuPeer>} */ this.peers = new Map();
    /** connections made so far */ this.created = 0;
    /** @type {RTCPeerConnection | null} */ this.pc = null;
    /** @private @type {RTCRtpTransceiver | null} */ this.audio = null;
    /** @private @type {RTCRtpTransceiver | null} */ this.video = null;
    /** @private @type {RTCRtpTransceiver | null} our screen share's: sending only while we share */ this.screen = null;
    /** @private @type {TrackOwners<MediaStreamTrack>} owners by msid stream id (`<id>`, `<id>-screen`) */ this.owners = new TrackOwners();
    /** @private */ this.makingOffer = false;
    /** @private the SFU's ICE ufrag on this connection, from its first answer ('' before) */ this.sfuUfrag = '';
    /** @private @type {Promise<void>} serialises negotiation on the current connection */ this.queue = Promise.resolve();
    /** @private the layers last sent ('' : none on this connection) */ this.layersSent = '';
    /** @private @type {ReturnType<typeof setTimeout> | undefined} */ this.lostTimer = undefined;
    /** @private @type {ReturnType<typeof setInterval> | undefined} */ this.mediaTimer = undefined;
    this.closed = false;
    /** the current connection has been up (set up: the layers go out) */ this.up = false;
    /** called when a connection is set up (the caller sends `tiles` again) */ this.onUp = () => {};
    /** when the current connection was made, was up, and each participant's media first decoded (performance.now()) */
    this.times = { made: 0, up: 0, media: /** @type {Record<string, number>} */ ({}) };
  }

  /**
   * Open the connection and offer (also: a new one after `reset`, a failure or a new SFU id). Replacing a
   * connection on our own, we say `reset` first so that the SFU closes its side and takes the offer as a
   * new connection (after its own `reset` there is nothing to close; a new SFU knows nothing of us).
   * @param {{ told?: boolean }} [opts] told: the SFU sent `reset` (or is a new one): no `reset` from us
   */
  connect({ told = false } = {}) {
    if (this.closed) return;
    if (this.pc && !told) this.signaling.signal(this.sfu, { kind: 'reset' });
    this.drop();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.icePolicy, bundlePolicy: 'max-bundle' });
    this.created++;
    this.pc = pc;
    this.times = { made: performance.now(), up: 0, media: /** @type {Record<string, number>} */ ({}) };
    this.up = false;
    this.layersSent = '';
    this.queue = Promise.resolve();
    this.makingOffer = false;
    this.sfuUfrag = '';
    const { audio, video, screen } = this.sending ? this.localTracks() : { audio: null, video: null, screen: null };
    const direction = this.sending ? 'sendrecv' : 'recvonly';
    this.audio = pc.addTransceiver(audio ?? 'audio', { direction });
    this.video = pc.addTransceiver(video ?? 'video', { direction, sendEncodings: SIMULCAST.map((l) => ({ ...l })) });
    preferVp8(this.video);
    // The second video m-line is the screen share (protocol.md): one layer, offered sending only while we
    // share, so that the SFU publishes it to the others only then.
    this.screen = pc.addTransceiver(screen ?? 'video', { direction: screen ? 'sendonly' : 'inactive', sendEncodings: [{ maxBitrate: SCREEN_BITRATE }] });
    preferVp8(this.screen);
    pc.addEventListener('track', (e) => this.onTrack(pc, e));
    pc.addEventListener('icecandidate', ({ candidate }) => {
      // the SFU takes no trickled candidates (they are ignored); ours ride in the offer's gathering anyway
      if (pc !== this.pc || !candidate || !candidate.candidate) return;
      this.signaling.signal(this.sfu, { kind: 'candidate', candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null, usernameFragment: candidate.usernameFragment ?? null } });
    });
    pc.addEventListener('negotiationneeded', () => { if (pc === this.pc) this.offer(); });
    const onState = () => this.onState(pc);
    pc.addEventListener('connectionstatechange', onState);
    pc.addEventListener('iceconnectionstatechange', onState);
    this.offer();
    this.watchMedia();
  }

  /** @param {string} id @returns {SfuPeer} */
  addPeer(id) {
    const existing = this.peers.get(id);
    if (existing) return existing;
    const peer = new SfuPeer(id, this);
    this.peers.set(id, peer);
    for (const track of this.owners.join(id)) if (track.readyState !== 'ended') peer.stream.addTrack(track);
    for (const track of this.owners.join(screenStreamId(id))) if (track.readyState !== 'ended') peer.screenStream.addTrack(track);
    this.emit('peer_added', { peer });
    if (peer.stream.getTracks().length || peer.screenStream.getTracks().length) this.emit('track', { peer });
    return peer;
  }

  /** @param {string} id */
  removePeer(id) {
    if (!this.peers.delete(id)) return;
    this.owners.leave(id);
    this.owners.leave(screenStreamId(id));
    this.emit('peer_removed', { id });
  }

  /** A negotiation message from the SFU (media-switch.js routes only the current SFU's here). @param {SignalData} data */
  handleSignal(data) {
    if (this.closed || !this.pc) return;
    if (data.kind === 'reset') { console.info('ruang: the SFU reset our connection'); this.connect({ told: true }); return; }
    if (data.kind === 'candidate') return; // the SFU trickles none (its candidates are in its SDP)
    const pc = this.pc;
    this.queue = this.queue.then(() => this.onDescription(pc, data)).catch((err) => console.warn('ruang: SFU negotiation failed', err));
  }

  /** Nothing to heal: a signaling resume leaves the SFU connection alone. @returns {boolean} */
  heal() { return false; }

  /** @param {IceServer[]} iceServers @param {IcePolicy} policy */
  updateIce(iceServers, policy) {
    this.iceServers = iceServers;
    this.icePolicy = policy;
    try { this.pc?.setConfiguration({ ...this.pc.getConfiguration(), iceServers, iceTransportPolicy: policy }); } catch (err) { console.warn('ruang: could not apply new ICE servers', err); }
  }

  /**
   * Our microphone, camera or screen share. The microphone and camera need no renegotiation (the layers we
   * announce follow the camera); a screen share starting or stopping turns its m-line's sending on or off,
   * which renegotiates (the SFU then offers it to the others, or takes it away).
   * @param {'audio' | 'video' | 'screen'} kind @param {MediaStreamTrack | null} track
   */
  async setTrack(kind, track) {
    if (!this.sending) track = null;
    const t = kind === 'audio' ? this.audio : kind === 'video' ? this.video : this.screen;
    if (!t || t.sender.track === track) return;
    await t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e));
    if (kind === 'screen' && t === this.screen) t.direction = track ? 'sendonly' : 'inactive';
    if (kind === 'video') this.sendLayers();
  }

  /** Start or stop sending (a viewer sends nothing); the direction change renegotiates. @param {boolean} on */
  async setSending(on) {
    if (this.sending === on) return;
    this.sending = on;
    const { audio, video, screen } = on ? this.localTracks() : { audio: null, video: null, screen: null };
    const jobs = [];
    for (const [t, track] of /** @type {const} */ ([[this.audio, audio], [this.video, video]])) {
      if (!t) continue;
      t.direction = on ? 'sendrecv' : 'recvonly';
      if (t.sender.track !== track) jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
    }
    if (this.screen) {
      this.screen.direction = screen ? 'sendonly' : 'inactive';
      if (this.screen.sender.track !== screen) jobs.push(this.screen.sender.replaceTrack(screen).catch((e) => console.warn('replaceTrack', e)));
    }
    await Promise.all(jobs);
    this.sendLayers();
  }

  /** The upload does not grow with the room: nothing to budget. */
  setSendBudget() {}

  /** Close the connection; the participants' streams end. */
  close() {
    this.closed = true;
    this.drop();
    for (const id of [...this.peers.keys()]) this.removePeer(id);
  }

  /**
   * The stats of one participant's receivers (what the quality hint and the tests read), as one report.
   * @param {SfuPeer} peer @returns {Promise<RTCStatsReport>}
   */
  async statsOf(peer) {
    /** @type {Map<string, any>} */
    const out = new Map();
    const pc = this.pc;
    if (!pc) return /** @type {RTCStatsReport} */ (/** @type {unknown} */ (out));
    const mine = new Set(peer.stream.getTracks());
    const receivers = pc.getReceivers().filter((r) => mine.has(r.track));
    for (const r of receivers) {
      try { (await r.getStats()).forEach((v, k) => out.set(k, v)); } catch { /* closed meanwhile */ }
    }
    return /** @type {RTCStatsReport} */ (/** @type {unknown} */ (out));
  }

  // ---------------------------------------------------------------- internals

  /** Close the current connection (not the transport). @private */
  drop() {
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    const pc = this.pc;
    this.pc = null;
    this.audio = this.video = this.screen = null;
    if (!pc) return;
    pc.close();
    // the tracks of the old connection go; the streams (and the tiles showing them) stay for the new one
    for (const peer of this.peers.values()) {
      for (const track of peer.stream.getTracks()) peer.stream.removeTrack(track);
      for (const track of peer.screenStream.getTracks()) peer.screenStream.removeTrack(track);
      peer.flowing = false;
    }
    this.owners.clear();
  }

  /** @private */
  offer() {
    const pc = this.pc;
    if (!pc || this.closed) return;
    this.queue = this.queue.then(async () => {
      // (the `negotiationneeded` of a new connection comes after our first offer went out: not again;
      // while an offer or answer is pending, the browser fires it again once stable if still needed)
      if (pc !== this.pc || this.makingOffer || pc.signalingState !== 'stable') return;
      this.makingOffer = true;
      try {
        await pc.setLocalDescription();
        const desc = pc.localDescription;
        if (pc === this.pc && desc?.type === 'offer') this.signaling.signal(this.sfu, { kind: 'offer', sdp: desc.sdp });
      } finally {
        this.makingOffer = false;
      }
    }).catch((err) => console.warn('ruang: offering to the SFU failed', err));
  }

  /** @private @param {RTCPeerConnection} pc @param {SignalData} data */
  async onDescription(pc, data) {
    if (pc !== this.pc || (data.kind !== 'offer' && data.kind !== 'answer')) return;
    if (data.kind === 'offer') {
      // Made before the SFU took our offer (it rolled it back and offers again), or by the SFU session of
      // an earlier connection: either way not for this one (see the top of this file).
      if (this.makingOffer || pc.signalingState !== 'stable') return;
      if (!this.sfuUfrag || iceUfrag(data.sdp) !== this.sfuUfrag) return;
      await this.answer(pc, data.sdp);
    } else {
      if (pc.signalingState !== 'have-local-offer') return; // stale
      // The SFU says which connection's offer it answers: one made before a `reset` crossed this one's.
      const answers = answeredUfrag(data.sdp);
      if (answers && answers !== iceUfrag(pc.localDescription?.sdp ?? '')) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
      if (!this.sfuUfrag) this.sfuUfrag = iceUfrag(data.sdp);
    }
    this.dropEndedTracks();
  }

  /** Apply an SFU offer and answer it. @private @param {RTCPeerConnection} pc @param {string} sdp */
  async answer(pc, sdp) {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription();
    const desc = pc.localDescription;
    if (pc === this.pc && desc?.type === 'answer') this.signaling.signal(this.sfu, { kind: 'answer', sdp: desc.sdp });
  }

  /** @private @param {RTCPeerConnection} pc @param {RTCTrackEvent} e */
  onTrack(pc, e) {
    if (pc !== this.pc) return;
    const track = e.track;
    const owner = e.streams[0]?.id;
    if (!owner) return;
    const { from, to } = this.owners.add(owner, track);
    if (from) this.unplace(from, track);
    if (to) this.place(to, track);
    // the SFU negotiated it away (its sender left, or turned it off): it leaves the stream
    e.streams[0].addEventListener('removetrack', (ev) => {
      if (pc !== this.pc || ev.track !== track) return;
      const who = this.owners.remove(track);
      if (who) this.unplace(who, track);
    });
  }

  /**
   * The participant and the stream a msid stream id names: `<id>` their microphone and camera, `<id>-screen`
   * their screen share. @private @param {string} streamId
   * @returns {{ peer: SfuPeer, stream: MediaStream } | null}
   */
  streamOf(streamId) {
    const screen = streamId.endsWith(SCREEN_SUFFIX);
    const peer = this.peers.get(screen ? streamId.slice(0, -SCREEN_SUFFIX.length) : streamId);
    return peer ? { peer, stream: screen ? peer.screenStream : peer.stream } : null;
  }

  /**
   * Put a track into the stream its msid stream id names, replacing one of the same kind (a stream holds one
   * audio and one video). @private @param {string} streamId @param {MediaStreamTrack} track
   */
  place(streamId, track) {
    const to = this.streamOf(streamId);
    if (!to) return;
    for (const t of to.stream.getTracks()) if (t.kind === track.kind && t !== track) to.stream.removeTrack(t);
    if (!to.stream.getTracks().includes(track)) to.stream.addTrack(track);
    this.emit('track', { peer: to.peer });
  }

  /** Take a track out of the stream its msid stream id names. @private @param {string} streamId @param {MediaStreamTrack} track */
  unplace(streamId, track) {
    const from = this.streamOf(streamId);
    if (!from || !from.stream.getTracks().includes(track)) return;
    from.stream.removeTrack(track);
    this.emit('track', { peer: from.peer });
  }

  /** Tracks of receivers the SFU stopped (m-line rejected) leave their streams. @private */
  dropEndedTracks() {
    const pc = this.pc;
    if (!pc) return;
    for (const t of pc.getTransceivers()) {
      if (t.currentDirection !== 'stopped' && t.currentDirection !== 'inactive') continue;
      const track = t.receiver.track;
      const who = this.owners.remove(track);
      if (who) this.unplace(who, track);
    }
  }

  /** @private @param {RTCPeerConnection} pc */
  onState(pc) {
    if (pc !== this.pc || this.closed) return;
    const state = pc.connectionState;
    for (const peer of this.peers.values()) this.emit('state', { peer, state });
    if (state === 'connected') {
      clearTimeout(this.lostTimer);
      this.lostTimer = undefined;
      if (!this.up) {
        this.up = true;
        this.times.up = performance.now();
        this.sendLayers();
        this.onUp();
      }
    } else if (state === 'failed') {
      console.info('ruang: the SFU connection failed: connecting again');
      this.connect();
    } else if (state === 'disconnected' && this.lostTimer === undefined) {
      this.lostTimer = setTimeout(() => {
        this.lostTimer = undefined;
        if (pc === this.pc && pc.connectionState !== 'connected') this.connect();
      }, DISCONNECTED_MS);
    }
  }

  /** Say which layers we send (once set up, and when they change). @private */
  sendLayers() {
    if (!this.up || !this.sending || this.closed) return;
    const track = this.video?.sender.track;
    if (!track) return;
    const { width = 0, height = 0 } = track.getSettings();
    const short = Math.min(width, height) || height;
    if (!short) return;
    const layers = layersFor(short);
    const key = JSON.stringify(layers);
    if (key === this.layersSent) return;
    this.layersSent = key;
    this.signaling.layers(layers);
  }

  /**
   * Until each participant's media decodes through the SFU, look at the receivers' stats; say `media
   * {id}` for each as it does. @private
   */
  watchMedia() {
    if (this.mediaTimer !== undefined) return;
    let busy = false;
    this.mediaTimer = setInterval(async () => {
      if (busy) return;
      if (this.closed) { clearInterval(this.mediaTimer); this.mediaTimer = undefined; return; }
      busy = true;
      try {
        for (const peer of [...this.peers.values()]) {
          if (peer.flowing || !peer.stream.getTracks().length) continue;
          let frames = 0;
          let audio = 0;
          (await this.statsOf(peer)).forEach((s) => {
            if (s.type !== 'inbound-rtp') return;
            if (s.kind === 'video') frames += s.framesDecoded ?? 0;
            else audio += s.packetsReceived ?? 0;
          });
          const hasVideo = peer.stream.getVideoTracks().length > 0;
          if ((hasVideo ? frames : audio) > 0 && !peer.flowing && this.peers.get(peer.id) === peer) {
            peer.flowing = true;
            this.times.media[peer.id] = performance.now();
            this.emit('media', { id: peer.id });
          }
        }
      } finally {
        busy = false;
      }
    }, MEDIA_POLL_MS);
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

/**
 * VP8 first for the camera (the protocol's simulcast codec), with its retransmission and FEC companions.
 * @param {RTCRtpTransceiver} t
 */
function preferVp8(t) {
  try {
    const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
    const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8');
    const rest = codecs.filter((c) => /\/(rtx|red|ulpfec)$/i.test(c.mimeType));
    if (vp8.length) t.setCodecPreferences([...vp8, ...rest]);
  } catch (err) {
    console.warn('ruang: could not prefer VP8', err);
  }
}
