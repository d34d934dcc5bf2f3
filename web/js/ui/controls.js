// controls.js — the call's control bar: microphone, camera, screen share, raise hand, leave; chat (with
// unread badge), participants (with a badge for people waiting in the lobby), devices, help. Viewers send
// no media, so they get no microphone, camera or screen buttons. Buttons carry aria-label + aria-pressed
// and show their shortcut in the tooltip. A "More" menu (menu.js) holds the layout (grid or speaker view)
// and the theme, and on narrow screens (phones) also the buttons that do not fit in one row there: share
// screen, raise hand, devices (CSS hides those buttons and shows the menu's items, `.narrow-only`), and
// the page's language.

import { h, setAttr } from './dom.js';
import { L, LANGS, LANG_NAMES, language } from '../i18n.js';
import { chooseLanguage } from './lang.js';
import { icon } from './icons.js';
import { MenuButton } from './menu.js';
import { themeChoice, setTheme, THEME_CHOICES, THEME_TEXT } from './theme.js';

/**
 * @typedef {{ mic: () => void, camera: () => void, screen: () => void, hand: () => void, chat: () => void,
 *   people: () => void, devices: () => void, help: () => void, leave: () => void,
 *   layout: (mode: import('../layout.js').LayoutMode) => void, layoutMode: () => import('../layout.js').LayoutMode,
 *   narrowItems?: () => { text: string | import('../i18n.js').Label, id: string, onselect: () => void }[] }} ControlActions
 *   narrowItems: what other modules put in the bar (reactions, recording) and the More menu offers instead on
 *   narrow screens, where their buttons are hidden
 */

/**
 * @param {string} id
 * @param {import('../i18n.js').Label} label
 * @param {() => void} onclick
 * @param {string} [extra]
 */
function button(id, label, onclick, extra = '') {
  return h('button', { type: 'button', id, class: `ctl ${extra}`.trim(), 'aria-label': label, title: label, onclick });
}

export class ControlBar {
  /** @param {ControlActions} actions */
  constructor(actions) {
    this.mic = button('btn-mic', L('device.microphone'), actions.mic);
    this.camera = button('btn-camera', L('device.camera'), actions.camera);
    this.screen = button('btn-screen', L('controls.screen'), actions.screen);
    this.hand = button('btn-hand', L('controls.hand'), actions.hand);
    this.hand.append(icon('hand'));
    this.hand.setAttribute('aria-pressed', 'false');
    this.peopleBadge = h('span', { class: 'badge badge-attention', hidden: true, 'aria-hidden': 'true' });
    this.people = button('btn-people', L('controls.people'), actions.people);
    this.people.append(icon('users'), this.peopleBadge);
    this.people.setAttribute('aria-controls', 'people-panel');
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.chat = button('btn-chat', L('controls.chat'), actions.chat);
    this.chat.append(icon('chat'), this.badge);
    this.devices = button('btn-devices', L('controls.devices'), actions.devices, 'ctl-secondary');
    this.devices.append(icon('settings'));
    this.help = button('btn-help', L('controls.help'), actions.help, 'ctl-secondary');
    this.help.append(icon('help'));
    this.leave = button('btn-leave', L('controls.leave_meeting'), actions.leave, 'ctl-leave');
    this.leave.append(icon('leave'), h('span', { class: 'ctl-text', text: L('controls.leave') }));
    this.more = button('btn-more', L('controls.more'), () => {});
    this.more.append(icon('more'));
    this.moreMenu = new MenuButton({ button: this.more, label: L('controls.more'), className: 'more-menu', onOpen: () => this.fillMenu() });
    this.actions = actions;
    /** @private the last state update() showed */ this.state = { screen: false, hand: false, viewer: false };
    /** whether this browser can share a screen at all */
    this.canShare = !!navigator.mediaDevices?.getDisplayMedia;
    if (!this.canShare) this.screen.hidden = true;
    this.el = h('nav', { class: 'controls', 'aria-label': L('controls.label') },
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
      menu.item({ text: L(s.screen ? 'controls.screen_stop' : 'controls.screen_start'), icon: icon('screen'), id: 'menu-screen', className: narrow, onselect: a.screen });
    }
    menu.item({ text: L(s.hand ? 'controls.hand_lower' : 'controls.hand_raise'), icon: icon('hand'), id: 'menu-hand', className: narrow, onselect: a.hand });
    if (!s.viewer) menu.item({ text: L('controls.devices_menu'), icon: icon('settings'), id: 'menu-devices', className: narrow, onselect: a.devices });
    for (const extra of a.narrowItems?.() ?? []) menu.item({ ...extra, className: narrow });
    menu.separator();
    const mode = a.layoutMode();
    menu.item({ text: L('layout.grid'), icon: icon('grid'), id: 'menu-layout-grid', checked: mode === 'grid', onselect: () => a.layout('grid') });
    menu.item({ text: L('layout.speaker'), icon: icon('speaker'), id: 'menu-layout-speaker', checked: mode === 'speaker', onselect: () => a.layout('speaker') });
    menu.separator();
    const lang = language();
    for (const choice of LANGS) {
      const item = menu.item({ text: LANG_NAMES[choice], icon: icon('globe'), id: `menu-lang-${choice}`, checked: lang === choice, onselect: () => chooseLanguage(choice) });
      item.lang = choice;
    }
    menu.separator();
    const theme = themeChoice();
    for (const choice of THEME_CHOICES) {
      menu.item({ text: L('theme.item', { theme: THEME_TEXT[choice] }), icon: icon('theme'), id: `menu-theme-${choice}`, checked: theme === choice, onselect: () => setTheme(choice) });
    }
  }

  /**
   * @param {{ mic: boolean, camera: boolean, screen: boolean, chatOpen: boolean, peopleOpen: boolean,
   *   hand: boolean, viewer: boolean }} s viewer: no media buttons at all
   */
  update(s) {
    this.state = { screen: s.screen, hand: s.hand, viewer: s.viewer };
    this.toggle(this.mic, s.mic, s.mic ? 'mic' : 'mic-off', L('device.microphone'), L(s.mic ? 'controls.mic_off_tip' : 'controls.mic_on_tip'));
    this.toggle(this.camera, s.camera, s.camera ? 'camera' : 'camera-off', L('device.camera'), L(s.camera ? 'controls.camera_off_tip' : 'controls.camera_on_tip'));
    this.toggle(this.screen, s.screen, 'screen', L('controls.screen'), L(s.screen ? 'controls.screen_stop_tip' : 'controls.screen_start_tip'));
    this.screen.classList.toggle('active', s.screen);
    this.mic.hidden = this.camera.hidden = s.viewer;
    this.devices.hidden = s.viewer;
    this.screen.hidden = s.viewer || !this.canShare;
    this.toggle(this.hand, s.hand, 'hand', L('controls.hand'), L(s.hand ? 'controls.hand_lower_tip' : 'controls.hand_raise_tip'));
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
    const label = n ? L('controls.people_waiting', { n }) : L('controls.people');
    setAttr(this.people, 'aria-label', label);
    setAttr(this.people, 'title', label);
  }

  /** @param {number} n */
  setUnread(n) {
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    const label = n ? L('controls.chat_unread', { n }) : L('controls.chat');
    setAttr(this.chat, 'aria-label', label);
    setAttr(this.chat, 'title', label);
  }

  /**
   * A toggle keeps one accessible name; its state is aria-pressed, the tooltip says what a click does.
   * @private @param {HTMLButtonElement} btn @param {boolean} on @param {string} iconName @param {import('../i18n.js').Label} label @param {import('../i18n.js').Label} tip
   */
  toggle(btn, on, iconName, label, tip) {
    btn.setAttribute('aria-pressed', String(on));
    setAttr(btn, 'aria-label', label);
    setAttr(btn, 'title', tip);
    btn.classList.toggle('off', !on && btn !== this.screen && btn !== this.hand);
    btn.replaceChildren(icon(iconName));
  }
}
