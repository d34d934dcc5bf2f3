// files.js — peer-to-peer file transfer over each peer's negotiated 'files' RTCDataChannel (see mesh.js).
//
// Owns the transfer protocol, flow control, hashing and the received Blob. No DOM: the UI renders the
// `Transfer` objects from the `incoming` and `update` events and calls offer()/accept()/decline()/cancel().
//
// Channel protocol (JSON text messages, plus binary chunks):
//   → {t:'offer', id, name, size}        ← {t:'accept', id} | {t:'decline', id}
//   → {t:'begin', id}  → binary chunks (≤ min(sctp.maxMessageSize, 16 KiB))  → {t:'end', id, sha256}
//   ← {t:'ok', id} | {t:'bad', id}       either side: {t:'cancel', id}
// One file at a time per channel (the chunks carry no id); more accepted files wait in a queue.
// Memory: the sender reads the File slice by slice; the receiver keeps chunks as parts (compacted into
// Blobs every few MB so the browser may page them out) and builds one Blob at the end. SHA-256 is
// computed incrementally on both sides (sha256.js) and compared on arrival.
// Received files are always typed application/octet-stream: a peer must not be able to make us open
// its HTML under our origin through a blob: URL.

import { Sha256 } from './sha256.js';
import { t as say } from './i18n.js';

const READ_BYTES = 1 << 20; // read the File 1 MiB at a time
const MAX_CHUNK = 16 * 1024;
const BUFFER_HIGH = 4 << 20; // pause sending above this many buffered bytes…
const BUFFER_LOW = 1 << 20; // …and resume when the buffer drains below this
const COMPACT_BYTES = 8 << 20; // receiver: fold chunks into a Blob part every 8 MiB
const PROGRESS_MS = 120;

/**
 * @typedef {'offered' | 'incoming' | 'accepted' | 'sending' | 'receiving' | 'verifying' | 'done' |
 *   'declined' | 'cancelled' | 'failed'} TransferState
 */

/** One file going to or coming from one peer. */
export class Transfer {
  /**
   * @param {{ id: string, peerId: string, direction: 'out' | 'in', name: string, size: number, file?: File }} init
   */
  constructor({ id, peerId, direction, name, size, file }) {
    this.id = id;
    this.peerId = peerId;
    this.direction = direction;
    this.name = name;
    this.size = size;
    /** @type {File | undefined} sender only */ this.file = file;
    /** @type {TransferState} */ this.state = direction === 'out' ? 'offered' : 'incoming';
    this.bytes = 0;
    /** @type {string | null} hex SHA-256 once known */ this.sha256 = null;
    /** @type {string | null} blob: URL of the received file */ this.url = null;
    /** @type {string | null} */ this.error = null;
    this.startedAt = 0;
    this.finishedAt = 0;
  }

  get active() { return ['offered', 'incoming', 'accepted', 'sending', 'receiving', 'verifying'].includes(this.state); }
}

/** @param {string} name */
function cleanName(name) {
  // eslint-disable-next-line no-control-regex
  const n = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').trim().slice(0, 200);
  return n || 'file';
}

function newId() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * @typedef {{ peerId: string, channel: RTCDataChannel, pc: RTCPeerConnection, queue: Transfer[],
 *   sending: boolean, current: Transfer | null, hasher: Sha256 | null, parts: Blob[], pending: ArrayBuffer[],
 *   pendingBytes: number }} Link
 */

export class FileTransfers extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Transfer>} */ this.transfers = new Map();
    /** @private @type {Map<string, Link>} */ this.links = new Map();
    /** @private @type {Map<string, number>} */ this.lastProgress = new Map();
  }

  /**
   * Use this peer's files channel.
   * @param {string} peerId
   * @param {RTCDataChannel} channel
   * @param {RTCPeerConnection} pc
   */
  attach(peerId, channel, pc) {
    this.detach(peerId);
    /** @type {Link} */
    const link = { peerId, channel, pc, queue: [], sending: false, current: null, hasher: null, parts: [], pending: [], pendingBytes: 0 };
    this.links.set(peerId, link);
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = BUFFER_LOW;
    channel.addEventListener('message', (ev) => this.onMessage(link, ev.data));
    channel.addEventListener('close', () => { if (this.links.get(peerId) === link) this.detach(peerId); });
  }

  /** The peer is gone: every unfinished transfer with it fails. @param {string} peerId */
  detach(peerId) {
    const link = this.links.get(peerId);
    if (!link) return;
    this.links.delete(peerId);
    for (const t of this.transfers.values()) {
      if (t.peerId === peerId && t.active) this.finish(t, 'failed', say('files.error.peer_closed'));
    }
    link.parts = [];
    link.pending = [];
  }

  /** @param {string} peerId */
  canSendTo(peerId) { return this.links.has(peerId); }

  /**
   * Offer a file to some peers (one transfer each).
   * @param {File} file
   * @param {string[]} peerIds
   * @returns {Transfer[]}
   */
  offer(file, peerIds) {
    const out = [];
    for (const peerId of peerIds) {
      const link = this.links.get(peerId);
      if (!link) continue;
      const t = new Transfer({ id: newId(), peerId, direction: 'out', name: cleanName(file.name), size: file.size, file });
      this.transfers.set(t.id, t);
      out.push(t);
      this.sendJson(link, { t: 'offer', id: t.id, name: t.name, size: t.size });
      this.emit('update', t);
    }
    return out;
  }

  /** Receiver: accept an incoming offer. @param {string} id */
  accept(id) {
    const t = this.transfers.get(id);
    const link = t && this.links.get(t.peerId);
    if (!t || !link || t.state !== 'incoming') return;
    t.state = 'accepted';
    this.sendJson(link, { t: 'accept', id });
    this.emit('update', t);
  }

  /** Receiver: decline an incoming offer. @param {string} id */
  decline(id) {
    const t = this.transfers.get(id);
    if (!t || t.state !== 'incoming') return;
    const link = this.links.get(t.peerId);
    if (link) this.sendJson(link, { t: 'decline', id });
    this.finish(t, 'declined');
  }

  /** Either side: stop a transfer. @param {string} id */
  cancel(id) {
    const t = this.transfers.get(id);
    if (!t || !t.active) return;
    const link = this.links.get(t.peerId);
    if (link) {
      this.sendJson(link, { t: 'cancel', id });
      if (link.current === t) this.resetIncoming(link);
    }
    this.finish(t, 'cancelled');
  }

  // ---------------------------------------------------------------- internals

  /** @private @param {Link} link @param {Record<string, unknown>} msg */
  sendJson(link, msg) {
    const ch = link.channel;
    const go = () => { if (ch.readyState === 'open') ch.send(JSON.stringify(msg)); };
    if (ch.readyState === 'connecting') ch.addEventListener('open', go, { once: true });
    else go();
  }

  /** @private @param {Link} link @param {unknown} data */
  onMessage(link, data) {
    if (typeof data !== 'string') { this.onChunk(link, /** @type {ArrayBuffer} */ (data)); return; }
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (typeof m !== 'object' || m === null || typeof m.id !== 'string' || m.id.length > 64) return;
    const t = this.transfers.get(m.id);
    if (t && t.peerId !== link.peerId) return; // ids belong to one peer
    switch (m.t) {
      case 'offer': {
        if (t || typeof m.name !== 'string' || typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0) return;
        const incoming = new Transfer({ id: m.id, peerId: link.peerId, direction: 'in', name: cleanName(m.name), size: m.size });
        this.transfers.set(incoming.id, incoming);
        this.emit('incoming', incoming);
        this.emit('update', incoming);
        return;
      }
      case 'accept':
        if (t?.direction === 'out' && t.state === 'offered') {
          t.state = 'accepted';
          link.queue.push(t);
          this.emit('update', t);
          void this.pump(link);
        }
        return;
      case 'decline':
        if (t?.direction === 'out' && t.state === 'offered') this.finish(t, 'declined');
        return;
      case 'cancel':
        if (t?.active) {
          if (link.current === t) this.resetIncoming(link);
          this.finish(t, 'cancelled');
        }
        return;
      case 'begin':
        if (t?.direction === 'in' && t.state === 'accepted') {
          this.resetIncoming(link);
          link.current = t;
          link.hasher = new Sha256();
          t.state = 'receiving';
          t.startedAt = performance.now();
          this.emit('update', t);
        }
        return;
      case 'end':
        if (t && link.current === t && typeof m.sha256 === 'string') void this.complete(link, t, m.sha256);
        return;
      case 'ok':
      case 'bad':
        if (t?.direction === 'out' && t.state === 'verifying') {
          if (m.t === 'ok') this.finish(t, 'done');
          else this.finish(t, 'failed', say('files.error.receiver_mismatch'));
        }
        return;
      default:
    }
  }

  /** @private @param {Link} link @param {ArrayBuffer} buf */
  onChunk(link, buf) {
    const t = link.current;
    if (!t || !link.hasher) return;
    link.hasher.update(buf);
    link.pending.push(buf);
    link.pendingBytes += buf.byteLength;
    t.bytes += buf.byteLength;
    if (link.pendingBytes >= COMPACT_BYTES) {
      link.parts.push(new Blob(link.pending));
      link.pending = [];
      link.pendingBytes = 0;
    }
    if (t.bytes > t.size) {
      this.sendJson(link, { t: 'cancel', id: t.id });
      this.resetIncoming(link);
      this.finish(t, 'failed', say('files.error.too_many_bytes'));
      return;
    }
    this.progress(t);
  }

  /** @private @param {Link} link @param {Transfer} t @param {string} expected */
  async complete(link, t, expected) {
    const hasher = link.hasher;
    const parts = [...link.parts, new Blob(link.pending)];
    link.current = null;
    link.hasher = null;
    link.parts = [];
    link.pending = [];
    link.pendingBytes = 0;
    t.state = 'verifying';
    this.emit('update', t);
    const actual = hasher ? hasher.hex() : '';
    t.sha256 = actual;
    if (t.bytes !== t.size || actual !== expected.toLowerCase()) {
      this.sendJson(link, { t: 'bad', id: t.id });
      this.finish(t, 'failed', say(t.bytes !== t.size ? 'files.error.incomplete' : 'files.error.damaged'));
      return;
    }
    const blob = new Blob(parts, { type: 'application/octet-stream' });
    t.url = URL.createObjectURL(blob);
    this.sendJson(link, { t: 'ok', id: t.id });
    this.finish(t, 'done');
  }

  /** @private @param {Link} link */
  resetIncoming(link) {
    link.current = null;
    link.hasher = null;
    link.parts = [];
    link.pending = [];
    link.pendingBytes = 0;
  }

  /** Send the accepted files of one channel, one after the other. @private @param {Link} link */
  async pump(link) {
    if (link.sending) return;
    link.sending = true;
    try {
      while (link.queue.length) {
        const t = /** @type {Transfer} */ (link.queue.shift());
        if (t.state !== 'accepted' || this.links.get(link.peerId) !== link) continue;
        try {
          await this.sendFile(link, t);
        } catch (err) {
          if (t.active) this.finish(t, 'failed', err instanceof Error ? err.message : String(err));
        }
      }
    } finally {
      link.sending = false;
    }
  }

  /** @private @param {Link} link @param {Transfer} t */
  async sendFile(link, t) {
    const ch = link.channel;
    const file = /** @type {File} */ (t.file);
    const max = link.pc.sctp?.maxMessageSize;
    const chunk = Math.max(1024, Math.min(typeof max === 'number' && max > 0 ? max : MAX_CHUNK, MAX_CHUNK));
    const hasher = new Sha256();
    t.state = 'sending';
    t.startedAt = performance.now();
    this.emit('update', t);
    ch.send(JSON.stringify({ t: 'begin', id: t.id }));
    let sent = 0;
    for (let off = 0; off < t.size; off += READ_BYTES) {
      const buf = new Uint8Array(await file.slice(off, Math.min(off + READ_BYTES, t.size)).arrayBuffer());
      hasher.update(buf);
      for (let p = 0; p < buf.length; p += chunk) {
        if (t.state !== 'sending') return; // cancelled
        if (ch.readyState !== 'open') throw new Error(say('files.error.closed'));
        if (ch.bufferedAmount > BUFFER_HIGH) await drained(ch);
        if (t.state !== 'sending') return;
        const piece = buf.subarray(p, Math.min(p + chunk, buf.length));
        ch.send(piece);
        sent += piece.length;
        t.bytes = Math.max(0, sent - ch.bufferedAmount);
        this.progress(t);
      }
    }
    t.sha256 = hasher.hex();
    ch.send(JSON.stringify({ t: 'end', id: t.id, sha256: t.sha256 }));
    t.bytes = t.size;
    t.state = 'verifying';
    this.emit('update', t);
  }

  /** @private @param {Transfer} t */
  progress(t) {
    const now = performance.now();
    if (now - (this.lastProgress.get(t.id) ?? 0) < PROGRESS_MS) return;
    this.lastProgress.set(t.id, now);
    this.emit('update', t);
  }

  /** @private @param {Transfer} t @param {TransferState} state @param {string} [error] */
  finish(t, state, error) {
    t.state = state;
    t.error = error ?? null;
    t.finishedAt = performance.now();
    t.file = undefined;
    this.lastProgress.delete(t.id);
    this.emit('update', t);
  }

  /** @private @param {string} type @param {Transfer} t */
  emit(type, t) { this.dispatchEvent(new CustomEvent(type, { detail: t })); }
}

/**
 * Resolve when the channel's buffer drains below its low threshold; reject if it closes.
 * @param {RTCDataChannel} ch
 * @returns {Promise<void>}
 */
function drained(ch) {
  return new Promise((resolve, reject) => {
    const done = () => { ch.removeEventListener('bufferedamountlow', done); ch.removeEventListener('close', fail); resolve(); };
    const fail = () => { ch.removeEventListener('bufferedamountlow', done); ch.removeEventListener('close', fail); reject(new Error(say('files.error.closed'))); };
    ch.addEventListener('bufferedamountlow', done);
    ch.addEventListener('close', fail);
  });
}
