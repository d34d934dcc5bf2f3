// dialogs.js — the keyboard-shortcut help dialog and the device settings dialog (<dialog> elements),
// plus the device <select> builder shared with the pre-join screen.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';

/** Keyboard shortcuts of the call screen (also documented in docs/web-client.md). */
export const SHORTCUTS = [
  ['M', 'Turn the microphone on or off'],
  ['V', 'Turn the camera on or off'],
  ['S', 'Start or stop sharing your screen'],
  ['C', 'Open or close the chat'],
  ['D', 'Choose camera and microphone'],
  ['?', 'Show this help'],
  ['Esc', 'Close the chat or a dialog'],
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
  d.addEventListener('click', (e) => { if (e.target === d) d.close(); }); // click on the backdrop
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
