// ui/reactions.js — reactions on the call screen: the "React" button beside the raised hand with its menu
// of the protocol's emoji (a keyboard-usable popup that stays open for several reactions, Esc closes), and
// the marks over a tile when someone reacts, each announced once, politely, to screen readers. Any role
// reacts, viewers too. The set and the budget that mirrors the server's rate are in ../reactions.js.
//
// Stable for tests: #btn-react (aria-expanded), #reaction-menu with one button per emoji (data-emoji), and
// on a tile `.tile-reaction[data-emoji]` while the reaction shows; #reaction-announcer is the live region.

import { h, setText } from './dom.js';
import { L } from '../i18n.js';
import { toast } from './toast.js';
import { REACTIONS, REACTION_SHOW_MS, ReactionBudget, reactionLabel } from '../reactions.js';

/** Most reactions shown over one tile at once (a burst from one person stays readable). */
const MAX_PER_TILE = 3;

export class ReactionPicker {
  /** @param {(emoji: string) => void} send sends one reaction (the server echoes it to everyone) */
  constructor(send) {
    /** @private */ this.send = send;
    /** @private */ this.budget = new ReactionBudget(performance.now());
    this.button = h('button', {
      type: 'button', id: 'btn-react', class: 'ctl ctl-react', 'aria-label': L('reaction.send'),
      title: L('reaction.send'), 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'reaction-menu',
      onclick: () => this.toggle(),
    }, h('span', { class: 'ctl-emoji', 'aria-hidden': 'true', text: '\u{1F44D}' }));
    this.items = REACTIONS.map((r) => h('button', {
      type: 'button', class: 'reaction-choice', dataset: { emoji: r.emoji }, 'aria-label': L(r.key), title: L(r.key),
      onclick: () => this.choose(r.emoji),
    }, h('span', { 'aria-hidden': 'true', text: r.emoji })));
    this.menu = h('div', { id: 'reaction-menu', class: 'reaction-menu', role: 'group', 'aria-label': L('reaction.group'), hidden: true }, ...this.items);
    this.menu.addEventListener('keydown', (e) => this.onKey(e));
    this.el = h('div', { class: 'reaction-picker' }, this.button, this.menu);
    /** @private */ this.onOutside = (/** @type {PointerEvent} */ e) => {
      if (!this.el.contains(/** @type {Node} */ (e.target))) this.close(false);
    };
  }

  /** @param {boolean} [open] */
  toggle(open = this.menu.hidden) {
    if (open) {
      this.menu.hidden = false;
      this.button.setAttribute('aria-expanded', 'true');
      this.items[0].focus();
      document.addEventListener('pointerdown', this.onOutside, true);
    } else this.close(true);
  }

  /** @param {boolean} refocus give the focus back to the button (closed from the keyboard) */
  close(refocus) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', this.onOutside, true);
    if (refocus) this.button.focus();
  }

  /** @param {string} emoji */
  choose(emoji) {
    if (!this.budget.take(performance.now())) {
      toast(L('reaction.too_many'));
      return;
    }
    this.send(emoji);
  }

  /** Arrows move between the emoji, Esc closes. @private @param {KeyboardEvent} e */
  onKey(e) {
    const at = this.items.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    const move = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (move !== undefined) {
      e.preventDefault();
      this.items[(at + move + this.items.length) % this.items.length].focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      this.items[e.key === 'Home' ? 0 : this.items.length - 1].focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close(true);
    }
  }

  destroy() { this.close(false); }
}

/** The polite live region that announces reactions (one per call screen). @returns {HTMLElement} */
export function reactionAnnouncer() {
  return h('div', { id: 'reaction-announcer', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
}

/**
 * Show a reaction over a tile for a few seconds and announce it.
 * @param {{ tile: HTMLElement | undefined, emoji: string, who: string | import('../i18n.js').Label, announcer: HTMLElement | null }} a
 *   who: the sender's display name as text ("You" for us)
 */
export function showReaction({ tile, emoji, who, announcer }) {
  if (announcer) setText(announcer, L('reaction.announce', { name: who, reaction: reactionLabel(emoji) }));
  if (!tile) return;
  const shown = tile.querySelectorAll('.tile-reaction');
  if (shown.length >= MAX_PER_TILE) shown[0].remove();
  // side by side when several show at once
  const shift = ['0', '-1.4em', '1.4em'][tile.querySelectorAll('.tile-reaction').length] ?? '0';
  const mark = h('span', { class: 'tile-reaction', dataset: { emoji }, 'aria-hidden': 'true', text: emoji, style: { '--shift': shift } });
  tile.append(mark);
  setTimeout(() => mark.remove(), REACTION_SHOW_MS);
}
