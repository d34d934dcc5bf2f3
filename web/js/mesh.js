// mesh.js — the WebRTC mesh: one RTCPeerConnection per remote participant, negotiated with the W3C
// "perfect negotiation" pattern exactly as docs/protocol.md describes it.
//
// Owns: peer connections, transceivers, the negotiated 'files' data channel of each peer, trickle ICE,
// ICE restart and rebuild (protocol.md, negotiation item 7), healing after a resume, and teardown. Knows
// nothing about the DOM; talks to the server only through a Signaling instance (signal()).
//
// Shape of every connection (so that mic/camera/screen toggles never need renegotiation):
//   m=0 audio (sendrecv)  m=1 video (sendrecv)  m=2 application ('files' channel, negotiated, id 0)
// The newcomer (impolite) creates all three up front and offers. The participant already in the room
// (polite) creates nothing until that offer arrives, then adopts the offered transceivers, attaches its
// tracks with replaceTrack() and answers. Track changes later are replaceTrack() on the stable senders.
//
// A connection's polite/impolite role is fixed when it is created and never recomputed (a resume after a
// server restart may introduce the same two participants in the other order).
//
// Viewers send no media (the server refuses their offers and answers with sending audio or video
// sections): while `sending` is false the audio and video transceivers are `recvonly` and carry no track.
// setSending() flips an existing mesh either way; the direction change renegotiates by itself.
//
// Events (CustomEvent detail): peer_added {peer}, peer_removed {id}, peer_replaced {peer} (a rebuilt
// connection, after `reset` either way), track {peer}, channel {peer, channel}, state {peer, state}.

/** @typedef {import('./signaling.js').Signaling} Signaling */
/** @typedef {import('./signaling.js').SignalData} SignalData */
/** @typedef {import('./signaling.js').IceServer} IceServer */
/** @typedef {import('./signaling.js').IcePolicy} IcePolicy */
/** @typedef {{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null }} LocalTracks */

/** After this long in `disconnected`, an ICE restart is tried (a `failed` state restarts at once). */
const DISCONNECTED_RESTART_MS = 2000;
/** Still not connected this long after an ICE restart: the impolite side rebuilds the connection. */
const REBUILD_MS = 10000;

/** @param {RTCPeerConnection} pc */
const iceUp = (pc) => pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed';

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
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.rebuildTimer = undefined;
    /** rebuilt by us after `reset`: offers still coming from the peer's old connection are ignored until ours is answered */
    this.fresh = false;
    this.closed = false;
  }
}

export class Mesh extends EventTarget {
  /**
   * @param {{ signaling: Signaling, iceServers: IceServer[], icePolicy: IcePolicy, localTracks: () => LocalTracks,
   *   sending?: boolean }} opts sending: false for a viewer (recvonly, no tracks)
   */
  constructor({ signaling, iceServers, icePolicy, localTracks, sending = true }) {
    super();
    /** whether we send audio and video (false: a viewer) */
    this.sending = sending;
    this.signaling = signaling;
    this.iceServers = iceServers;
    this.icePolicy = icePolicy;
    this.localTracks = localTracks;
    /** @type {Map<string, Peer>} */
    this.peers = new Map();
    /** how many RTCPeerConnections this mesh has created (for tests: a resume must not create any) */
    this.created = 0;
  }

  /**
   * Create the connection to a participant.
   * @param {string} id
   * @param {boolean} polite false for peers listed in `welcome` (we offer), true for `peer_joined` ones
   * @returns {Peer}
   */
  addPeer(id, polite) {
    this.removePeer(id);
    const peer = this.createPeer(id, polite, polite);
    this.emit('peer_added', { peer });
    return peer;
  }

  /**
   * @private
   * @param {string} id
   * @param {boolean} polite
   * @param {boolean} passive wait for the other side's offer (the polite side at first, anyone after `reset`)
   * @returns {Peer}
   */
  createPeer(id, polite, passive) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.icePolicy, bundlePolicy: 'max-bundle' });
    this.created++;
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

    if (!passive) {
      // We offer: build the whole connection now; negotiationneeded sends the offer.
      const { audio, video } = this.sending ? this.localTracks() : { audio: null, video: null };
      const direction = this.sending ? 'sendrecv' : 'recvonly';
      peer.audio = pc.addTransceiver(audio ?? 'audio', { direction });
      peer.video = pc.addTransceiver(video ?? 'video', { direction });
      this.adoptReceivers(peer);
      this.openChannel(peer);
      peer.ready = true;
    }
    return peer;
  }

  /** @param {string} id */
  removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.retire(peer);
    this.peers.delete(id);
    this.emit('peer_removed', { id });
  }

  /** Close one connection object (the participant may live on in a new one). @private @param {Peer} peer */
  retire(peer) {
    peer.closed = true;
    clearTimeout(peer.restartTimer);
    clearTimeout(peer.rebuildTimer);
    try { peer.channel?.close(); } catch { /* already closed */ }
    peer.pc.close();
  }

  /**
   * Make sure a connection recovers after a resume that could not replay (`replay: "reset"`): negotiation
   * messages may have been lost, so a connection that is not connected, or is waiting for an answer,
   * restarts ICE (which renegotiates); a connected, stable one is left alone.
   * @param {string} id
   * @returns {boolean} whether anything was restarted
   */
  heal(id) {
    const peer = this.peers.get(id);
    if (!peer || peer.closed || !peer.ready) return false; // passive: the offering side heals
    if (iceUp(peer.pc) && peer.pc.signalingState === 'stable') return false;
    peer.queue = peer.queue.then(async () => {
      const pc = peer.pc;
      if (peer.closed) return;
      // our offer (or its answer) is lost: take it back and offer again, with fresh ICE credentials
      if (pc.signalingState === 'have-local-offer' && !peer.makingOffer) await pc.setLocalDescription({ type: 'rollback' });
      this.restart(peer);
    }).catch((err) => console.warn(`ruang: healing the connection to ${id} failed`, err));
    return true;
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
    if (!this.sending) track = null;
    const jobs = [];
    for (const peer of this.peers.values()) {
      const t = kind === 'audio' ? peer.audio : peer.video;
      if (peer.ready && t && t.sender.track !== track) jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
    }
    await Promise.all(jobs);
  }

  /**
   * Start or stop sending audio and video on every connection (a viewer sends nothing): transceivers
   * become `sendrecv` with our tracks, or `recvonly` with none. Changing the direction renegotiates.
   * @param {boolean} on
   */
  async setSending(on) {
    if (this.sending === on) return;
    this.sending = on;
    const { audio, video } = on ? this.localTracks() : { audio: null, video: null };
    const jobs = [];
    for (const peer of this.peers.values()) {
      if (!peer.ready || peer.closed) continue; // a passive one adopts the right direction with the first offer
      for (const [t, track] of /** @type {const} */ ([[peer.audio, audio], [peer.video, video]])) {
        if (!t) continue;
        t.direction = on ? 'sendrecv' : 'recvonly';
        if (t.sender.track !== track) jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
      }
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
    if (data.kind === 'reset') {
      // The peer rebuilt its connection with us: close ours at once (so its next signals reach the new
      // one) and answer its next offer from a new connection. The role stays what it was.
      this.retire(peer);
      const fresh = this.createPeer(from, peer.polite, true);
      this.emit('peer_replaced', { peer: fresh });
      return;
    }
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
    if (data.kind === 'reset') return; // handled in handleSignal
    // offer or answer: perfect negotiation
    if (data.kind === 'offer' && peer.fresh) return; // from the peer's old connection, before our reset reached it
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
    if (data.kind === 'answer') peer.fresh = false;
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
    const { audio, video } = this.sending ? this.localTracks() : { audio: null, video: null };
    for (const [t, track] of /** @type {const} */ ([[peer.audio, audio], [peer.video, video]])) {
      if (!t) continue;
      t.direction = this.sending ? 'sendrecv' : 'recvonly';
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

  /**
   * ICE restart (protocol.md, negotiation item 7): `failed` restarts at once, `disconnected` after 2 s;
   * perfect negotiation carries the offer. Back to connected clears everything.
   * @private @param {Peer} peer
   */
  onConnectionState(peer) {
    if (peer.closed) return;
    const pc = peer.pc;
    const state = pc.connectionState ?? pc.iceConnectionState;
    this.emit('state', { peer, state });
    if (iceUp(pc)) {
      clearTimeout(peer.restartTimer);
      clearTimeout(peer.rebuildTimer);
      peer.restartTimer = peer.rebuildTimer = undefined;
    } else if (pc.iceConnectionState === 'failed' || pc.connectionState === 'failed') {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = undefined;
      this.restart(peer);
    } else if (pc.iceConnectionState === 'disconnected') {
      if (peer.restartTimer === undefined) {
        peer.restartTimer = setTimeout(() => {
          peer.restartTimer = undefined;
          if (!peer.closed && pc.iceConnectionState === 'disconnected') this.restart(peer);
        }, DISCONNECTED_RESTART_MS);
      }
    } else {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = undefined;
    }
  }

  /** restartIce(), and watch that it helps. @private @param {Peer} peer */
  restart(peer) {
    if (peer.closed || !peer.ready) return;
    peer.pc.restartIce();
    this.armRebuild(peer);
  }

  /**
   * Still not connected REBUILD_MS after an ICE restart: the impolite side rebuilds the connection
   * (`reset`, then an offer from a new one); the polite side restarts ICE again and keeps waiting. Not
   * while our signaling is down: the `reset` could not arrive before the offer, and a resume heals anyway.
   * @private @param {Peer} peer
   */
  armRebuild(peer) {
    if (peer.rebuildTimer !== undefined) return;
    peer.rebuildTimer = setTimeout(() => {
      peer.rebuildTimer = undefined;
      if (peer.closed || iceUp(peer.pc)) return;
      if (!this.signaling.connected) this.armRebuild(peer);
      else if (peer.polite) this.restart(peer);
      else this.rebuild(peer);
    }, REBUILD_MS);
  }

  /** Impolite side: replace the connection with a new one and offer. @private @param {Peer} peer */
  rebuild(peer) {
    console.info(`ruang: rebuilding the connection to ${peer.id}`);
    this.signaling.signal(peer.id, { kind: 'reset' });
    this.retire(peer);
    const fresh = this.createPeer(peer.id, peer.polite, false);
    fresh.fresh = true;
    this.emit('peer_replaced', { peer: fresh });
  }

  /** @private @param {string} type @param {unknown} detail */
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
