// lobby.js — both sides of the lobby. Hosts and moderators: a prominent, non-modal notice above the video
// grid listing who waits to be let in, with Admit and Deny (the same list is in the participant list).
// Newcomers: the waiting screen ("Waiting for the host to let you in") with a way to give up.

import { h, keepFocus, setText, setTitle } from './dom.js';
import { L } from '../i18n.js';

/** @typedef {import('../signaling.js').Knock} Knock */
/** @typedef {import('../media.js').LocalMedia} LocalMedia */

export class LobbyNotice {
  /** @param {{ admit: (id: string) => void, deny: (id: string) => void }} actions */
  constructor(actions) {
    this.actions = actions;
    this.title = h('h2', { id: 'lobby-notice-title', class: 'lobby-title' });
    this.list = h('ul', { class: 'lobby-list' });
    this.el = h('section', { class: 'lobby-notice', id: 'lobby-notice', 'aria-labelledby': 'lobby-notice-title', hidden: true, tabindex: '-1' },
      this.title, this.list);
  }

  /**
   * Show who waits (nothing when nobody does, or when we may not let anyone in).
   * @param {Knock[]} waiting
   * @param {boolean} mayAdmit
   */
  render(waiting, mayAdmit) {
    const show = mayAdmit && waiting.length > 0;
    this.el.hidden = !show;
    if (!show) return;
    setText(this.title, L('lobby.waiting', { n: waiting.length }));
    keepFocus(this.el, () => this.list.replaceChildren(...waiting.map((w) => h('li', { class: 'lobby-item', dataset: { waitingId: w.id } },
      h('span', { class: 'lobby-name', text: w.name }),
      h('span', { class: 'lobby-buttons' },
        h('button', { type: 'button', class: 'btn btn-small btn-primary', 'aria-label': L('lobby.admit_name', { name: w.name }), dataset: { key: `admit:${w.id}`, action: 'admit' }, onclick: () => this.actions.admit(w.id) }, L('lobby.admit')),
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': L('lobby.deny_name', { name: w.name }), dataset: { key: `deny:${w.id}`, action: 'deny' }, onclick: () => this.actions.deny(w.id) }, L('lobby.deny')))))), this.el);
  }
}

/**
 * The waiting screen of a newcomer held in the lobby. The call takes the page over when a host lets us in.
 * @param {HTMLElement} root
 * @param {{ room: string, name: string, media: LocalMedia, onLeave: () => void }} opts
 * @returns {() => void} cleanup
 */
export function renderWaiting(root, { room, name, media, onLeave }) {
  setTitle(L('lobby.doc_title', { room }));
  const heading = h('h1', { tabindex: '-1', text: L('lobby.heading') });
  const video = h('video', { autoplay: true, playsinline: true, class: 'mirror', 'aria-label': L('prejoin.preview') });
  video.muted = true;
  video.playsInline = true;
  const track = media.cameraOn ? media.cameraTrack : null;
  if (track) {
    video.srcObject = new MediaStream([track]);
    video.play().catch(() => {});
  }
  root.replaceChildren(h('main', { class: 'landing', id: 'waiting' },
    h('section', { class: 'landing-card waiting-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), heading),
      h('p', { class: 'tagline' }, L('room.label'), ' ', h('code', { class: 'room-name', text: room })),
      track ? h('div', { class: 'waiting-preview' }, video) : null,
      h('p', { class: 'waiting-status', role: 'status' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        h('span', { text: L('lobby.asked', { name }) })),
      h('div', { class: 'prejoin-actions' },
        h('button', { type: 'button', class: 'btn', id: 'leave-lobby', onclick: onLeave }, L('controls.leave'))))));
  heading.focus();
  return () => { video.srcObject = null; };
}
