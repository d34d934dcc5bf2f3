// dialogs.js — the keyboard-shortcut help dialog, the device settings dialog, the confirmation dialog (ban,
// end the meeting) and the password prompt of protected rooms (<dialog> elements), plus the device
// <select> builder shared with the pre-join screen.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';

/** Keyboard shortcuts of the call screen (also documented in docs/web-client.md). */
export const SHORTCUTS = [
  ['M', 'Turn the microphone on or off'],
  ['V', 'Turn the camera on or off'],
  ['S', 'Start or stop sharing your screen'],
  ['H', 'Raise or lower your hand'],
  ['C', 'Open or close the chat'],
  ['P', 'Open or close the list of participants'],
  ['D', 'Choose camera and microphone'],
  ['?', 'Show this help'],
  ['Esc', 'Close the chat, the participant list or a dialog'],
];

/**
 * @param {string} title
 * @param {string} id
 * @param {...Node} body
 * @returns {HTMLDialogElement}
 */
function dialog(title, id, ...body) {
  const titleId = `${id}-title`;
  const d = h('dialog', { class: 'dialog', id, 'aria-labelledby': titleId },
    h('header', { class: 'panel-head' },
      h('h2', { id: titleId, text: title }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', onclick: () => d.close() }, icon('close'))),
    ...body);
  // a click on the backdrop closes it, unless it holds something typed (data-strict)
  d.addEventListener('click', (e) => { if (e.target === d && !d.hasAttribute('data-strict')) d.close(); });
  document.body.appendChild(d);
  return d;
}

/** @returns {HTMLDialogElement} */
export function helpDialog() {
  return dialog('Keyboard shortcuts', 'help-dialog',
    h('dl', { class: 'shortcuts' }, SHORTCUTS.flatMap(([k, what]) => [h('dt', {}, h('kbd', { text: k })), h('dd', { text: what })])),
    h('p', { class: 'muted', text: 'Shortcuts work whenever you are not typing in a text field.' }));
}

/**
 * Fill a <select> with devices.
 * @param {HTMLSelectElement} select
 * @param {MediaDeviceInfo[]} devices
 * @param {string} current deviceId
 * @param {string} noun e.g. "Camera"
 */
export function fillDeviceSelect(select, devices, current, noun) {
  replaceChildren(select, devices.length
    ? devices.map((d, i) => h('option', { value: d.deviceId, text: d.label || `${noun} ${i + 1}` }))
    : [h('option', { value: '', text: `No ${noun.toLowerCase()} found` })]);
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
  const el = dialog('Devices', 'settings-dialog',
    h('div', { class: 'field' }, h('label', { for: 'settings-camera', text: 'Camera' }), camSel),
    h('div', { class: 'field' }, h('label', { for: 'settings-mic', text: 'Microphone' }), micSel),
    note);
  return {
    el,
    async open() {
      note.textContent = 'Switching devices keeps the call running; nobody has to reconnect.';
      const { mics, cameras } = await media.devices();
      fillDeviceSelect(camSel, cameras, media.cameraDeviceId, 'Camera');
      fillDeviceSelect(micSel, mics, media.micDeviceId, 'Microphone');
      el.showModal();
    },
  };
}

/**
 * Ask before something that cannot be undone (ban, end the meeting). Resolves true when confirmed; Esc,
 * Cancel, the close button or a click on the backdrop say no. Cancel has the focus first.
 * @param {{ title: string, text: string, confirm: string, id?: string }} opts
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm, id = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    let answer = false;
    const cancelBtn = h('button', { type: 'button', class: 'btn', id: `${id}-cancel`, onclick: () => d.close() }, 'Cancel');
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
const PASSWORD_TEXT = /** @type {Record<string, string>} */ ({
  password_required: 'This meeting is protected by a password.',
  wrong_password: 'That password is not right. Try again.',
  too_many_attempts: 'Too many password attempts. Wait a minute, then try again.',
});

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
    const err = h('p', { id: 'password-error', class: problem ? 'form-error' : 'muted', role: 'alert', text: PASSWORD_TEXT[code] ?? 'Enter the password.' });
    const form = h('form', {
      class: 'password-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        if (!input.value) {
          err.className = 'form-error';
          err.textContent = 'Please enter the password.';
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        answer = input.value;
        d.close();
      },
    },
    h('p', {}, 'Room ', h('code', { class: 'room-name', text: room })),
    h('div', { class: 'field' }, h('label', { for: 'password-input', text: 'Meeting password' }), input),
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', id: 'password-cancel', onclick: () => d.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'password-submit' }, 'Join')));
    const d = dialog('Enter the meeting password', 'password-dialog', form);
    d.setAttribute('data-strict', '');
    input.addEventListener('input', () => { if (input.getAttribute('aria-invalid') === 'true' && input.value) input.removeAttribute('aria-invalid'); });
    d.addEventListener('close', () => { d.remove(); resolve(answer); });
    d.showModal();
    input.focus();
  });
}
