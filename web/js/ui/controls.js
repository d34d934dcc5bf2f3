// controls.js — the call's control bar: microphone, camera, screen share, raise hand, leave; chat (with
// unread badge), participants (with a badge for people waiting in the lobby), devices, help. Viewers send
// no media, so they get no microphone, camera or screen buttons. Buttons carry aria-label + aria-pressed
// and show their shortcut in the tooltip. A "More" menu (menu.js) holds the layout (grid or speaker view)
// and the theme, and on narrow screens (phones) also the buttons that do not fit in one row there: share
// screen, raise hand, devices (CSS hides those buttons and shows the menu's items, `.narrow-only`).

import { h } from './dom.js';
import { icon } from './icons.js';
import { MenuButton } from './menu.js';
import { themeChoice, setTheme, THEME_CHOICES, THEME_TEXT } from './theme.js';

/**
 * @typedef {{ mic: () => void, camera: () => void, screen: () => void, hand: () => void, chat: () => void,
 *   people: () => void, devices: () => void, help: () => void, leave: () => void,
 *   layout: (mode: import('../layout.js').LayoutMode) => void, layoutMode: () => import('../layout.js').LayoutMode,
 *   narrowItems?: () => { text: string, id: string, onselect: () => void }[] }} ControlActions
 *   narrowItems: what other modules put in the bar (reactions, recording) and the More menu offers instead on
 *   narrow screens, where their buttons are hidden
 */

/**
 * @param {string} id
 * @param {string} label
 * @param {() => void} onclick
 * @param {string} [extra]
 */
function button(id, label, onclick, extra = '') {
  return h('button', { type: 'button', id, class: `ctl ${extra}`.trim(), 'aria-label': label, title: label, onclick });
}

export class ControlBar {
  /** @param {ControlActions} actions */
  constructor(actions) {
    this.mic = button('btn-mic', 'Microphone', actions.mic);
    this.camera = button('btn-camera', 'Camera', actions.camera);
    this.screen = button('btn-screen', 'Share screen', actions.screen);
    this.hand = button('btn-hand', 'Raise hand', actions.hand);
    this.hand.append(icon('hand'));
    this.hand.setAttribute('aria-pressed', 'false');
    this.peopleBadge = h('span', { class: 'badge badge-attention', hidden: true, 'aria-hidden': 'true' });
    this.people = button('btn-people', 'Participants (P)', actions.people);
    this.people.append(icon('users'), this.peopleBadge);
    this.people.setAttribute('aria-controls', 'people-panel');
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.chat = button('btn-chat', 'Chat (C)', actions.chat);
    this.chat.append(icon('chat'), this.badge);
    this.devices = button('btn-devices', 'Choose camera and microphone (D)', actions.devices, 'ctl-secondary');
    this.devices.append(icon('settings'));
    this.help = button('btn-help', 'Keyboard shortcuts (?)', actions.help, 'ctl-secondary');
    this.help.append(icon('help'));
    this.leave = button('btn-leave', 'Leave the meeting', actions.leave, 'ctl-leave');
    this.leave.append(icon('leave'), h('span', { class: 'ctl-text', text: 'Leave' }));
    this.more = button('btn-more', 'More options', () => {});
    this.more.append(icon('more'));
    this.moreMenu = new MenuButton({ button: this.more, label: 'More options', className: 'more-menu', onOpen: () => this.fillMenu() });
    this.actions = actions;
    /** @private the last state update() showed */ this.state = { screen: false, hand: false, viewer: false };
    /** whether this browser can share a screen at all */
    this.canShare = !!navigator.mediaDevices?.getDisplayMedia;
    if (!this.canShare) this.screen.hidden = true;
    this.el = h('nav', { class: 'controls', 'aria-label': 'Call controls' },
      h('div', { class: 'controls-spacer', 'aria-hidden': 'true' }),
      h('div', { class: 'controls-group controls-main' }, this.mic, this.camera, this.screen, this.hand, this.leave),
      h('div', { class: 'controls-group controls-aux' }, this.chat, this.people, this.devices, this.help, this.moreMenu.el));
  }

  /** @private the More menu's items, as they stand now */
  fillMenu() {
    const menu = this.moreMenu;
    const s = this.state;
    const a = this.actions;
    menu.list.replaceChildren();
    const narrow = 'narrow-only';
    if (!s.viewer && this.canShare) {
      menu.item({ text: s.screen ? 'Stop sharing your screen' : 'Share your screen', icon: icon('screen'), id: 'menu-screen', className: narrow, onselect: a.screen });
    }
    menu.item({ text: s.hand ? 'Lower your hand' : 'Raise your hand', icon: icon('hand'), id: 'menu-hand', className: narrow, onselect: a.hand });
    if (!s.viewer) menu.item({ text: 'Camera and microphone', icon: icon('settings'), id: 'menu-devices', className: narrow, onselect: a.devices });
    for (const extra of a.narrowItems?.() ?? []) menu.item({ ...extra, className: narrow });
    menu.separator();
    const mode = a.layoutMode();
    menu.item({ text: 'Grid view', icon: icon('grid'), id: 'menu-layout-grid', checked: mode === 'grid', onselect: () => a.layout('grid') });
    menu.item({ text: 'Speaker view', icon: icon('speaker'), id: 'menu-layout-speaker', checked: mode === 'speaker', onselect: () => a.layout('speaker') });
    menu.separator();
    const theme = themeChoice();
    for (const choice of THEME_CHOICES) {
      menu.item({ text: `Theme: ${THEME_TEXT[choice]}`, icon: icon('theme'), id: `menu-theme-${choice}`, checked: theme === choice, onselect: () => setTheme(choice) });
    }
  }

  /**
   * @param {{ mic: boolean, camera: boolean, screen: boolean, chatOpen: boolean, peopleOpen: boolean,
   *   hand: boolean, viewer: boolean }} s viewer: no media buttons at all
   */
  update(s) {
    this.state = { screen: s.screen, hand: s.hand, viewer: s.viewer };
    this.toggle(this.mic, s.mic, s.mic ? 'mic' : 'mic-off', 'Microphone', s.mic ? 'Turn off microphone (M)' : 'Turn on microphone (M)');
    this.toggle(this.camera, s.camera, s.camera ? 'camera' : 'camera-off', 'Camera', s.camera ? 'Turn off camera (V)' : 'Turn on camera (V)');
    this.toggle(this.screen, s.screen, 'screen', 'Share screen', s.screen ? 'Stop sharing your screen (S)' : 'Share your screen (S)');
    this.screen.classList.toggle('active', s.screen);
    this.mic.hidden = this.camera.hidden = s.viewer;
    this.devices.hidden = s.viewer;
    this.screen.hidden = s.viewer || !this.canShare;
    this.toggle(this.hand, s.hand, 'hand', 'Raise hand', s.hand ? 'Lower your hand (H)' : 'Raise your hand (H)');
    this.hand.classList.toggle('active', s.hand);
    this.chat.setAttribute('aria-pressed', String(s.chatOpen));
    this.chat.setAttribute('aria-expanded', String(s.chatOpen));
    this.chat.setAttribute('aria-controls', 'chat-panel');
    this.people.setAttribute('aria-pressed', String(s.peopleOpen));
    this.people.setAttribute('aria-expanded', String(s.peopleOpen));
  }

  /** People waiting in the lobby (shown to hosts and moderators). @param {number} n */
  setWaiting(n) {
    this.peopleBadge.hidden = n === 0;
    this.peopleBadge.textContent = String(n);
    const label = n ? `Participants, ${n} waiting to join (P)` : 'Participants (P)';
    this.people.setAttribute('aria-label', label);
    this.people.title = label;
  }

  /** @param {number} n */
  setUnread(n) {
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    this.chat.setAttribute('aria-label', n ? `Chat, ${n} unread (C)` : 'Chat (C)');
    this.chat.title = this.chat.getAttribute('aria-label') ?? '';
  }

  /**
   * A toggle keeps one accessible name; its state is aria-pressed, the tooltip says what a click does.
   * @private @param {HTMLButtonElement} btn @param {boolean} on @param {string} iconName @param {string} label @param {string} tip
   */
  toggle(btn, on, iconName, label, tip) {
    btn.setAttribute('aria-pressed', String(on));
    btn.setAttribute('aria-label', label);
    btn.title = tip;
    btn.classList.toggle('off', !on && btn !== this.screen && btn !== this.hand);
    btn.replaceChildren(icon(iconName));
  }
}
