// mesh.js — the WebRTC mesh: one RTCPeerConnection per remote participant, negotiated with the W3C
// "perfect negotiation" pattern exactly as docs/protocol.md describes it. The media transport of a call
// today: it implements the MediaTransport interface of transport.js, through which alone the call uses it.
// Why it is over 400 lines: perfect negotiation, ICE restart and rebuild, and the video sender's start
// resolution all act on the same per-peer state (Peer) inside one serialised queue; split, each part would
// reach into the others' Peer fields.
//
// Owns: peer connections, transceivers, the negotiated 'files' data channel of each peer, trickle ICE,
// ICE restart and rebuild (protocol.md, negotiation item 7), healing after a resume, and teardown. Knows
// nothing about the DOM; talks to the server only through the signaling it is given (signal(), connected).
//
// Shape of every connection (so that mic/camera/screen toggles never need renegotiation):
//   m=0 audio (sendrecv)  m=1 video: camera (sendrecv)  m=2 video: screen share (sendrecv)
//   m=3 application ('files' channel, negotiated, id 0)
// The screen's m-line carries nothing while nobody shares; a share is a track of its own beside the camera.
// The newcomer (impolite) creates all four up front and offers. The participant already in the room
// (polite) creates nothing until that offer arrives, then adopts the offered transceivers, attaches its
// tracks with replaceTrack() and answers. Track changes later are replaceTrack() on the stable senders.
//
// A connection's polite/impolite role is fixed when it is created and never recomputed (a resume after a
// server restart may introduce the same two participants in the other order).
//
// Call setup is on the critical path of joining, so: the first connection a newcomer offers from can be
// made ahead (warmConnection(), on the pre-join screen: its certificate, transceivers and threads exist
// before the welcome; the welcome's ICE servers are applied with setConfiguration() before the offer), the
// offering side offers at once instead of waiting for `negotiationneeded`, and the answering side answers
// without waiting for its tracks to be attached. Video starts at most START_HEIGHT tall (the encoder's
// start bitrate is low, and a bigger first frame is dropped and the resolution cut until it fits, which
// costs about five frames before anything is sent), and goes to full resolution once the connection has
// settled and the bandwidth estimate carries it.
//
// Viewers send no media (the server refuses their offers and answers with sending audio or video
// sections): while `sending` is false the audio and video transceivers are `recvonly` and carry no track.
// setSending() flips an existing mesh either way; the direction change renegotiates by itself.
//
// Events (CustomEvent detail): peer_added {peer}, peer_removed {id}, peer_replaced {peer} (a rebuilt
// connection, after `reset` either way), track {peer}, channel {peer, channel}, state {peer, state}.

/** @typedef {import('./transport.js').SignalSender} SignalSender */
/** @typedef {import('./transport.js').LocalTracks} LocalTracks */
/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {import('./wire.js').CandidateInit} CandidateInit */

/** After this long in `disconnected`, an ICE restart is tried (a `failed` state restarts at once). */
const DISCONNECTED_RESTART_MS = 2000;
/** Still not connected this long after an ICE restart: the impolite side rebuilds the connection. */
const REBUILD_MS = 10000;
/** Camera video is sent at most this tall (the short side) until the bandwidth estimate allows more. */
const START_HEIGHT = 180;
/**
 * Full resolution once the connection has been up this long (setting up connections, with their new
 * decoders and tiles, is when the page and the machine are busiest, and the bandwidth estimate is still
 * probing)…
 */
const FULL_VIDEO_MIN_MS = 2000;
/** …and the bandwidth estimate reaches this (or the bitrate cap, if lower)… */
const FULL_VIDEO_BPS = 1_000_000;
/** …or this long after connecting, whatever the estimate (then the encoder's own adaptation decides). */
const FULL_VIDEO_AFTER_MS = 10_000;
/** How often the bandwidth estimate is looked at until then. */
const BANDWIDTH_POLL_MS = 250;
/** An offer or answer waits at most this long for the first ICE candidates of a fresh gathering, to carry them. */
const CANDIDATES_WAIT_MS = 40;
/** Video bitrate ceiling for a mesh of n remote peers: every peer costs us one upload. */
function videoBitrate(/** @type {number} */ n, /** @type {boolean} */ screen) {
  if (screen) return n <= 2 ? 2_000_000 : 1_200_000;
  if (n <= 1) return 1_500_000;
  if (n <= 3) return 900_000;
  return 500_000;
}

/** Every connection's configuration besides its ICE servers and policy. */
const BUNDLE = /** @type {const} */ ('max-bundle');

/**
 * How much to scale a video track down at the start of a connection: camera video to START_HEIGHT (the
 * short side), screens not at all (they are meant to be read).
 * @param {MediaStreamTrack | null} track
 */
export function startScale(track) {
  if (!track || track.kind !== 'video' || track.contentHint === 'detail' || track.contentHint === 'text') return 1;
  const { width = 0, height = 0 } = track.getSettings();
  const short = Math.min(width, height);
  return short > START_HEIGHT ? short / START_HEIGHT : 1;
}

/**
 * What identifies an ICE candidate line: foundation, component, transport, priority, address and port
 * (the SDP and the icecandidate event write the attributes after them differently).
 * @param {string} candidate "candidate:…"
 */
const candidateKey = (candidate) => candidate.split(' ').slice(0, 6).join(' ');

/**
 * A connection made ahead of the call (on the pre-join screen), in the shape every connection has (audio
 * and video transceivers, no tracks yet, no ICE servers yet): Mesh offers from it to the first participant
 * it calls, after applying the welcome's ICE servers. Close it if it is not used.
 * @returns {RTCPeerConnection}
 */
export function warmConnection() {
  const pc = new RTCPeerConnection({ bundlePolicy: BUNDLE });
  pc.addTransceiver('audio', { direction: 'sendrecv' });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  pc.addTransceiver('video', { direction: 'sendrecv' }); // the screen share's
  return pc;
}

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
    /** @type {RTCRtpTransceiver | null} the camera's */ this.video = null;
    /** @type {RTCRtpTransceiver | null} the screen share's */ this.screen = null;
    /** @type {RTCDataChannel | null} the negotiated 'files' channel */ this.channel = null;
    /** remote audio + camera video, built from the receivers */ this.stream = new MediaStream();
    /** remote screen share video */ this.screenStream = new MediaStream();
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
    /** video goes out at full resolution (see startScale()) */ this.fullVideo = false;
    /** @type {Promise<void>} serialises changes of the video sender's parameters */ this.params = Promise.resolve();
    /** the video sender's scale and bitrate ceiling as last set (0: none), so unchanged ones are not set again */
    this.videoParams = { scale: 1, maxBitrate: 0 };
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.bandwidthTimer = undefined;
    /** @type {CandidateInit[] | null} candidates found while our description is being made (sent after it) */
    this.heldCandidates = null;
    /** @type {(() => void) | null} */ this.onCandidate = null;
    /** a description of ours went out on this connection */ this.described = false;
    /** answering the first offer: the receivers' stream and the files channel are set up once the answer is out */
    this.answering = false;
    /** @type {() => void} */ this.onAnswered = () => {};
    /** @type {Promise<void>} settles once an answer to our offer is applied (or the connection is closed) */
    this.answered = new Promise((resolve) => { this.onAnswered = resolve; });
  }
}

export class Mesh extends EventTarget {
  /**
   * @param {{ signaling: SignalSender, iceServers: IceServer[], icePolicy: IcePolicy, localTracks: () => LocalTracks,
   *   sending?: boolean, warm?: RTCPeerConnection | null, media?: boolean }} opts sending: false for a viewer
   *   (recvonly, no tracks); warm: a connection from warmConnection() to offer from first; media: false for
   *   connections with only the files channel (no audio or video transceivers)
   */
  constructor({ signaling, iceServers, icePolicy, localTracks, sending = true, warm = null, media = true }) {
    super();
    /** false: connections carry only the files channel (file transfer in an SFU room, opened on demand) */
    this.media = media;
    if (!media) { warm?.close(); warm = null; }
    /** @private @type {RTCPeerConnection | null} */
    this.warm = warm && warm.signalingState === 'stable' && !warm.localDescription ? warm : null;
    if (warm && !this.warm) warm.close();
    /** the video sender's bitrate ceiling (0: none), see setMaxBitrate() */
    this.maxBitrate = 0;
    /** the screen share sender's bitrate ceiling, see setSendBudget() */
    this.screenBitrate = videoBitrate(1, true);
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
   * @param {boolean} [passive] wait for their offer (default: the polite side does)
   * @returns {Peer}
   */
  addPeer(id, polite, passive = polite) {
    this.removePeer(id);
    const peer = this.createPeer(id, polite, passive);
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
    const warm = passive ? null : this.takeWarm();
    const pc = warm ?? new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.icePolicy, bundlePolicy: BUNDLE });
    this.created++;
    const peer = new Peer(id, polite, pc);
    this.peers.set(id, peer);

    pc.addEventListener('negotiationneeded', () => this.negotiate(peer));
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (peer.closed) return;
      /** @type {CandidateInit} */
      const init = candidate
        ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null, usernameFragment: candidate.usernameFragment ?? null }
        : { candidate: '', sdpMid: null, sdpMLineIndex: null, usernameFragment: null };
      if (candidate && !candidate.candidate) return;
      if (peer.heldCandidates) { peer.heldCandidates.push(init); peer.onCandidate?.(); return; } // after our description
      this.signaling.signal(id, { kind: 'candidate', candidate: init });
    });
    pc.addEventListener('track', ({ track, transceiver }) => {
      if (peer.answering) return; // (adopted once the answer is out)
      const stream = transceiver === peer.screen ? peer.screenStream : peer.stream;
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
      this.emit('track', { peer });
    });
    const onState = () => this.onConnectionState(peer);
    pc.addEventListener('connectionstatechange', onState);
    pc.addEventListener('iceconnectionstatechange', onState);

    if (!passive && !this.media) {
      // A files-only connection: the negotiated channel is what the offer carries.
      this.openChannel(peer);
      peer.ready = true;
      void this.negotiate(peer);
    } else if (!passive) {
      // We offer: build the whole connection now (or finish the warm one) and offer at once.
      const { audio, video, screen } = this.sending ? this.localTracks() : { audio: null, video: null, screen: null };
      const direction = this.sending ? 'sendrecv' : 'recvonly';
      if (warm) {
        const [ta, tv, ts] = pc.getTransceivers();
        peer.audio = ta;
        peer.video = tv;
        peer.screen = ts ?? null;
        const attached = [];
        for (const [t, track] of /** @type {const} */ ([[ta, audio], [tv, video], [ts, screen]])) {
          if (!t) continue;
          t.direction = direction;
          if (track) attached.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
        }
        void Promise.all(attached).then(() => { this.applyVideoParams(peer); this.capScreen(peer); });
      } else {
        peer.audio = pc.addTransceiver(audio ?? 'audio', { direction });
        const scale = startScale(video);
        const maxBitrate = this.maxBitrate;
        peer.video = pc.addTransceiver(video ?? 'video', { direction, sendEncodings: [{ scaleResolutionDownBy: scale, ...(maxBitrate ? { maxBitrate } : {}) }] });
        peer.videoParams = { scale, maxBitrate };
        peer.screen = pc.addTransceiver(screen ?? 'video', { direction, sendEncodings: [{ maxBitrate: this.screenBitrate }] });
      }
      this.adoptReceivers(peer);
      this.openChannel(peer);
      peer.ready = true;
      void this.negotiate(peer); // (negotiationneeded would come a task later, and finds the offer made)
    }
    return peer;
  }

  /**
   * The warm connection, with the current ICE servers, if there is one. @private
   * @returns {RTCPeerConnection | null}
   */
  takeWarm() {
    const pc = this.warm;
    this.warm = null;
    if (!pc || pc.signalingState !== 'stable') return null;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers: this.iceServers, iceTransportPolicy: this.icePolicy });
      return pc;
    } catch (err) {
      console.warn('ruang: the connection made ahead could not be used', err);
      pc.close();
      return null;
    }
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
    peer.onAnswered();
    clearTimeout(peer.restartTimer);
    clearTimeout(peer.rebuildTimer);
    clearTimeout(peer.bandwidthTimer);
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


  /** Close every connection (and the warm one, if it was not used). */
  close() {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.warm?.close();
    this.warm = null;
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
   * Send `track` (or nothing, when null) as our audio, camera or screen share to every peer, without
   * renegotiation.
   * @param {'audio' | 'video' | 'screen'} kind
   * @param {MediaStreamTrack | null} track
   */
  async setTrack(kind, track) {
    if (!this.sending) track = null;
    const jobs = [];
    for (const peer of this.peers.values()) {
      const t = kind === 'audio' ? peer.audio : kind === 'video' ? peer.video : peer.screen;
      if (peer.ready && t && t.sender.track !== track) jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
    }
    await Promise.all(jobs);
    // a camera may start smaller (startScale); a screen is sent sharp, under its own ceiling
    if (kind === 'video') for (const peer of this.peers.values()) this.applyVideoParams(peer);
    if (kind === 'screen') for (const peer of this.peers.values()) this.capScreen(peer);
  }

  /**
   * The screen share's sender gets its bitrate ceiling (an adopted transceiver starts without one).
   * @private @param {Peer} peer
   */
  capScreen(peer) {
    const t = peer.screen;
    if (!t || !peer.ready || peer.closed || !t.sender.track) return;
    const bps = this.screenBitrate;
    peer.params = peer.params.then(async () => {
      const params = t.sender.getParameters();
      const enc = params.encodings?.[0];
      if (!enc || enc.maxBitrate === bps) return;
      enc.maxBitrate = bps;
      await t.sender.setParameters(params);
    }).catch(() => { /* not negotiated yet, or closed meanwhile: capped again on the next change */ });
  }

  /**
   * The video sender's bitrate ceiling on every connection (it shrinks as the mesh grows).
   * @param {number} bps
   */
  setMaxBitrate(bps) {
    this.maxBitrate = bps;
    for (const peer of this.peers.values()) this.applyVideoParams(peer);
  }

  /**
   * How many participants share our upload, and whether we send a screen: sets the bitrate ceiling.
   * @param {{ peers: number, screen: boolean }} budget
   */
  setSendBudget({ peers }) {
    this.screenBitrate = videoBitrate(peers, true);
    this.setMaxBitrate(videoBitrate(peers, false));
    for (const peer of this.peers.values()) this.capScreen(peer);
  }

  /**
   * Start or stop sending audio and video on every connection (a viewer sends nothing): transceivers
   * become `sendrecv` with our tracks, or `recvonly` with none. Changing the direction renegotiates.
   * @param {boolean} on
   */
  async setSending(on) {
    if (this.sending === on) return;
    this.sending = on;
    const { audio, video, screen } = on ? this.localTracks() : { audio: null, video: null, screen: null };
    const jobs = [];
    for (const peer of this.peers.values()) {
      if (!peer.ready || peer.closed) continue; // a passive one adopts the right direction with the first offer
      for (const [t, track] of /** @type {const} */ ([[peer.audio, audio], [peer.video, video], [peer.screen, screen]])) {
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
    if (peer.makingOffer) return; // (our own first offer, made before negotiationneeded fired)
    try {
      peer.makingOffer = true;
      await this.describe(peer, 'offer');
    } catch (err) {
      console.warn('ruang: creating an offer failed', err);
    } finally {
      peer.makingOffer = false;
    }
  }

  /**
   * setLocalDescription(), then send the description. An offer on a fresh gathering (a new connection)
   * waits up to CANDIDATES_WAIT_MS for the first candidates, so it carries them: the other side can check
   * connectivity as soon as it has answered, whatever else this page is busy with then, and no message per
   * host candidate is needed. (An answer goes at once: its side's candidates follow while the offerer applies
   * it.) Candidates found meanwhile are sent after the description, minus those it carries.
   * @private @param {Peer} peer @param {'offer' | 'answer'} kind
   */
  async describe(peer, kind) {
    const pc = peer.pc;
    const own = !peer.heldCandidates; // (an answer made while our offer is on its way leaves them to the offer)
    const held = peer.heldCandidates ??= [];
    try {
      await pc.setLocalDescription();
      if (own && kind === 'offer' && !peer.described && pc.iceGatheringState !== 'complete' && !held.length && !peer.closed) {
        await new Promise((resolve) => {
          const timer = setTimeout(done, CANDIDATES_WAIT_MS);
          function done() { clearTimeout(timer); peer.onCandidate = null; resolve(undefined); }
          // the first one, and what comes with it (a host candidate per interface, found together)
          peer.onCandidate = () => { peer.onCandidate = null; setTimeout(done, 2); };
        });
      }
      const desc = pc.localDescription;
      if (!desc || desc.type !== kind || peer.closed) return;
      this.signaling.signal(peer.id, { kind, sdp: desc.sdp });
      peer.described = true;
      if (!own) return;
      const carried = new Set(desc.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')).map((l) => candidateKey(l.slice(2))));
      peer.heldCandidates = null;
      for (const c of held) if (!carried.has(candidateKey(c.candidate))) this.signaling.signal(peer.id, { kind: 'candidate', candidate: c });
    } finally {
      if (own && peer.heldCandidates === held) {
        // (no description went out: what was found goes out as usual)
        peer.heldCandidates = null;
        peer.onCandidate = null;
        if (!peer.closed) for (const c of held) this.signaling.signal(peer.id, { kind: 'candidate', candidate: c });
      }
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
    // The first offer: answer first. Our tracks are attached meanwhile (the answer does not depend on
    // them); the remote tracks go into the peer's stream (which a media element may play: that costs the
    // page tens of milliseconds) and the files channel opens once the answer is out.
    const first = data.kind === 'offer' && !peer.ready;
    peer.answering = first;
    try {
      await pc.setRemoteDescription({ type: data.kind, sdp: data.sdp }); // rolls back our own offer if needed
      if (data.kind === 'answer') { peer.fresh = false; peer.onAnswered(); }
      if (data.kind !== 'offer') return;
      const attaching = first ? this.adoptOffer(peer) : null;
      await this.describe(peer, 'answer');
      await attaching;
    } finally {
      peer.settingRemoteAnswer = false;
      if (first) {
        peer.answering = false;
        if (!peer.closed && peer.ready) {
          this.adoptReceivers(peer);
          this.openChannel(peer);
        }
      }
    }
  }

  /**
   * Polite side, first offer: take over the offered audio/video transceivers and attach local tracks
   * (the caller adopts the receivers and opens the negotiated data channel once the answer is out).
   * @private @param {Peer} peer
   */
  async adoptOffer(peer) {
    const ts = peer.pc.getTransceivers();
    peer.audio = ts.find((t) => t.receiver.track.kind === 'audio') ?? null;
    const videos = ts.filter((t) => t.receiver.track.kind === 'video');
    peer.video = videos[0] ?? null;
    peer.screen = videos[1] ?? null; // (the offer's second video m-line)
    const { audio, video, screen } = this.sending ? this.localTracks() : { audio: null, video: null, screen: null };
    const attached = [];
    for (const [t, track] of /** @type {const} */ ([[peer.audio, audio], [peer.video, video], [peer.screen, screen]])) {
      if (!t) continue;
      t.direction = this.sending ? 'sendrecv' : 'recvonly';
      attached.push(t.sender.replaceTrack(track).catch((e) => console.warn('replaceTrack', e)));
    }
    peer.ready = true;
    await Promise.all(attached);
    this.applyVideoParams(peer);
    this.capScreen(peer);
  }

  /**
   * Bring the video sender's parameters in line: its scale (startScale() until the connection carries full
   * resolution) and the bitrate ceiling. Changes are serialised per connection (setParameters() refuses
   * parameters read before another change). @private @param {Peer} peer
   */
  applyVideoParams(peer) {
    const t = peer.video;
    if (!t || !peer.ready || peer.closed) return;
    peer.params = peer.params.then(async () => {
      if (peer.closed) return;
      const sender = t.sender;
      const want = { scale: peer.fullVideo ? 1 : startScale(sender.track), maxBitrate: this.maxBitrate || peer.videoParams.maxBitrate };
      // (getParameters() waits for WebRTC's own threads: not called while nothing changes)
      if (want.scale === peer.videoParams.scale && want.maxBitrate === peer.videoParams.maxBitrate) return;
      for (let attempt = 1; ; attempt++) {
        const params = sender.getParameters();
        const enc = params.encodings?.[0];
        if (!enc) return; // not negotiated yet: applied again once connected
        enc.scaleResolutionDownBy = want.scale;
        if (want.maxBitrate) enc.maxBitrate = want.maxBitrate;
        try {
          await sender.setParameters(params);
          break;
        } catch (err) {
          // a negotiation completed between reading and writing them (RTCP parameters changed): read again
          if (attempt >= 2 || peer.closed) throw err;
        }
      }
      peer.videoParams = want;
    }).catch(() => { /* not negotiated yet, or closed meanwhile: applied again on the next change */ });
  }

  /**
   * Connected: from FULL_VIDEO_MIN_MS on, watch the bandwidth estimate of the selected candidate pair until
   * it carries full-resolution video (or FULL_VIDEO_AFTER_MS passed), then send full resolution.
   * @private @param {Peer} peer
   */
  watchBandwidth(peer) {
    if (peer.fullVideo || peer.bandwidthTimer !== undefined || peer.closed) return;
    const since = performance.now();
    const check = async () => {
      if (peer.closed || peer.fullVideo) { peer.bandwidthTimer = undefined; return; }
      let bps = 0;
      try {
        const stats = await peer.pc.getStats();
        /** @type {string | undefined} */
        let pair;
        stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = s.selectedCandidatePairId; });
        stats.forEach((s) => { if (s.type === 'candidate-pair' && s.id === pair && typeof s.availableOutgoingBitrate === 'number') bps = s.availableOutgoingBitrate; });
      } catch { /* closed meanwhile */ }
      if (peer.closed) { peer.bandwidthTimer = undefined; return; }
      if (bps >= Math.min(FULL_VIDEO_BPS, this.maxBitrate || FULL_VIDEO_BPS) || performance.now() - since >= FULL_VIDEO_AFTER_MS) {
        peer.bandwidthTimer = undefined;
        peer.fullVideo = true;
        this.applyVideoParams(peer);
        return;
      }
      peer.bandwidthTimer = setTimeout(check, BANDWIDTH_POLL_MS);
    };
    peer.bandwidthTimer = setTimeout(check, FULL_VIDEO_MIN_MS);
  }

  /** @private @param {Peer} peer */
  adoptReceivers(peer) {
    for (const t of [peer.audio, peer.video]) {
      if (t && !peer.stream.getTracks().includes(t.receiver.track)) peer.stream.addTrack(t.receiver.track);
    }
    const screen = peer.screen?.receiver.track;
    if (screen && !peer.screenStream.getTracks().includes(screen)) peer.screenStream.addTrack(screen);
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
      this.applyVideoParams(peer);
      this.watchBandwidth(peer);
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
