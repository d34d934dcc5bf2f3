// menu.js — a menu button (WAI-ARIA menu button pattern): a button with aria-haspopup and aria-expanded
// that opens a list of role="menu" items. Keyboard: Enter, Space or ArrowDown on the button open it at the
// first item, ArrowUp at the last; in the menu ArrowUp/ArrowDown (wrapping), Home/End move, Enter/Space
// choose, Escape closes and gives the focus back to the button, Tab closes. A click outside closes it.
// Items are plain buttons (role menuitem, or menuitemradio with aria-checked); hidden ones are skipped.
// Used for the control bar's "More" menu and each tile's options.

import { h } from './dom.js';

let menus = 0;

export class MenuButton {
  /**
   * @param {{ button: HTMLButtonElement, label: string | import('../i18n.js').Label, onOpen?: () => void, className?: string }} opts
   *   button: the trigger (made by the caller: its look and label); onOpen: refresh the items before showing
   */
  constructor({ button, label, onOpen, className = '' }) {
    const id = `menu-${++menus}`;
    this.button = button;
    this.onOpen = onOpen;
    this.list = h('div', { class: `menu ${className}`.trim(), id, role: 'menu', 'aria-label': label, hidden: true });
    button.setAttribute('aria-haspopup', 'menu');
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', id);
    this.el = h('div', { class: 'menu-wrap' }, button, this.list);
    button.addEventListener('click', () => (this.isOpen ? this.close() : this.open(0)));
    button.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this.open(e.key === 'ArrowDown' ? 0 : -1);
      }
    });
    this.list.addEventListener('keydown', (e) => this.onKey(e));
    /** @private */
    this.outside = (/** @type {Event} */ e) => {
      if (!this.el.contains(/** @type {Node} */ (e.target))) this.close(false);
    };
    this.list.addEventListener('focusout', (e) => {
      const to = /** @type {Node | null} */ (e.relatedTarget);
      if (to && !this.el.contains(to)) this.close(false);
    });
  }

  get isOpen() { return !this.list.hidden; }

  /**
   * An item. `checked` makes it a menuitemradio. The menu closes after `onselect` runs.
   * @param {{ text: string | import('../i18n.js').Label, icon?: Node, onselect: () => void, checked?: boolean, id?: string, className?: string }} item
   * @returns {HTMLButtonElement}
   */
  item({ text, icon, onselect, checked, id, className }) {
    const role = checked === undefined ? 'menuitem' : 'menuitemradio';
    const el = h('button', { type: 'button', role, class: `menu-item ${className ?? ''}`.trim(), id, tabindex: '-1' },
      icon ?? null, h('span', { class: 'menu-text', text }));
    if (checked !== undefined) el.setAttribute('aria-checked', String(checked));
    el.addEventListener('click', () => {
      this.close();
      onselect();
    });
    this.list.append(el);
    return el;
  }

  /** A separator between groups of items. */
  separator() { this.list.append(h('div', { class: 'menu-sep', role: 'separator' })); }

  /** Open, focusing item `index` (-1: the last). @param {number} index */
  open(index) {
    this.onOpen?.();
    this.list.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', this.outside, true);
    this.position();
    const items = this.items();
    items.at(index)?.focus();
  }

  /**
   * Place the open list next to the button, inside the viewport: below it if it fits, else above; its right
   * edge at the button's (fixed positioning, so a tile's clipping does not cut it).
   * @private
   */
  position() {
    const list = this.list.style;
    list.position = 'fixed';
    list.left = list.top = '0px';
    const b = this.button.getBoundingClientRect();
    const m = this.list.getBoundingClientRect();
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const below = b.bottom + 6 + m.height <= vh - 6;
    const top = below ? b.bottom + 6 : Math.max(6, b.top - 6 - m.height);
    const left = Math.min(Math.max(6, b.right - m.width), vw - m.width - 6);
    list.top = `${Math.round(top)}px`;
    list.left = `${Math.round(Math.max(6, left))}px`;
  }

  /** Close; the focus goes back to the button unless it moved elsewhere. @param {boolean} [refocus] */
  close(refocus = true) {
    if (!this.isOpen) return;
    this.list.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', this.outside, true);
    if (refocus) this.button.focus();
  }

  /** @private the items shown now */
  items() {
    return /** @type {HTMLButtonElement[]} */ ([...this.list.querySelectorAll('.menu-item')])
      .filter((el) => !el.hidden && el.getClientRects().length > 0);
  }

  /** @private @param {KeyboardEvent} e */
  onKey(e) {
    const items = this.items();
    const at = items.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    const go = (/** @type {number} */ i) => { e.preventDefault(); items[(i + items.length) % items.length]?.focus(); };
    switch (e.key) {
      case 'ArrowDown': go(at + 1); break;
      case 'ArrowUp': go(at - 1); break;
      case 'Home': go(0); break;
      case 'End': go(items.length - 1); break;
      case 'Escape': e.preventDefault(); e.stopPropagation(); this.close(); break;
      case 'Tab': this.close(false); break;
      default:
    }
  }
}
