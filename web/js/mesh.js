// mesh.js — the WebRTC mesh: one RTCPeerConnection per remote participant, negotiated with the W3C
// "perfect negotiation" pattern exactly as docs/protocol.md describes it.
//
// Owns: peer connections, transceivers, the negotiated 'files' data channel of each peer, trickle ICE,
// ICE restart on failure, and teardown. Knows nothing about the DOM; talks to the server only through a
// Signaling instance (signal()).
//
// Shape of every connection (so that mic/camera/screen toggles never need renegotiation):
//   m=0 audio (sendrecv)  m=1 video (sendrecv)  m=2 application ('files' channel, negotiated, id 0)
// The newcomer (impolite) creates all three up front and offers. The participant already in the room
// (polite) creates nothing until that offer arrives, then adopts the offered transceivers, attaches its
// tracks with replaceTrack() and answers. Track changes later are replaceTrack() on the stable senders.
//
// Events (CustomEvent detail): peer_added {peer}, peer_removed {id}, track {peer}, state {peer, state}.

/** @typedef {import('./signaling.js').Signaling} Signaling */
/** @typedef {import('./signaling.js').SignalData} SignalData */
/** @typedef {import('./signaling.js').IceServer} IceServer */
/** @typedef {import('./signaling.js').IcePolicy} IcePolicy */
/** @typedef {{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null }} LocalTracks */

/** After this long in `disconnected`, an ICE restart is tried (a `failed` state restarts at once). */
const DISCONNECTED_RESTART_MS = 6000;

/** One remote participant. */
export class Peer {
  /**
   * @param {string} id
   * @param {boolean} polite true when this peer joined after us (we are the one already in the room)
   * @param {RTCPeerConnection} pc
   */
  constructor(id, polite, pc) {
    this.id = id;
    this.polite = polite;
    this.pc = pc;
    /** @type {RTCRtpTransceiver | null} */ this.audio = null;
    /** @type {RTCRtpTransceiver | null} */ this.video = null;
    /** @type {RTCDataChannel | null} the negotiated 'files' channel */ this.channel = null;
    /** remote audio + video, built from the receivers */ this.stream = new MediaStream();
    /** transceivers adopted and local tracks attached */ this.ready = false;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    /** @type {Promise<void>} serialises incoming signals */ this.queue = Promise.resolve();
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.restartTimer = undefined;
    this.closed = false;
  }
}

export class Mesh extends EventTarget {
  /**
   * @param {{ signaling: Signaling, iceServers: IceServer[], icePolicy: IcePolicy, localTracks: () => LocalTracks }} opts
   */
  constructor({ signaling, iceServers, icePolicy, localTracks }) {
    super();
    this.signaling = signaling;
    this.iceServers = iceServers;
    this.icePolicy = icePolicy;
    this.localTracks = localTracks;
    /** @type {Map<string, Peer>} */
    this.peers = new Map();
  }

  /**
   * Create the connection to a participant.
   * @param {string} id
   * @param {boolean} polite false for peers listed in `welcome` (we offer), true for `peer_joined` ones
   * @returns {Peer}
   */
  addPeer(id, polite) {
    this.removePeer(id);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.icePolicy, bundlePolicy: 'max-bundle' });
    const peer = new Peer(id, polite, pc);
    this.peers.set(id, peer);

    pc.addEventListener('negotiationneeded', () => this.negotiate(peer));
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (peer.closed) return;
      if (!candidate) {
        this.signaling.signal(id, { kind: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null, usernameFragment: null } });
      } else if (candidate.candidate) {
        this.signaling.signal(id, {
          kind: 'candidate',
          candidate: {
            candidate: candidate.candidate,
            sdpMid: candidate.sdpMid ?? null,
            sdpMLineIndex: candidate.sdpMLineIndex ?? null,
            usernameFragment: candidate.usernameFragment ?? null,
          },
        });
      }
    });
    pc.addEventListener('track', ({ track }) => {
      if (!peer.stream.getTracks().includes(track)) peer.stream.addTrack(track);
      this.emit('track', { peer });
    });
    const onState = () => this.onConnectionState(peer);
    pc.addEventListener('connectionstatechange', onState);
    pc.addEventListener('iceconnectionstatechange', onState);

    if (!polite) {
      // We are the newcomer: build the whole connection now; negotiationneeded sends the offer.
      const { audio, video } = this.localTracks();
      peer.audio = pc.addTransceiver(audio ?? 'audio', { direction: 'sendrecv' });
      peer.video = pc.addTransceiver(video ?? 'video', { direction: 'sendrecv' });
      this.adoptReceivers(peer);
      this.openChannel(peer);
      peer.ready = true;
    }
    this.emit('peer_added', { peer });
    return peer;
  }

  /** @param {string} id */
  removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.closed = true;
    clearTimeout(peer.restartTimer);
    this.peers.delete(id);
    try { peer.channel?.close(); } catch { /* already closed */ }
    peer.pc.close();
    this.emit('peer_removed', { id });
  }

  /** Close every connection. */
  close() {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
  }

  /**
   * Fresh ICE servers (renewed TURN credentials): used by new connections and by the next ICE gathering
   * (e.g. a restart) of existing ones. Allocations in use keep working.
   * @param {IceServer[]} iceServers
   * @param {IcePolicy} policy
   */
  updateIce(iceServers, policy) {
    this.iceServers = iceServers;
    this.icePolicy = policy;
    for (const peer of this.peers.values()) {
      try {
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers, iceTransportPolicy: policy });
      } catch (err) {
        console.warn('ruang: could not apply new ICE servers', err);
      }
    }
  }

  /**
   * Send `track` (or nothing, when null) as our audio or video to every peer, without renegotiation.
   * @param {'audio' | 'video'} kind
   * @param {MediaStreamTrack | null} track
   */
  async setTrack(kind, track) {
    const jobs = [];
    for (const peer of this.peers.values()) {
      const t = kind === 'audio' ? peer.audio : peer.video;
      if (peer.ready && t && t.sender.track !== track) jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
    }
    await Promise.all(jobs);
  }

  /**
   * Handle a relayed `signal` message.
   * @param {string} from
   * @param {SignalData} data
   */
  handleSignal(from, data) {
    const peer = this.peers.get(from);
    if (!peer) return; // not (or no longer) a participant we know
    peer.queue = peer.queue
      .then(() => this.onSignal(peer, data))
      .catch((err) => console.warn(`ruang: signal from ${from} failed`, err));
  }

  // ---------------------------------------------------------------- internals

  /** @private @param {Peer} peer */
  async negotiate(peer) {
    if (!peer.ready || peer.closed) return; // polite side before the newcomer's first offer
    try {
      peer.makingOffer = true;
      await peer.pc.setLocalDescription();
      const desc = peer.pc.localDescription;
      if (desc && desc.type === 'offer' && !peer.closed) this.signaling.signal(peer.id, { kind: 'offer', sdp: desc.sdp });
    } catch (err) {
      console.warn('ruang: creating an offer failed', err);
    } finally {
      peer.makingOffer = false;
    }
  }

  /** @private @param {Peer} peer @param {SignalData} data */
  async onSignal(peer, data) {
    if (peer.closed) return;
    const pc = peer.pc;
    if (data.kind === 'candidate') {
      const c = data.candidate;
      try {
        if (c.candidate === '') await pc.addIceCandidate(); // end of candidates
        else await pc.addIceCandidate(c);
      } catch (err) {
        if (!peer.ignoreOffer && c.candidate !== '') console.warn('ruang: addIceCandidate failed', err);
      }
      return;
    }
    // offer or answer: perfect negotiation
    const readyForOffer = !peer.makingOffer && (pc.signalingState === 'stable' || peer.settingRemoteAnswer);
    const collision = data.kind === 'offer' && !readyForOffer;
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    if (data.kind === 'answer' && pc.signalingState !== 'have-local-offer') return; // stale answer
    peer.settingRemoteAnswer = data.kind === 'answer';
    try {
      await pc.setRemoteDescription({ type: data.kind, sdp: data.sdp }); // rolls back our own offer if needed
    } finally {
      peer.settingRemoteAnswer = false;
    }
    if (data.kind === 'offer') {
      if (!peer.ready) await this.adoptOffer(peer);
      await pc.setLocalDescription();
      const desc = pc.localDescription;
      if (desc && desc.type === 'answer' && !peer.closed) this.signaling.signal(peer.id, { kind: 'answer', sdp: desc.sdp });
    }
  }

  /**
   * Polite side, first offer: take over the offered audio/video transceivers, attach local tracks,
   * open the negotiated data channel.
   * @private @param {Peer} peer
   */
  async adoptOffer(peer) {
    const ts = peer.pc.getTransceivers();
    peer.audio = ts.find((t) => t.receiver.track.kind === 'audio') ?? null;
    peer.video = ts.find((t) => t.receiver.track.kind === 'video') ?? null;
    const { audio, video } = this.localTracks();
    for (const [t, track] of /** @type {const} */ ([[peer.audio, audio], [peer.video, video]])) {
      if (!t) continue;
      t.direction = 'sendrecv';
      await t.sender.replaceTrack(track);
    }
    this.adoptReceivers(peer);
    this.openChannel(peer);
    peer.ready = true;
  }

  /** @private @param {Peer} peer */
  adoptReceivers(peer) {
    for (const t of [peer.audio, peer.video]) {
      if (t && !peer.stream.getTracks().includes(t.receiver.track)) peer.stream.addTrack(t.receiver.track);
    }
    this.emit('track', { peer });
  }

  /** @private @param {Peer} peer */
  openChannel(peer) {
    const ch = peer.pc.createDataChannel('files', { negotiated: true, id: 0, ordered: true });
    ch.binaryType = 'arraybuffer';
    peer.channel = ch;
    this.emit('channel', { peer, channel: ch });
  }

  /** @private @param {Peer} peer */
  onConnectionState(peer) {
    if (peer.closed) return;
    const pc = peer.pc;
    const state = pc.connectionState ?? pc.iceConnectionState;
    this.emit('state', { peer, state });
    if (pc.iceConnectionState === 'failed' || pc.connectionState === 'failed') {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = undefined;
      if (peer.ready) pc.restartIce();
    } else if (pc.iceConnectionState === 'disconnected') {
      if (peer.restartTimer === undefined) {
        peer.restartTimer = setTimeout(() => {
          peer.restartTimer = undefined;
          if (!peer.closed && peer.ready && pc.iceConnectionState === 'disconnected') pc.restartIce();
        }, DISCONNECTED_RESTART_MS);
      }
    } else {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = undefined;
    }
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
