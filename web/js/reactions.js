// reactions.js — the reactions a participant may send (the protocol's fixed set, with spoken names), and a
// budget that mirrors the server's rate (5 at once, one back every 2 s) so the page does not send what the
// server would drop. DOM-free; the picker and the marks over tiles are in ui/reactions.js.

import { t } from './i18n.js';

/** @typedef {{ emoji: string, key: string, readonly label: string }} ReactionKind key: its name in the tables; label: that name now */

/** The protocol's reactions, in the order the picker shows them (docs/protocol.md, `react`). */
export const REACTIONS = /** @type {readonly ReactionKind[]} */ ([
  ['\u{1F44D}', 'reaction.thumbs_up'],
  ['\u{1F44F}', 'reaction.applause'],
  ['\u{1F602}', 'reaction.laughing'],
  ['\u{1F62E}', 'reaction.surprised'],
  ['\u{2764}\u{FE0F}', 'reaction.heart'],
  ['\u{1F389}', 'reaction.celebrate'],
].map(([emoji, key]) => Object.freeze({ emoji, key, get label() { return t(key); } })));

/** Reactions the server takes at once, and how long one takes to come back (ms). */
export const REACTION_BURST = 5;
export const REACTION_REFILL_MS = 2000;
/** How long a reaction shows over a tile (ms). */
export const REACTION_SHOW_MS = 4000;

/** @param {unknown} emoji @returns {boolean} whether it is one of the protocol's reactions */
export function isReaction(emoji) {
  return REACTIONS.some((r) => r.emoji === emoji);
}

/** @param {string} emoji @returns {string} its spoken name ("Applause"), or the emoji itself */
export function reactionLabel(emoji) {
  return REACTIONS.find((r) => r.emoji === emoji)?.label ?? emoji;
}

/** The server's reaction budget, kept on our side with time passed in (ms on any monotonic clock). */
export class ReactionBudget {
  /** @param {number} now */
  constructor(now) {
    /** @private */ this.tokens = REACTION_BURST;
    /** @private */ this.at = now;
  }

  /** Takes one reaction if there is one left at `now`. @param {number} now @returns {boolean} */
  take(now) {
    const earned = Math.floor(Math.max(0, now - this.at) / REACTION_REFILL_MS);
    if (this.tokens + earned >= REACTION_BURST) {
      this.tokens = REACTION_BURST;
      this.at = now;
    } else if (earned > 0) {
      this.tokens += earned;
      this.at += earned * REACTION_REFILL_MS;
    }
    if (this.tokens === 0) return false;
    this.tokens -= 1;
    return true;
  }
}
