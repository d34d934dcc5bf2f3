// roles.js — who may do what in a meeting (protocol.md, "Roles and host controls"), as the UI needs it to
// decide which controls to show. The server enforces the same rules regardless. No DOM.

import { L } from './i18n.js';

/** @typedef {import('./signaling.js').Role} Role */

/**
 * A role's name (a label: it follows the language).
 * @param {Role} role @param {boolean} [inSentence] the form used inside a sentence ("as host")
 * @returns {import('./i18n.js').Label}
 */
export const roleLabel = (role, inSentence = false) => L(inSentence ? `role.${role}.in_sentence` : `role.${role}`);

/** Hosts and moderators keep order: remove, ban, mute, mute everyone, lock, the lobby. @param {Role} role */
export const moderates = (role) => role === 'host' || role === 'moderator';

/**
 * Whether `actor` may remove, ban or mute someone whose role is `target` (moderators: only participants
 * and viewers). Never oneself (the caller checks).
 * @param {Role} actor @param {Role} target
 */
export function mayActOn(actor, target) {
  if (actor === 'host') return true;
  return actor === 'moderator' && !moderates(target);
}

/** Only hosts give roles and end the meeting. @param {Role} actor */
export const givesRoles = (actor) => actor === 'host';

/**
 * @typedef {{ action: 'mute' | 'remove' | 'ban' | 'set_role', role?: Role, label: import('./i18n.js').Label, danger?: boolean }} PersonAction
 */

/**
 * The controls `actor` may use on another participant with `target`'s role and microphone state, in the
 * order the participant list shows them. `mute` only while the microphone is on.
 * @param {Role} actor @param {{ role: Role, audio: boolean }} target
 * @returns {PersonAction[]}
 */
export function actionsOn(actor, target) {
  /** @type {PersonAction[]} */
  const out = [];
  if (!mayActOn(actor, target.role)) return out;
  if (target.audio) out.push({ action: 'mute', label: L('people.mute') });
  if (givesRoles(actor)) {
    /** @type {Role[]} */
    const roles = ['host', 'moderator', 'participant', 'viewer'];
    for (const role of roles) if (role !== target.role) out.push({ action: 'set_role', role, label: L(`people.make.${role}`) });
  }
  out.push({ action: 'remove', label: L('people.remove'), danger: true });
  out.push({ action: 'ban', label: L('people.ban'), danger: true });
  return out;
}
