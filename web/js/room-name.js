// room-name.js — room names: random unguessable ones for new meetings, and parsing what people paste.
// No DOM.

import { ROOM_RE } from './signaling.js';

// 32 symbols without look-alikes (no l, o, 0, 1); 256 / 32 divides evenly, so `byte & 31` is unbiased.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * A new room name: 16 random base32 symbols (80 bits) in groups of four, e.g. "k7fq-m2xa-9tbe-wd4p".
 * @returns {string}
 */
export function randomRoomName() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/**
 * Accept a bare room name or a pasted invite link (".../r/<room>"); null when neither is valid.
 * @param {string} input
 * @returns {string | null}
 */
export function parseRoomInput(input) {
  const s = input.trim();
  if (ROOM_RE.test(s)) return s;
  const m = /\/r\/([A-Za-z0-9_-]{1,64})\/?(?:[?#].*)?$/.exec(s);
  return m ? m[1] : null;
}

/**
 * The room of the current location, if the path is /r/<room>.
 * @param {string} pathname
 * @returns {string | null | undefined} the room; null for an invalid /r/ path; undefined for other paths
 */
export function roomFromPath(pathname) {
  const m = /^\/r\/([^/]*)\/?$/.exec(pathname);
  if (!m) return undefined;
  let name;
  try { name = decodeURIComponent(m[1]); } catch { return null; }
  return ROOM_RE.test(name) ? name : null;
}

/** Invitation tokens are JWTs (three base64url parts); the server takes at most 2048 bytes. */
const INVITE_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The invitation in a page address's fragment, `#invite=<token>` (after `#`, so it never reaches a server
 * log); null when there is none or it is not shaped like one.
 * @param {string} hash e.g. location.hash
 * @returns {string | null}
 */
export function inviteFromHash(hash) {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('invite');
  return token && token.length <= 2048 && INVITE_RE.test(token) ? token : null;
}

/**
 * The invitation in a pasted link (".../r/<room>#invite=<token>"), or null.
 * @param {string} input
 * @returns {string | null}
 */
export function inviteFromInput(input) {
  const i = input.indexOf('#');
  return i < 0 ? null : inviteFromHash(input.slice(i).trim());
}

/**
 * What an invitation says (read, not verified: only the server can check it), for the pre-join screen.
 * @param {string} token
 * @returns {{ room: string | null, role: import('./signaling.js').Role | null, name: string | null } | null}
 */
export function inviteClaims(token) {
  try {
    const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== 'object' || claims === null) return null;
    const str = (/** @type {unknown} */ v) => (typeof v === 'string' && v ? v : null);
    const role = ['host', 'moderator', 'participant', 'viewer'].includes(claims.role) ? claims.role : null;
    return { room: str(claims.room), role, name: str(claims.name) };
  } catch {
    return null;
  }
}
