// transfers.js — file-transfer cards shown in the chat stream: offer (accept / decline), progress bar,
// verification, download link. Renders `Transfer` objects from files.js; holds no transfer logic.

import { h, replaceChildren, formatBytes } from './dom.js';
import { icon } from './icons.js';

/** @typedef {import('../files.js').Transfer} Transfer */
/** @typedef {import('../files.js').FileTransfers} FileTransfers */

const STATUS = {
  offered: 'Waiting for them to accept…',
  incoming: 'wants to send you this file.',
  accepted: 'Starting…',
  sending: 'Sending',
  receiving: 'Receiving',
  verifying: 'Checking SHA-256…',
  done: '',
  declined: 'Declined',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

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
    this.progress = h('progress', { max: String(Math.max(1, t.size)), value: '0', 'aria-label': `Progress of ${t.name}` });
    this.status = h('span', { class: 'xfer-status' });
    this.actions = h('div', { class: 'xfer-actions' });
    const who = nameOf(t.peerId);
    this.el = h('div', { class: 'xfer', dataset: { transferId: t.id, direction: t.direction, state: t.state } },
      h('div', { class: 'xfer-head' },
        icon('file', 'xfer-icon'),
        h('div', { class: 'xfer-title' },
          h('span', { class: 'xfer-name', text: t.name, title: t.name }),
          h('span', { class: 'xfer-sub', text: `${formatBytes(t.size)} · ${t.direction === 'out' ? `to ${who}` : `from ${who}`}` }))),
      this.progress, h('div', { class: 'xfer-foot' }, this.status, this.actions));
    this.update();
  }

  update() {
    const t = this.t;
    this.el.dataset.state = t.state;
    this.progress.value = t.bytes;
    this.progress.hidden = !['sending', 'receiving', 'verifying'].includes(t.state);
    let status = STATUS[t.state];
    if (t.state === 'sending' || t.state === 'receiving') {
      const secs = (performance.now() - t.startedAt) / 1000;
      const rate = secs > 0.5 ? ` · ${formatBytes(t.bytes / secs)}/s` : '';
      status = `${status} ${Math.floor((100 * t.bytes) / Math.max(1, t.size))}%${rate}`;
    } else if (t.state === 'incoming') {
      status = `${this.nameOf(t.peerId)} ${status}`;
    } else if (t.state === 'done') {
      status = t.direction === 'out' ? 'Delivered, checksum verified' : 'Received, checksum verified';
    } else if (t.error) {
      status = `${status}: ${t.error}`;
    }
    this.status.textContent = status;
    const buttons = [];
    if (t.state === 'incoming') {
      buttons.push(h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-action': 'accept', onclick: () => this.files.accept(t.id) }, 'Accept'));
      buttons.push(h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'decline', onclick: () => this.files.decline(t.id) }, 'Decline'));
    } else if (t.active) {
      buttons.push(h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'cancel', onclick: () => this.files.cancel(t.id) }, 'Cancel'));
    } else if (t.state === 'done' && t.url) {
      buttons.push(h('a', { class: 'btn btn-small btn-primary', href: t.url, download: t.name, 'data-action': 'download' }, icon('download'), 'Save'));
    }
    // re-render actions only when the set of buttons changes, so focus is not lost during progress updates
    const key = buttons.map((b) => b.getAttribute('data-action')).join();
    if (this.actions.dataset.key !== key) {
      this.actions.dataset.key = key;
      replaceChildren(this.actions, buttons);
    }
  }
}
