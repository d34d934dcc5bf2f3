// call-layout.js — the call's layout choices wired to the room: grid or speaker view (remembered in
// localStorage), the room's spotlight (from the model) on the tiles with a toast saying who, a host's
// spotlight asked of the server (`moderate` spotlight / spotlight_off), and in SFU rooms the participant
// pinned or spotlighted sent to the SFU as `pin`, so its video is forwarded whatever last-N decides.

import { toast } from './toast.js';
import { L } from '../i18n.js';
import { moderate } from './call-host.js';

/** @typedef {import('./call.js').Call} Call */
/** @typedef {import('../layout.js').LayoutMode} LayoutMode */

const KEY = 'ruang.layout';

/** The layout the user chose last (grid by default). @returns {LayoutMode} */
export function savedLayout() {
  try { return localStorage.getItem(KEY) === 'speaker' ? 'speaker' : 'grid'; } catch { return 'grid'; }
}

/** Choose (and remember) grid or speaker view. @param {Call} call @param {LayoutMode} mode */
export function setLayout(call, mode) {
  try { localStorage.setItem(KEY, mode); } catch { /* not remembered */ }
  call.ui?.tiles.setMode(mode);
  toast(L(mode === 'speaker' ? 'layout.speaker_toast' : 'layout.grid_toast'));
}

/** Ask the server to spotlight `id` for everyone (null: remove it). @param {Call} call @param {string | null} id */
export function requestSpotlight(call, id) {
  void moderate(call, id ? 'spotlight' : 'spotlight_off', id ?? undefined);
}

/** Follow the room's spotlight and send the SFU our pin (listeners go with the call's cleanups). @param {Call} call */
export function wireLayout(call) {
  const tiles = call.ui?.tiles;
  if (!tiles) return;
  tiles.setMode(savedLayout());
  tiles.setSpotlight(call.model.spotlight);
  let pinSent = /** @type {string | null} */ (null);
  const sendPin = () => {
    const id = call.model.mediaMode === 'sfu' ? tiles.pinned ?? tiles.spotlight : null;
    if (call.model.mediaMode !== 'sfu' || id === pinSent) return;
    pinSent = id;
    call.signaling.pin(id);
  };
  tiles.onFocus = () => sendPin();
  const onState = (/** @type {Event} */ e) => {
    const { spotlight, was, quiet } = /** @type {CustomEvent} */ (e).detail;
    if (spotlight === was.spotlight) return;
    tiles.setSpotlight(spotlight);
    sendPin();
    if (quiet) return;
    if (spotlight) toast(spotlight === call.you ? L('spotlight.you') : L('spotlight.other', { name: call.model.nameOf(spotlight) }));
    else toast(L('spotlight.removed'));
  };
  const onMode = () => { pinSent = null; sendPin(); };
  call.model.addEventListener('room_state', onState);
  call.model.addEventListener('media_mode', onMode);
  call.cleanups.push(() => {
    call.model.removeEventListener('room_state', onState);
    call.model.removeEventListener('media_mode', onMode);
  });
}
