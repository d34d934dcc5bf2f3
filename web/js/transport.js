// transport.js — the media transport as the call sees it: how our media reaches the others and theirs
// reaches us. Two carry media: the mesh (mesh.js: one RTCPeerConnection per participant, negotiated over
// `signal`) and the SFU connection (sfu.js: one RTCPeerConnection to the room's media server). The call
// gets one MediaSwitch (media-switch.js), which implements this interface over both and follows the room's
// media mode (setMode), moving every participant's media from one to the other make-before-break.
// ui/call.js talks to a transport only through what is written here, and creates one only through
// createTransport().
//
// A transport is GIVEN (TransportOptions):
//   - signaling: where to send its negotiation messages (`signal(to, data)`) and whether the server is
//     reachable right now (`connected`); the call passes the signaling session (which also sends the SFU
//     messages `layers` and `tiles`);
//   - iceServers / icePolicy: from `welcome` (renewed later with updateIce());
//   - localTracks(): our current microphone, camera and screen tracks (read when a connection is made);
//   - sending: false for a viewer (receives only, sends no track);
//   - warm: a connection made ahead on the pre-join screen (see prepareTransport()), or null;
//   - mode / sfu: the room's media mode and media server id from the welcome.
// It is TOLD (methods): who is in the room (addPeer with `polite` = they came after us, removePeer),
// the negotiation messages addressed to us (handleSignal), a connection to check after a reset resume
// (heal), fresh ICE servers (updateIce), a new local track (setTrack: microphone, camera or screen), whether to send at all
// (setSending), how many participants share our upload (setSendBudget), the room's media mode (setMode),
// how tall each participant's tile is (setTiles: SFU rooms ask for the layer that fits), that we want to
// send files to someone (openFiles: SFU rooms open a files-only connection), that we are a new
// participant after a refused resume (renew: a new SFU connection), and close().
// It EMITS (CustomEvent detail): `track {peer}` (a remote participant's streams have a new track: show
// peer.stream, their microphone and camera, and peer.screenStream, their screen share), `state {peer, state}` (the media connection state towards that participant: 'new',
// 'connecting', 'connected', 'disconnected', 'failed', 'closed'), `peer_replaced {peer}` (the link to that
// participant was rebuilt or moved between mesh and SFU: new stream, new stats source), `channel {peer,
// channel}` (the `files` data channel to that participant is open), `peer_added {peer}`, `peer_removed {id}`.
// Stats hooks: each RemotePeer's `pc` answers getStats() for the media from that participant (quality
// hints, tests; on the SFU, a view of that participant's receivers) and carries its SCTP limits.

import { warmConnection } from './mesh.js';
import { MediaSwitch } from './media-switch.js';

/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null, screen: MediaStreamTrack | null }} LocalTracks */
/**
 * @typedef {{ signal(to: string, data: SignalData): void, readonly connected: boolean }} SignalSender
 *   what a transport needs of the signaling
 */
/**
 * @typedef {{ signaling: SignalSender, iceServers: IceServer[], icePolicy: IcePolicy, localTracks: () => LocalTracks,
 *   sending?: boolean, warm?: RTCPeerConnection | null }} TransportOptions
 */
/** @typedef {import('./wire.js').MediaMode} MediaMode */
/**
 * One remote participant as a transport links to it.
 * @typedef {{ readonly id: string, readonly polite: boolean, readonly stream: MediaStream,
 *   readonly screenStream: MediaStream, readonly answered: Promise<void>, readonly pc: RTCPeerConnection }} RemotePeer
 *   stream: their audio and camera video; screenStream: their screen share's video (empty while they do
 *   not share, or in a files-only link); answered: settles once our first offer to them is answered (or the
 *   link is closed); pc: the stats source (getStats) for their media
 */
/**
 * @typedef {EventTarget & {
 *   readonly peers: ReadonlyMap<string, RemotePeer>,
 *   readonly created: number,
 *   addPeer(id: string, polite: boolean): RemotePeer,
 *   removePeer(id: string): void,
 *   handleSignal(from: string, data: SignalData): void,
 *   heal(id: string): boolean,
 *   updateIce(iceServers: IceServer[], policy: IcePolicy): void,
 *   setTrack(kind: 'audio' | 'video' | 'screen', track: MediaStreamTrack | null): Promise<void>,
 *   setSending(on: boolean): Promise<void>,
 *   setSendBudget(budget: { peers: number, screen: boolean }): void,
 *   setMode(mode: MediaMode, sfu: string | null): void,
 *   setTiles(heights: Map<string, number>): void,
 *   openFiles(id: string): void,
 *   renew(): void,
 *   info(): Record<string, unknown>,
 *   close(): void,
 * }} MediaTransport
 *   peers: the links by participant id; created: media connections made so far (a resume makes none).
 *   mesh.js and sfu.js implement the part up to setSendBudget each for their own kind of link;
 *   media-switch.js the whole.
 */

/**
 * The transport for a call: mesh or SFU as the room's media mode says, and the switch between them.
 * @param {TransportOptions & { signaling: import('./sfu.js').SfuSignaling, mode: MediaMode, sfu: string | null }} opts
 * @returns {MediaTransport}
 */
export function createTransport(opts) {
  return new MediaSwitch(opts);
}

/**
 * What the transport can make ahead while the pre-join screen shows (the mesh: the connection it offers
 * from first), passed back as `warm`. Close it if it is not used.
 * @returns {RTCPeerConnection}
 */
export function prepareTransport() {
  return warmConnection();
}
