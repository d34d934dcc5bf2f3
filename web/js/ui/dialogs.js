// dialogs.js — the keyboard-shortcut help dialog, the device settings dialog, the confirmation dialog (ban,
// end the meeting) and the password prompt of protected rooms (<dialog> elements), plus the device
// <select> builder shared with the pre-join screen.

import { h, replaceChildren, setText } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';

/** Keyboard shortcuts of the call screen (also documented in docs/web-client.md). */
export const SHORTCUTS = [
  ['M', L('shortcut.mic')],
  ['V', L('shortcut.camera')],
  ['S', L('shortcut.screen')],
  ['H', L('shortcut.hand')],
  ['C', L('shortcut.chat')],
  ['P', L('shortcut.people')],
  ['D', L('shortcut.devices')],
  ['?', L('shortcut.help')],
  ['Esc', L('shortcut.escape')],
];

/**
 * @param {string | import('../i18n.js').Label} title
 * @param {string} id
 * @param {...Node} body
 * @returns {HTMLDialogElement}
 */
function dialog(title, id, ...body) {
  const titleId = `${id}-title`;
  const d = h('dialog', { class: 'dialog', id, 'aria-labelledby': titleId },
    h('header', { class: 'panel-head' },
      h('h2', { id: titleId, text: title }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': L('dialog.close'), onclick: () => d.close() }, icon('close'))),
    ...body);
  // a click on the backdrop closes it, unless it holds something typed (data-strict)
  d.addEventListener('click', (e) => { if (e.target === d && !d.hasAttribute('data-strict')) d.close(); });
  document.body.appendChild(d);
  return d;
}

/** @returns {HTMLDialogElement} */
export function helpDialog() {
  return dialog(L('help.title'), 'help-dialog',
    h('dl', { class: 'shortcuts' }, SHORTCUTS.flatMap(([k, what]) => [h('dt', {}, h('kbd', { text: k })), h('dd', { text: what })])),
    h('p', { class: 'muted', text: L('help.note') }));
}

/**
 * Fill a <select> with devices.
 * @param {HTMLSelectElement} select
 * @param {MediaDeviceInfo[]} devices
 * @param {string} current deviceId
 * @param {'camera' | 'microphone'} kind
 */
export function fillDeviceSelect(select, devices, current, kind) {
  replaceChildren(select, devices.length
    ? devices.map((d, i) => h('option', { value: d.deviceId, text: d.label || L(`device.numbered.${kind}`, { n: i + 1 }) }))
    : [h('option', { value: '', text: L(`device.none.${kind}`) })]);
  select.disabled = devices.length === 0;
  if (devices.some((d) => d.deviceId === current)) select.value = current;
}

/**
 * @param {import('../media.js').LocalMedia} media
 * @param {{ onMic: (id: string) => Promise<void>, onCamera: (id: string) => Promise<void> }} actions
 * @returns {{ el: HTMLDialogElement, open: () => Promise<void> }}
 */
export function settingsDialog(media, actions) {
  const camSel = h('select', { id: 'settings-camera' });
  const micSel = h('select', { id: 'settings-mic' });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  camSel.addEventListener('change', () => { void actions.onCamera(camSel.value).catch((e) => { note.textContent = String(e.message || e); }); });
  micSel.addEventListener('change', () => { void actions.onMic(micSel.value).catch((e) => { note.textContent = String(e.message || e); }); });
  const el = dialog(L('devices.title'), 'settings-dialog',
    h('div', { class: 'field' }, h('label', { for: 'settings-camera', text: L('device.camera') }), camSel),
    h('div', { class: 'field' }, h('label', { for: 'settings-mic', text: L('device.microphone') }), micSel),
    note);
  return {
    el,
    async open() {
      setText(note, L('devices.note'));
      const { mics, cameras } = await media.devices();
      fillDeviceSelect(camSel, cameras, media.cameraDeviceId, 'camera');
      fillDeviceSelect(micSel, mics, media.micDeviceId, 'microphone');
      el.showModal();
    },
  };
}

/**
 * Ask before something that cannot be undone (ban, end the meeting). Resolves true when confirmed; Esc,
 * Cancel, the close button or a click on the backdrop say no. Cancel has the focus first.
 * @param {{ title: import('../i18n.js').Label, text: import('../i18n.js').Label, confirm: import('../i18n.js').Label, id?: string }} opts
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm, id = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    let answer = false;
    const cancelBtn = h('button', { type: 'button', class: 'btn', id: `${id}-cancel`, onclick: () => d.close() }, L('dialog.cancel'));
    const okBtn = h('button', {
      type: 'button', class: 'btn btn-danger', id: `${id}-ok`,
      onclick: () => { answer = true; d.close(); },
    }, confirm);
    const d = dialog(title, id,
      h('p', { id: `${id}-text`, text }),
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    d.setAttribute('aria-describedby', `${id}-text`);
    d.addEventListener('close', () => { d.remove(); resolve(answer); });
    d.showModal();
    cancelBtn.focus();
  });
}

/** What the password prompt says for each refusal of the server. */
const PASSWORD_CODES = new Set(['password_required', 'wrong_password', 'too_many_attempts']);

/**
 * The password prompt of a password room, shown over the pre-join (joining) screen. Resolves with the
 * password, or null when the user gives up (Cancel, Esc).
 * @param {{ code: string, room: string }} opts code: password_required, wrong_password or too_many_attempts
 * @returns {Promise<string | null>}
 */
export function passwordDialog({ code, room }) {
  return new Promise((resolve) => {
    /** @type {string | null} */
    let answer = null;
    const problem = code !== 'password_required';
    const input = h('input', {
      type: 'password', id: 'password-input', autocomplete: 'current-password', required: true,
      'aria-describedby': 'password-error', 'aria-invalid': problem ? 'true' : false,
    });
    const err = h('p', { id: 'password-error', class: problem ? 'form-error' : 'muted', role: 'alert', text: L(PASSWORD_CODES.has(code) ? `password.${code}` : 'password.enter') });
    const form = h('form', {
      class: 'password-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        if (!input.value) {
          err.className = 'form-error';
          setText(err, L('password.missing'));
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        answer = input.value;
        d.close();
      },
    },
    h('p', {}, L('room.label'), ' ', h('code', { class: 'room-name', text: room })),
    h('div', { class: 'field' }, h('label', { for: 'password-input', text: L('password.label') }), input),
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', id: 'password-cancel', onclick: () => d.close() }, L('dialog.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'password-submit' }, L('landing.join'))));
    const d = dialog(L('password.title'), 'password-dialog', form);
    d.setAttribute('data-strict', '');
    input.addEventListener('input', () => { if (input.getAttribute('aria-invalid') === 'true' && input.value) input.removeAttribute('aria-invalid'); });
    d.addEventListener('close', () => { d.remove(); resolve(answer); });
    d.showModal();
    input.focus();
  });
}
