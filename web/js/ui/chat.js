// chat.js — the chat panel: history and live messages (in the server's order), the composer, the unread
// badge count, and the place where file-transfer cards appear. Everything from peers is rendered as text.
// A message already shown (same seq, sender, time and text: history sent again after a resume) is not
// shown twice; seq alone does not identify a message, since a restarted server counts from 1 again.

import { h, replaceChildren, setText } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';

/** @typedef {import('../signaling.js').ChatMessage} ChatMessage */

const GROUP_MS = 2 * 60 * 1000;
/** @type {Intl.DateTimeFormat | null} made at the first message shown (making one takes ~30-90 ms: not at load) */
let timeFmt = null;
/** @param {Date} time */
const clock = (time) => (timeFmt ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })).format(time);

export class ChatPanel {
  /**
   * @param {{ you: () => string, onSend: (text: string) => void, onFiles: (files: File[]) => void,
   *   onUnread: (n: number) => void, onClose: () => void, maxBytes: number, canShareFiles: () => boolean }} opts
   */
  constructor(opts) {
    this.opts = opts;
    this.unread = 0;
    this.isOpen = false;
    /** @private @type {Set<string>} messages shown, by seq, sender, time and text */ this.seen = new Set();
    /** @type {{ from: string, ts: number } | null} */ this.lastGroup = null;

    this.list = h('ol', { class: 'chat-list', 'aria-label': L('chat.messages'), 'aria-live': 'polite', 'aria-relevant': 'additions' });
    this.empty = h('li', { class: 'chat-empty', text: L('chat.empty') });
    this.list.appendChild(this.empty);
    this.input = h('textarea', {
      id: 'chat-input', class: 'chat-input', rows: 1, placeholder: L('chat.placeholder'), 'aria-label': L('chat.message'),
      maxlength: String(opts.maxBytes), enterkeyhint: 'send',
    });
    this.fileInput = h('input', { type: 'file', multiple: true, class: 'visually-hidden', id: 'file-input', tabindex: '-1', 'aria-hidden': 'true' });
    this.attachBtn = h('button', {
      type: 'button', class: 'icon-btn', id: 'btn-attach', 'aria-label': L('chat.share_file'), title: L('chat.share_file_tip'),
      onclick: () => {
        if (!this.opts.canShareFiles()) { this.flash(L('chat.nobody')); return; }
        this.fileInput.click();
      },
    }, icon('attach'));
    this.sendBtn = h('button', { type: 'submit', class: 'icon-btn send-btn', id: 'btn-send', 'aria-label': L('chat.send') }, icon('send'));
    this.hint = h('p', { class: 'chat-hint', 'aria-live': 'polite' });
    /** @private @type {string | import('../i18n.js').Label} a standing notice in the hint line (e.g. while reconnecting) */ this.notice = '';
    this.form = h('form', { class: 'chat-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.send(); } },
      this.attachBtn, this.fileInput, this.input, this.sendBtn);
    this.closeBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': L('chat.close'), onclick: () => this.opts.onClose() }, icon('close'));
    this.el = h('aside', { class: 'chat', id: 'chat-panel', 'aria-label': L('chat.title'), hidden: true },
      h('header', { class: 'panel-head' }, h('h2', { text: L('chat.title') }), this.closeBtn),
      this.list, this.hint, this.form);

    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); }
      if (e.key === 'Escape') { e.preventDefault(); this.opts.onClose(); }
    });
    this.input.addEventListener('input', () => this.autosize());
    this.fileInput.addEventListener('change', () => {
      const files = Array.from(this.fileInput.files ?? []);
      this.fileInput.value = '';
      if (files.length) this.opts.onFiles(files);
    });
  }

  /** @param {string | import('../i18n.js').Label} text */
  flash(text) {
    setText(this.hint, text);
    const shown = this.hint.firstChild;
    setTimeout(() => { if (this.hint.firstChild === shown) setText(this.hint, this.notice); }, 4000);
  }

  /** A standing notice under the messages ('' removes it). @param {string | import('../i18n.js').Label} text */
  setNotice(text) {
    if (this.hint.textContent === String(this.notice)) setText(this.hint, text);
    this.notice = text;
  }

  autosize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
  }

  send() {
    const text = this.input.value;
    if (!text.trim()) return;
    if (new TextEncoder().encode(text).length > this.opts.maxBytes) {
      this.flash(L('chat.too_long', { n: this.opts.maxBytes }));
      return;
    }
    this.opts.onSend(text);
    this.input.value = '';
    this.autosize();
  }

  /**
   * Show a message (history or live), in arrival order; one already shown is ignored.
   * @param {ChatMessage} m
   * @param {{ history?: boolean }} [opts]
   */
  addMessage(m, { history = false } = {}) {
    const key = JSON.stringify([m.seq, m.from, m.ts, m.text]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.empty.remove();
    const own = m.from === this.opts.you();
    const grouped = this.lastGroup && this.lastGroup.from === m.from && m.ts - this.lastGroup.ts < GROUP_MS;
    this.lastGroup = { from: m.from, ts: m.ts };
    const time = new Date(m.ts);
    const li = h('li', { class: `msg${own ? ' own' : ''}${grouped ? ' grouped' : ''}`, dataset: { seq: m.seq, from: m.from } },
      grouped ? null : h('div', { class: 'msg-meta' },
        h('span', { class: 'msg-name', text: own ? L('you') : m.name }),
        h('time', { class: 'msg-time', datetime: time.toISOString(), title: time.toLocaleString(), text: clock(time) })),
      h('div', { class: 'msg-text', text: m.text }));
    this.appendItem(li, !history && !own);
  }

  /**
   * Add a non-message item (file transfer card) to the stream.
   * @param {HTMLElement} el
   * @param {boolean} countsAsUnread
   */
  addItem(el, countsAsUnread) {
    this.empty.remove();
    this.lastGroup = null;
    this.appendItem(h('li', { class: 'chat-item' }, el), countsAsUnread);
  }

  /** @private @param {HTMLElement} li @param {boolean} unread */
  appendItem(li, unread) {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.appendChild(li);
    if (atBottom || !unread) this.list.scrollTop = this.list.scrollHeight;
    if (unread && !this.isOpen) {
      this.unread++;
      this.opts.onUnread(this.unread);
    }
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.isOpen = open;
    this.el.hidden = !open;
    if (open) {
      this.unread = 0;
      this.opts.onUnread(0);
      this.list.scrollTop = this.list.scrollHeight;
      this.input.focus();
    }
  }

  clear() {
    replaceChildren(this.list, this.empty);
    this.seen.clear();
  }
}
