// toast.js — short, polite notifications (joins, leaves, errors) in one live region.

import { h } from './dom.js';

/** @type {HTMLElement | null} */
let region = null;

function ensureRegion() {
  if (!region || !region.isConnected) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  return region;
}

/**
 * Show a toast for a few seconds.
 * @param {string | import('../i18n.js').Label} text plain text (never HTML); a label follows the language
 * @param {{ kind?: 'info' | 'error', ms?: number }} [opts]
 */
export function toast(text, { kind = 'info', ms = 4000 } = {}) {
  const r = ensureRegion();
  const el = h('div', { class: `toast toast-${kind}`, text });
  r.appendChild(el);
  while (r.childElementCount > 4) r.firstElementChild?.remove();
  setTimeout(() => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 250);
  }, ms);
}
