// transport.js — the media transport as the call sees it: how our media reaches the others and theirs
// reaches us. The mesh (mesh.js: one RTCPeerConnection per participant, negotiated over `signal`) is the
// only transport today; an SFU transport (one connection to a server-side media member) can be added
// beside it by implementing the same interface. ui/call.js talks to a transport only through what is
// written here, and creates one only through createTransport().
//
// A transport is GIVEN (TransportOptions):
//   - signaling: where to send its negotiation messages (`signal(to, data)`) and whether the server is
//     reachable right now (`connected`); the call passes the signaling session;
//   - iceServers / icePolicy: from `welcome` (renewed later with updateIce());
//   - localTracks(): our current microphone and camera/screen tracks (read when a connection is made);
//   - sending: false for a viewer (receives only, sends no track);
//   - warm: a connection made ahead on the pre-join screen (see prepareTransport()), or null.
// It is TOLD (methods): who is in the room (addPeer with `polite` = they came after us, removePeer),
// the negotiation messages addressed to us (handleSignal), a connection to check after a reset resume
// (heal), fresh ICE servers (updateIce), a new local track (setTrack), whether to send at all
// (setSending), how many participants share our upload (setSendBudget), and close().
// It EMITS (CustomEvent detail): `track {peer}` (a remote participant's stream has a new track: show
// peer.stream), `state {peer, state}` (the media connection state towards that participant: 'new',
// 'connecting', 'connected', 'disconnected', 'failed', 'closed'), `peer_replaced {peer}` (the link to that
// participant was rebuilt: new stream, new stats source), `channel {peer, channel}` (the `files` data
// channel to that participant is open), `peer_added {peer}`, `peer_removed {id}`.
// Stats hooks: each RemotePeer's `pc` answers getStats() for the media from that participant (quality
// hints, tests) and carries its data channel's SCTP limits.

import { Mesh, warmConnection } from './mesh.js';

/** @typedef {import('./wire.js').SignalData} SignalData */
/** @typedef {import('./wire.js').IceServer} IceServer */
/** @typedef {import('./wire.js').IcePolicy} IcePolicy */
/** @typedef {{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null }} LocalTracks */
/**
 * @typedef {{ signal(to: string, data: SignalData): void, readonly connected: boolean }} SignalSender
 *   what a transport needs of the signaling
 */
/**
 * @typedef {{ signaling: SignalSender, iceServers: IceServer[], icePolicy: IcePolicy, localTracks: () => LocalTracks,
 *   sending?: boolean, warm?: RTCPeerConnection | null }} TransportOptions
 */
/**
 * One remote participant as a transport links to it.
 * @typedef {{ readonly id: string, readonly polite: boolean, readonly stream: MediaStream,
 *   readonly answered: Promise<void>, readonly pc: RTCPeerConnection }} RemotePeer
 *   stream: their audio and video; answered: settles once our first offer to them is answered (or the
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
 *   setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>,
 *   setSending(on: boolean): Promise<void>,
 *   setSendBudget(budget: { peers: number, screen: boolean }): void,
 *   close(): void,
 * }} MediaTransport
 *   peers: the links by participant id; created: media connections made so far (a resume makes none)
 */

/**
 * The transport for a call (the mesh).
 * @param {TransportOptions} opts @returns {MediaTransport}
 */
export function createTransport(opts) {
  return new Mesh(opts);
}

/**
 * What the transport can make ahead while the pre-join screen shows (the mesh: the connection it offers
 * from first), passed back as `warm`. Close it if it is not used.
 * @returns {RTCPeerConnection}
 */
export function prepareTransport() {
  return warmConnection();
}
