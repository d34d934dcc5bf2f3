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
