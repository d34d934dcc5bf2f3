// transfers.js — file-transfer cards shown in the chat stream: offer (accept / decline), progress bar,
// verification, download link. Renders `Transfer` objects from files.js; holds no transfer logic.

import { h, replaceChildren, formatBytes, setText } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';

/** @typedef {import('../files.js').Transfer} Transfer */
/** @typedef {import('../files.js').FileTransfers} FileTransfers */

/** A transfer's state in words (the tables' `xfer.<state>`). */
const STATUS = new Set(['offered', 'accepted', 'verifying', 'declined', 'cancelled', 'failed']);

export class TransferCard {
  /**
   * @param {Transfer} t
   * @param {FileTransfers} files
   * @param {(id: string) => string} nameOf display name of a participant
   */
  constructor(t, files, nameOf) {
    this.t = t;
    this.files = files;
    this.nameOf = nameOf;
    this.progress = h('progress', { max: String(Math.max(1, t.size)), value: '0', 'aria-label': L('xfer.progress', { name: t.name }) });
    this.status = h('span', { class: 'xfer-status' });
    this.actions = h('div', { class: 'xfer-actions' });
    const who = nameOf(t.peerId);
    this.el = h('div', { class: 'xfer', dataset: { transferId: t.id, direction: t.direction, state: t.state } },
      h('div', { class: 'xfer-head' },
        icon('file', 'xfer-icon'),
        h('div', { class: 'xfer-title' },
          h('span', { class: 'xfer-name', text: t.name, title: t.name }),
          h('span', { class: 'xfer-sub', text: L(t.direction === 'out' ? 'xfer.to' : 'xfer.from', { size: formatBytes(t.size), name: who }) }))),
      this.progress, h('div', { class: 'xfer-foot' }, this.status, this.actions));
    this.update();
  }

  update() {
    const t = this.t;
    this.el.dataset.state = t.state;
    this.progress.value = t.bytes;
    this.progress.hidden = !['sending', 'receiving', 'verifying'].includes(t.state);
    /** @type {string | import('../i18n.js').Label} */
    let status = STATUS.has(t.state) ? L(`xfer.${t.state}`) : '';
    if (t.state === 'sending' || t.state === 'receiving') {
      const secs = (performance.now() - t.startedAt) / 1000;
      const rate = secs > 0.5 ? ` · ${formatBytes(t.bytes / secs)}/s` : '';
      status = L(`xfer.${t.state}`, { pct: Math.floor((100 * t.bytes) / Math.max(1, t.size)), rate });
    } else if (t.state === 'incoming') {
      status = L('xfer.incoming', { name: this.nameOf(t.peerId) });
    } else if (t.state === 'done') {
      status = L(t.direction === 'out' ? 'xfer.delivered' : 'xfer.received');
    } else if (t.error && status) {
      status = L('xfer.error', { status, error: t.error });
    }
    setText(this.status, status);
    const buttons = [];
    if (t.state === 'incoming') {
      buttons.push(h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-action': 'accept', onclick: () => this.files.accept(t.id) }, L('xfer.accept')));
      buttons.push(h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'decline', onclick: () => this.files.decline(t.id) }, L('xfer.decline')));
    } else if (t.active) {
      buttons.push(h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'cancel', onclick: () => this.files.cancel(t.id) }, L('dialog.cancel')));
    } else if (t.state === 'done' && t.url) {
      buttons.push(h('a', { class: 'btn btn-small btn-primary', href: t.url, download: t.name, 'data-action': 'download' }, icon('download'), L('xfer.save')));
    }
    // re-render actions only when the set of buttons changes, so focus is not lost during progress updates
    const key = buttons.map((b) => b.getAttribute('data-action')).join();
    if (this.actions.dataset.key !== key) {
      this.actions.dataset.key = key;
      replaceChildren(this.actions, buttons);
    }
  }
}
