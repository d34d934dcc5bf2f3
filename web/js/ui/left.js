// left.js — the screen after the call, for every way out: we left, a host removed or banned us, the
// meeting ended, the lobby turned us away, or the room would not take us (locked, banned, by invitation
// only, a bad invitation). The heading says what happened and who did it; names are text nodes.

import { h } from './dom.js';

/**
 * @typedef {{ reason: string, title: string, detail?: string, rejoin?: boolean }} Outcome
 * reason: left, cancelled, removed, banned, ended, denied, room_locked, invite_required, invalid_invite, …
 * (also `data-reason` on the screen); rejoin: offer the Rejoin button (default true).
 */

/** @returns {Outcome} */
export function leftOutcome() {
  return { reason: 'left', title: 'You left the meeting' };
}

/** @returns {Outcome} */
export function cancelledOutcome() {
  return { reason: 'cancelled', title: 'You stopped waiting to join', detail: 'Nobody let you in, and nobody was told you left.' };
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
      if (byYou) return { reason, title: 'You ended the meeting for everyone.' };
      return { reason, title: `${by ?? 'The host'} ended the meeting.` };
    case 'banned':
      return { reason, title: `${by ?? 'A host'} banned you from the meeting.`, detail: 'You cannot rejoin this meeting.', rejoin: false };
    case 'denied':
      return { reason, title: 'You were not let in.', detail: `${by ?? 'A host or moderator'} turned down your request to join.` };
    default:
      return { reason: 'removed', title: `${by ?? 'A host'} removed you from the meeting.` };
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
      return { reason: code, title: 'This meeting is locked.', detail: 'Nobody new can join right now. Ask a host to unlock it, then try again.' };
    case 'banned':
      return { reason: code, title: 'You were banned from this meeting.', detail: 'You cannot rejoin it.', rejoin: false };
    case 'invite_required':
      return { reason: code, title: 'This meeting is by invitation only.', detail: 'Open the invitation link you were sent, or ask the organiser for one.', rejoin: false };
    case 'password_required':
    case 'wrong_password': // (joining afresh after a lost session, with the password that worked before)
      return { reason: 'password', title: 'The meeting asks for a different password now.', detail: 'Rejoin and enter the current password.' };
    case 'invalid_invite':
      return { reason: code, title: 'This invitation link does not work.', detail: 'It may have expired, been changed, or be for another meeting. Ask the organiser for a new one.' };
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
  document.title = `${left ? 'You left' : 'Out of the meeting'} · ruang`;
  const rejoin = outcome.rejoin === false
    ? null
    : h('button', { type: 'button', class: 'btn btn-primary', id: 'rejoin', onclick: onRejoin }, 'Rejoin');
  const home = h('button', { type: 'button', class: rejoin ? 'btn' : 'btn btn-primary', id: 'go-home', onclick: onHome }, 'Start page');
  root.replaceChildren(h('main', { class: 'landing', id: 'left', dataset: { reason: outcome.reason } },
    h('section', { class: 'landing-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { text: outcome.title })),
      outcome.detail ? h('p', { class: 'left-detail', id: 'left-detail', text: outcome.detail }) : null,
      h('p', { class: 'tagline' }, 'Room ', h('code', { class: 'room-name', text: room })),
      h('div', { class: 'prejoin-actions' }, rejoin, home))));
  (rejoin ?? home).focus();
}
