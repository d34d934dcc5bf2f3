// browser-key.js — a random key this browser keeps for the server (localStorage) and sends on join, so a
// ban in an open or password room also covers the same browser coming back as someone new. The server keeps
// only its hash. No DOM.

const STORE_NAME = 'ruang.browserKey';

/** 32 random bytes as 64 hex digits (the protocol takes at most 128 bytes). */
function freshKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * This browser's key, made on first use; `undefined` where storage is unavailable (private mode), so no
 * key is sent rather than one that changes every time.
 * @returns {string | undefined}
 */
export function browserKey() {
  try {
    const kept = localStorage.getItem(STORE_NAME);
    if (kept && /^[0-9a-f]{64}$/.test(kept)) return kept;
    const key = freshKey();
    localStorage.setItem(STORE_NAME, key);
    return key;
  } catch {
    return undefined;
  }
}
