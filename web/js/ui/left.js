// left.js — the screen after the call, for every way out: we left, a host removed or banned us, the
// meeting ended, the lobby turned us away, or the room would not take us (locked, banned, by invitation
// only, a bad invitation). The heading says what happened and who did it; names are text nodes.

import { h, setTitle } from './dom.js';
import { L } from '../i18n.js';

/**
 * @typedef {{ reason: string, title: import('../i18n.js').Label, detail?: import('../i18n.js').Label, rejoin?: boolean }} Outcome
 * reason: left, cancelled, removed, banned, ended, denied, room_locked, invite_required, invalid_invite, …
 * (also `data-reason` on the screen); rejoin: offer the Rejoin button (default true).
 */

/** @returns {Outcome} */
export function leftOutcome() {
  return { reason: 'left', title: L('out.left') };
}

/** @returns {Outcome} */
export function cancelledOutcome() {
  return { reason: 'cancelled', title: L('out.cancelled'), detail: L('out.cancelled_detail') };
}

/**
 * Taken out of the room (`removed`).
 * @param {string} reason removed, banned, ended or denied
 * @param {string | null} by the name of who did it; null when unknown (e.g. while waiting in the lobby)
 * @param {boolean} byYou we did it ourselves (ended the meeting)
 * @returns {Outcome}
 */
export function removedOutcome(reason, by, byYou) {
  switch (reason) {
    case 'ended':
      if (byYou) return { reason, title: L('out.ended_by_you') };
      return { reason, title: by ? L('out.ended', { name: by }) : L('out.ended_anon') };
    case 'banned':
      return { reason, title: by ? L('out.banned', { name: by }) : L('out.banned_anon'), detail: L('out.banned_detail'), rejoin: false };
    case 'denied':
      return { reason, title: L('out.denied'), detail: by ? L('out.denied_detail', { name: by }) : L('out.denied_detail_anon') };
    default:
      return { reason: 'removed', title: by ? L('out.removed', { name: by }) : L('out.removed_anon') };
  }
}

/**
 * A join refused for good (first join, or joining afresh after a lost session): the left screen says why.
 * Null for refusals the pre-join screen shows instead (full room, bad name, …).
 * @param {string} code
 * @returns {Outcome | null}
 */
export function refusalOutcome(code) {
  switch (code) {
    case 'room_locked':
      return { reason: code, title: L('out.room_locked'), detail: L('out.room_locked_detail') };
    case 'banned':
      return { reason: code, title: L('out.banned_room'), detail: L('out.banned_room_detail'), rejoin: false };
    case 'invite_required':
      return { reason: code, title: L('out.invite_required'), detail: L('out.invite_required_detail'), rejoin: false };
    case 'password_required':
    case 'wrong_password': // (joining afresh after a lost session, with the password that worked before)
      return { reason: 'password', title: L('out.password'), detail: L('out.password_detail') };
    case 'invalid_invite':
      return { reason: code, title: L('out.invalid_invite'), detail: L('out.invalid_invite_detail') };
    default:
      return null;
  }
}

/**
 * @param {HTMLElement} root
 * @param {string} room
 * @param {Outcome} outcome
 * @param {{ onRejoin: () => void, onHome: () => void }} actions
 */
export function renderLeft(root, room, outcome, { onRejoin, onHome }) {
  const left = outcome.reason === 'left';
  setTitle(L(left ? 'out.doc_left' : 'out.doc_out'));
  const rejoin = outcome.rejoin === false
    ? null
    : h('button', { type: 'button', class: 'btn btn-primary', id: 'rejoin', onclick: onRejoin }, L('out.rejoin'));
  const home = h('button', { type: 'button', class: rejoin ? 'btn' : 'btn btn-primary', id: 'go-home', onclick: onHome }, L('out.home'));
  root.replaceChildren(h('main', { class: 'landing', id: 'left', dataset: { reason: outcome.reason } },
    h('section', { class: 'landing-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { text: outcome.title })),
      outcome.detail ? h('p', { class: 'left-detail', id: 'left-detail', text: outcome.detail }) : null,
      h('p', { class: 'tagline' }, L('room.label'), ' ', h('code', { class: 'room-name', text: room })),
      h('div', { class: 'prejoin-actions' }, rejoin, home))));
  (rejoin ?? home).focus();
}
