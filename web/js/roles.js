// roles.js — who may do what in a meeting (protocol.md, "Roles and host controls"), as the UI needs it to
// decide which controls to show. The server enforces the same rules regardless. No DOM.

/** @typedef {import('./signaling.js').Role} Role */

/** @type {Record<Role, string>} */
export const ROLE_LABEL = { host: 'Host', moderator: 'Moderator', participant: 'Participant', viewer: 'Viewer' };

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
 * @typedef {{ action: 'mute' | 'remove' | 'ban' | 'set_role', role?: Role, label: string, danger?: boolean }} PersonAction
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
  if (target.audio) out.push({ action: 'mute', label: 'Mute' });
  if (givesRoles(actor)) {
    /** @type {[Role, string][]} */
    const roles = [['host', 'Make host'], ['moderator', 'Make moderator'], ['participant', 'Make participant'], ['viewer', 'Make viewer']];
    for (const [role, label] of roles) if (role !== target.role) out.push({ action: 'set_role', role, label });
  }
  out.push({ action: 'remove', label: 'Remove', danger: true });
  out.push({ action: 'ban', label: 'Ban…', danger: true });
  return out;
}
