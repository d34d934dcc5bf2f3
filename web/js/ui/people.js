// people.js — the participant list (a side panel like the chat): everyone in the meeting, you first, with
// name, role, microphone, raised hand and reconnecting state; for hosts and moderators the people waiting
// in the lobby (Admit / Deny), the room-wide controls (mute everyone, lock, lobby, end) and, per
// participant, the controls their role allows (roles.js). Names are untrusted: text nodes only.
//
// The panel is redrawn from a model on every change; keepFocus() gives a keyboard user the focus back
// on the same control (data-key) after each redraw, and open action groups stay open.

import { h, initials, hueFor, keepFocus, setText } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';
import { roleLabel, actionsOn, moderates } from '../roles.js';

/** @typedef {import('../signaling.js').Role} Role */
/** @typedef {import('../signaling.js').MediaState} MediaState */
/** @typedef {import('../signaling.js').Knock} Knock */
/**
 * @typedef {{ id: string, name: string, role: Role, media: MediaState, hand: boolean, reconnecting: boolean }} PersonRow
 * @typedef {{ me: PersonRow, others: PersonRow[], locked: boolean, lobby: boolean, waiting: Knock[] }} PeopleModel
 * @typedef {(action: string, target?: string, role?: Role) => void} Act
 */

export class PeoplePanel {
  /** @param {{ act: Act, onClose: () => void }} opts */
  constructor(opts) {
    this.opts = opts;
    this.isOpen = false;
    /** @private @type {Set<string>} participants whose action group is open */ this.expanded = new Set();
    /** @private @type {PeopleModel | null} */ this.model = null;
    /** @private the model changed while the panel was closed: drawn when it opens */ this.stale = false;
    this.title = h('h2', { id: 'people-title', text: L('people.title') });
    this.closeBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': L('people.close'), onclick: () => this.opts.onClose() }, icon('close'));
    this.body = h('div', { class: 'people-body', tabindex: '-1' });
    this.el = h('aside', { class: 'side-panel people', id: 'people-panel', 'aria-labelledby': 'people-title', hidden: true },
      h('header', { class: 'panel-head' }, this.title, this.closeBtn),
      this.body);
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.defaultPrevented) { e.preventDefault(); this.opts.onClose(); }
    });
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.isOpen = open;
    if (open && this.stale) this.draw();
    this.el.hidden = !open;
    if (open) this.closeBtn.focus();
  }

  /**
   * Redraw from the model; while the panel is closed, only when it opens (a call redraws it on every
   * join, media change and role change, most of all while it starts, when the page's thread is busiest).
   * @param {PeopleModel} model
   */
  render(model) {
    this.model = model;
    const n = model.others.length + 1;
    setText(this.title, L('people.title_n', { n }));
    if (this.isOpen) this.draw();
    else this.stale = true;
  }

  /** @private */
  draw() {
    const model = this.model;
    this.stale = false;
    if (model) keepFocus(this.body, () => this.body.replaceChildren(...this.sections(model)), this.body);
  }

  /** @private @param {PeopleModel} m @returns {HTMLElement[]} */
  sections(m) {
    const role = m.me.role;
    const act = this.opts.act;
    /** @type {HTMLElement[]} */
    const out = [];
    if (moderates(role) && m.waiting.length) {
      out.push(h('section', { class: 'people-section people-lobby', 'aria-labelledby': 'people-lobby-title' },
        h('h3', { id: 'people-lobby-title', text: L('people.waiting', { n: m.waiting.length }) }),
        h('ul', { class: 'people-list' }, m.waiting.map((w) => h('li', { class: 'person waiting', dataset: { waitingId: w.id } },
          h('span', { class: 'person-name', text: w.name }),
          h('span', { class: 'person-buttons' },
            h('button', { type: 'button', class: 'btn btn-small btn-primary', 'aria-label': L('lobby.admit_name', { name: w.name }), dataset: { key: `admit:${w.id}`, action: 'admit' }, onclick: () => act('admit', w.id) }, L('lobby.admit')),
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': L('lobby.deny_name', { name: w.name }), dataset: { key: `deny:${w.id}`, action: 'deny' }, onclick: () => act('deny', w.id) }, L('lobby.deny'))))))));
    }
    if (moderates(role)) {
      const toggle = (/** @type {string} */ key, /** @type {import('../i18n.js').Label} */ label, /** @type {boolean} */ on, /** @type {() => void} */ click) =>
        h('button', { type: 'button', class: `btn btn-small toggle${on ? ' on' : ''}`, id: `room-${key}`, 'aria-pressed': String(on), dataset: { key: `room:${key}` }, onclick: click },
          h('span', { class: 'toggle-mark', 'aria-hidden': 'true' }), label);
      out.push(h('section', { class: 'people-section people-room', 'aria-labelledby': 'people-room-title' },
        h('h3', { id: 'people-room-title', text: L('people.controls') }),
        h('div', { class: 'room-controls' },
          h('button', { type: 'button', class: 'btn btn-small', id: 'room-mute-all', dataset: { key: 'room:mute-all' }, onclick: () => act('mute_all') }, icon('mic-off'), L('people.mute_all')),
          toggle('lock', L('people.lock'), m.locked, () => act(m.locked ? 'unlock' : 'lock')),
          toggle('lobby', L('people.lobby'), m.lobby, () => act(m.lobby ? 'lobby_off' : 'lobby_on')),
          role === 'host'
            ? h('button', { type: 'button', class: 'btn btn-small btn-danger', id: 'room-end', dataset: { key: 'room:end' }, onclick: () => act('end') }, L('people.end'))
            : null),
        h('p', { class: 'muted room-state' }, roomStateText(m))));
    } else if (m.locked || m.lobby) {
      out.push(h('p', { class: 'muted room-state people-note' }, roomStateText(m)));
    }
    const hosts = [m.me, ...m.others].filter((p) => p.role === 'host').length;
    out.push(h('section', { class: 'people-section', 'aria-labelledby': 'people-in-title' },
      h('h3', { id: 'people-in-title', text: L('people.in_meeting') }),
      h('ul', { class: 'people-list', id: 'people-list' },
        this.row(m.me, true, role, hosts),
        m.others.map((p) => this.row(p, false, role, hosts)))));
    return out;
  }

  /**
   * One participant: avatar, name, role, state, and the controls our role allows.
   * @private @param {PersonRow} p @param {boolean} me @param {Role} myRole @param {number} hosts
   */
  row(p, me, myRole, hosts) {
    const act = this.opts.act;
    const status = [];
    if (p.role !== 'participant') status.push(h('span', { class: `role-badge role-${p.role}`, text: roleLabel(p.role) }));
    if (p.reconnecting) status.push(h('span', { class: 'person-reconnecting', text: L('status.reconnecting') }));
    const mic = p.role === 'viewer'
      ? null
      : h('span', { class: `person-mic${p.media.audio ? '' : ' off'}`, role: 'img', 'aria-label': L(p.media.audio ? 'status.mic_on' : 'status.mic_off'), title: L(p.media.audio ? 'status.mic_on' : 'status.mic_off') },
        icon(p.media.audio ? 'mic' : 'mic-off'));
    const hand = p.hand ? h('span', { class: 'person-hand', role: 'img', 'aria-label': L('status.hand'), title: L('status.hand') }, icon('hand')) : null;

    /** @type {HTMLElement[]} */
    let actions = [];
    if (me) {
      if (myRole === 'host' && hosts > 1) {
        actions = [h('button', { type: 'button', class: 'btn btn-small', dataset: { key: `self:step-down`, action: 'set_role' }, onclick: () => act('set_role', p.id, 'participant') }, L('people.step_down'))];
      }
    } else {
      actions = actionsOn(myRole, { role: p.role, audio: p.media.audio })
        .filter((a) => a.action !== 'mute')
        .map((a) => h('button', {
          type: 'button', class: `btn btn-small${a.danger ? ' btn-danger-ghost' : ''}`,
          // (the group is labelled "Controls for <name>": the visible text is the whole accessible name)
          dataset: { key: `${a.action}:${a.role ?? ''}:${p.id}`, action: a.action, role: a.role ?? '' },
          onclick: () => act(a.action, p.id, a.role),
        }, a.label));
    }
    const canMute = !me && actionsOn(myRole, { role: p.role, audio: p.media.audio }).some((a) => a.action === 'mute');
    const muteBtn = canMute
      ? h('button', {
        type: 'button', class: 'btn btn-small', 'aria-label': L('people.mute_name', { name: p.name }), title: L('people.mute_tip'),
        dataset: { key: `mute:${p.id}`, action: 'mute' }, onclick: () => act('mute', p.id),
      }, L('people.mute'))
      : null;
    const groupId = `person-actions-${p.id}`;
    const open = this.expanded.has(p.id) && actions.length > 0;
    const more = actions.length
      ? h('button', {
        type: 'button', class: 'icon-btn person-more', 'aria-expanded': String(open), 'aria-controls': groupId,
        'aria-label': me ? L('people.your_role') : L('people.more_for', { name: p.name }), title: me ? L('people.your_role') : L('people.more_for', { name: p.name }), dataset: { key: `more:${p.id}` },
        onclick: () => {
          if (this.expanded.has(p.id)) this.expanded.delete(p.id);
          else this.expanded.add(p.id);
          if (this.model) this.render(this.model);
        },
      }, icon('more'))
      : null;
    const label = me ? L('name.you', { name: p.name }) : p.name;
    return h('li', {
      class: 'person', dataset: { peerId: p.id, role: p.role, hand: String(p.hand), local: String(me), reconnecting: String(p.reconnecting) },
    },
    h('div', { class: 'person-main' },
      h('span', { class: 'person-avatar', 'aria-hidden': 'true', style: { '--hue': String(hueFor(p.id)) }, text: initials(p.name) }),
      h('span', { class: 'person-text' },
        h('span', { class: 'person-name', text: label, title: label }),
        status.length ? h('span', { class: 'person-status' }, status) : null),
      h('span', { class: 'person-icons' }, hand, mic),
      muteBtn, more),
    actions.length ? h('div', { class: 'person-actions', id: groupId, role: 'group', 'aria-label': me ? L('people.your_role') : L('people.controls_for', { name: p.name }), hidden: !open }, actions) : null);
  }
}

/** @param {PeopleModel} m */
function roomStateText(m) {
  /** @type {(string | import('../i18n.js').Label)[]} */
  const parts = [L(m.locked ? 'people.state_locked' : 'people.state_open')];
  if (m.lobby) parts.push(' ', L('people.state_lobby'));
  return parts;
}
