// sfu-tracks.js — whose track is it, in an SFU room (docs/protocol.md, "Whose track is it"): every track the
// SFU sends carries the sending participant's id as its msid stream id. A participant may be announced
// (peer_joined, welcome) before or after its tracks arrive, and an SFU may reuse a receiver for another
// participant, so the owner of each track is kept here and each participant's tracks are handed out when
// both are known. Pure bookkeeping over opaque track objects: no DOM, no WebRTC, tested in Node.

/**
 * @template T a track (a MediaStreamTrack in the browser)
 */
export class TrackOwners {
  constructor() {
    /** @private @type {Map<T, string>} track → the participant it belongs to */ this.owner = new Map();
    /** @private @type {Set<string>} participants we show */ this.known = new Set();
  }

  /**
   * A track arrived for `owner` (its msid stream id). Returns what to do: `from` a participant whose stream
   * must lose it (the receiver was reused), `to` the participant whose stream gains it (null while that
   * participant is not known yet: the track is kept until join()).
   * @param {string} owner @param {T} track @returns {{ from: string | null, to: string | null }}
   */
  add(owner, track) {
    const before = this.owner.get(track) ?? null;
    this.owner.set(track, owner);
    const from = before !== null && before !== owner && this.known.has(before) ? before : null;
    const to = this.known.has(owner) ? owner : null;
    return { from, to: before === owner && to !== null ? null : to };
  }

  /**
   * A track is gone (negotiated away). Returns the participant whose stream must lose it, or null.
   * @param {T} track @returns {string | null}
   */
  remove(track) {
    const owner = this.owner.get(track) ?? null;
    this.owner.delete(track);
    return owner !== null && this.known.has(owner) ? owner : null;
  }

  /**
   * A participant is known now: its tracks that arrived before it.
   * @param {string} id @returns {T[]}
   */
  join(id) {
    this.known.add(id);
    return this.tracksOf(id);
  }

  /** A participant left (its tracks stay owned by it, in case it comes back). @param {string} id */
  leave(id) { this.known.delete(id); }

  /** The tracks we hold for `id`. @param {string} id @returns {T[]} */
  tracksOf(id) {
    /** @type {T[]} */
    const out = [];
    for (const [track, owner] of this.owner) if (owner === id) out.push(track);
    return out;
  }

  /** Everything goes (a new connection to the SFU). */
  clear() { this.owner.clear(); }
}
