// controls.js — the call's control bar: microphone, camera, screen share, chat (with unread badge),
// devices, help and leave. Buttons carry aria-label + aria-pressed and show their shortcut in the tooltip.

import { h } from './dom.js';
import { icon } from './icons.js';

/**
 * @typedef {{ mic: () => void, camera: () => void, screen: () => void, chat: () => void,
 *   devices: () => void, help: () => void, leave: () => void }} ControlActions
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
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.chat = button('btn-chat', 'Chat (C)', actions.chat);
    this.chat.append(icon('chat'), this.badge);
    this.devices = button('btn-devices', 'Choose camera and microphone (D)', actions.devices, 'ctl-secondary');
    this.devices.append(icon('settings'));
    this.help = button('btn-help', 'Keyboard shortcuts (?)', actions.help, 'ctl-secondary');
    this.help.append(icon('help'));
    this.leave = button('btn-leave', 'Leave the meeting', actions.leave, 'ctl-leave');
    this.leave.append(icon('leave'), h('span', { class: 'ctl-text', text: 'Leave' }));
    if (!navigator.mediaDevices?.getDisplayMedia) this.screen.hidden = true;
    this.el = h('nav', { class: 'controls', 'aria-label': 'Call controls' },
      h('div', { class: 'controls-spacer', 'aria-hidden': 'true' }),
      h('div', { class: 'controls-group controls-main' }, this.mic, this.camera, this.screen, this.leave),
      h('div', { class: 'controls-group controls-aux' }, this.chat, this.devices, this.help));
  }

  /**
   * @param {{ mic: boolean, camera: boolean, screen: boolean, chatOpen: boolean }} s
   */
  update(s) {
    this.toggle(this.mic, s.mic, s.mic ? 'mic' : 'mic-off', 'Microphone', s.mic ? 'Turn off microphone (M)' : 'Turn on microphone (M)');
    this.toggle(this.camera, s.camera, s.camera ? 'camera' : 'camera-off', 'Camera', s.camera ? 'Turn off camera (V)' : 'Turn on camera (V)');
    this.toggle(this.screen, s.screen, 'screen', 'Share screen', s.screen ? 'Stop sharing your screen (S)' : 'Share your screen (S)');
    this.screen.classList.toggle('active', s.screen);
    this.chat.setAttribute('aria-pressed', String(s.chatOpen));
    this.chat.setAttribute('aria-expanded', String(s.chatOpen));
    this.chat.setAttribute('aria-controls', 'chat-panel');
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
    btn.classList.toggle('off', !on && btn !== this.screen);
    btn.replaceChildren(icon(iconName));
  }
}
