// prejoin.js — the screen before entering a room: display name (remembered), camera and microphone
// preview with level meter, device choice, join with devices on or off, join receive-only, invite link.

import { h, initials, hueFor } from './dom.js';
import { icon } from './icons.js';
import { fillDeviceSelect } from './dialogs.js';
import { watchLevel, audioContext } from '../audio-level.js';
import { describeMediaError as describe } from '../media.js';
import { inviteClaims } from '../room-name.js';
import { ROLE_LABEL } from '../roles.js';

/** @typedef {import('../media.js').LocalMedia} LocalMedia */

const STORE_NAME = 'ruang.name';
const MAX_NAME_BYTES = 64;

export function savedName() {
  try { return localStorage.getItem(STORE_NAME) ?? ''; } catch { return ''; }
}

/**
 * Validate a display name as the server will (protocol: 1..max_name_bytes bytes after trim, no controls).
 * @param {string} raw
 * @returns {{ name: string } | { error: string }}
 */
export function checkName(raw) {
  const name = raw.trim();
  if (!name) return { error: 'Please enter your name.' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(name)) return { error: 'The name contains invalid characters.' };
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) return { error: 'That name is too long.' };
  return { name };
}

/**
 * @param {string} room
 * @returns {string}
 */
export function inviteLink(room) {
  return `${location.origin}/r/${encodeURIComponent(room)}`;
}

/**
 * Copy the invite link; falls back to selecting it for the user.
 * @param {string} room
 * @returns {Promise<boolean>}
 */
export async function copyInvite(room) {
  const link = inviteLink(room);
  try {
    await navigator.clipboard.writeText(link);
    return true;
  } catch {
    window.prompt('Copy this invite link:', link);
    return false;
  }
}

/**
 * What the pre-join screen says about an invitation (read from the token, not verified).
 * @param {string | undefined} invite
 * @returns {{ text: string, name: string | null } | null}
 */
function inviteNote(invite) {
  if (!invite) return null;
  const claims = inviteClaims(invite);
  const role = claims?.role ?? 'participant';
  const as = role === 'participant' ? '' : ` as ${ROLE_LABEL[role].toLowerCase()}`;
  const text = `You are joining with an invitation${as}.${claims?.name ? ' Your name comes from the invitation.' : ''}${role === 'viewer' ? ' Viewers watch and listen without camera or microphone.' : ''}`;
  return { text, name: claims?.name ?? null };
}

/**
 * @param {HTMLElement} root
 * @param {{ room: string, media: LocalMedia, error?: string, invite?: string,
 *   onJoin: (opts: { name: string, receiveOnly: boolean }) => void, onHome: () => void }} opts
 *   invite: the invitation this page holds (shown as a note; the name it gives fills the name field)
 * @returns {() => void} cleanup (stops preview watchers, keeps the tracks for the call)
 */
export function renderPrejoin(root, { room, media, error, invite, onJoin, onHome }) {
  document.title = `${room} · ruang`;
  let stopMeter = () => {};
  let busy = false;

  const video = h('video', { autoplay: true, playsinline: true, class: 'mirror', 'aria-label': 'Your camera preview' });
  video.muted = true;
  video.playsInline = true;
  const note = inviteNote(invite);
  const nameInput = h('input', {
    id: 'name-input', type: 'text', autocomplete: 'name', maxlength: '64', required: true,
    placeholder: 'Your name', value: note?.name ?? savedName(), 'aria-describedby': 'prejoin-error',
    readonly: !!note?.name, // the server gives the invitation's name anyway
  });
  const avatarText = h('span', { class: 'avatar-text', text: initials(nameInput.value || '?') });
  const avatar = h('div', { class: 'avatar', style: { '--hue': String(hueFor(nameInput.value || room)) } }, avatarText);
  const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, h('span', { class: 'meter-fill' }));
  const micBtn = h('button', { type: 'button', class: 'round-btn', id: 'prejoin-mic', 'aria-label': 'Microphone', 'aria-pressed': 'true' });
  const camBtn = h('button', { type: 'button', class: 'round-btn', id: 'prejoin-camera', 'aria-label': 'Camera', 'aria-pressed': 'true' });
  const camSel = h('select', { id: 'camera-select' });
  const micSel = h('select', { id: 'mic-select' });
  const err = h('p', { id: 'prejoin-error', class: 'form-error', role: 'alert', text: error ?? '' });
  const deviceNote = h('p', { class: 'muted device-note', 'aria-live': 'polite' });
  const joinBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-large', id: 'join-button' }, 'Join now');
  const recvBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'join-receive-only' }, 'Join without camera or microphone');
  const copyBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'copy-link', 'aria-label': 'Copy invite link' }, icon('link'), 'Copy invite link');
  const stage = h('div', { class: 'preview', dataset: { cameraOff: 'true' } }, video, avatar,
    h('div', { class: 'preview-controls' }, micBtn, camBtn), meter);

  const refresh = () => {
    const micOn = media.micOn;
    const camOn = media.cameraOn;
    micBtn.setAttribute('aria-pressed', String(micOn));
    micBtn.setAttribute('aria-label', micOn ? 'Turn off microphone' : 'Turn on microphone');
    micBtn.replaceChildren(icon(micOn ? 'mic' : 'mic-off'));
    micBtn.classList.toggle('off', !micOn);
    camBtn.setAttribute('aria-pressed', String(camOn));
    camBtn.setAttribute('aria-label', camOn ? 'Turn off camera' : 'Turn on camera');
    camBtn.replaceChildren(icon(camOn ? 'camera' : 'camera-off'));
    camBtn.classList.toggle('off', !camOn);
    stage.dataset.cameraOff = String(!camOn);
    const stream = media.cameraOn && media.cameraTrack ? new MediaStream([media.cameraTrack]) : null;
    if ((video.srcObject && /** @type {MediaStream} */ (video.srcObject).getVideoTracks()[0]) !== (stream && media.cameraTrack)) {
      video.srcObject = stream;
      if (stream) video.play().catch(() => {});
    }
    stopMeter();
    stopMeter = () => {};
    const fill = /** @type {HTMLElement} */ (meter.firstElementChild);
    fill.style.transform = 'scaleX(0)';
    if (media.micTrack) {
      stopMeter = watchLevel(media.micTrack, (_speaking, level) => {
        fill.style.transform = `scaleX(${Math.min(1, level * 8).toFixed(3)})`;
      });
    }
  };

  const loadDevices = async () => {
    const { mics, cameras } = await media.devices();
    fillDeviceSelect(camSel, cameras, media.cameraDeviceId, 'Camera');
    fillDeviceSelect(micSel, mics, media.micDeviceId, 'Microphone');
  };

  const onMediaChange = () => refresh();
  media.addEventListener('change', onMediaChange);

  micBtn.addEventListener('click', async () => {
    audioContext();
    try { await media.setMicEnabled(!media.micOn); deviceNote.textContent = ''; } catch (e) { deviceNote.textContent = describe(e, 'microphone'); }
  });
  camBtn.addEventListener('click', async () => {
    try { await media.setCameraEnabled(!media.cameraOn); deviceNote.textContent = ''; } catch (e) { deviceNote.textContent = describe(e, 'camera'); }
  });
  camSel.addEventListener('change', () => { void media.switchCamera(camSel.value).catch((e) => { deviceNote.textContent = describe(e, 'camera'); }); });
  micSel.addEventListener('change', () => { void media.switchMic(micSel.value).catch((e) => { deviceNote.textContent = describe(e, 'microphone'); }); });
  nameInput.addEventListener('input', () => {
    avatarText.textContent = initials(nameInput.value || '?');
    nameInput.removeAttribute('aria-invalid');
    err.textContent = '';
  });
  copyBtn.addEventListener('click', async () => {
    const ok = await copyInvite(room);
    if (ok) {
      copyBtn.replaceChildren(icon('check'), 'Link copied');
      setTimeout(() => copyBtn.replaceChildren(icon('link'), 'Copy invite link'), 2000);
    }
  });

  /** @param {boolean} receiveOnly */
  const submit = (receiveOnly) => {
    if (busy) return;
    const checked = checkName(nameInput.value);
    if ('error' in checked) {
      err.textContent = checked.error;
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.focus();
      return;
    }
    try { localStorage.setItem(STORE_NAME, checked.name); } catch { /* private mode */ }
    audioContext(); // inside the click: lets audio start
    busy = true;
    joinBtn.disabled = recvBtn.disabled = true;
    joinBtn.textContent = 'Joining…';
    onJoin({ name: checked.name, receiveOnly });
  };
  const form = h('form', { class: 'prejoin-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); submit(false); } },
    h('h1', { text: 'Ready to join?' }),
    h('p', { class: 'room-line' }, 'Room ', h('code', { class: 'room-name', text: room })),
    note ? h('p', { class: 'invite-note', id: 'invite-note', text: note.text }) : null,
    h('div', { class: 'field' }, h('label', { for: 'name-input', text: 'Your name' }), nameInput),
    h('div', { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'camera-select', text: 'Camera' }), camSel),
      h('div', { class: 'field' }, h('label', { for: 'mic-select', text: 'Microphone' }), micSel)),
    deviceNote, err,
    h('div', { class: 'prejoin-actions' }, joinBtn, recvBtn),
    h('div', { class: 'prejoin-links' }, copyBtn,
      h('a', { class: 'btn btn-ghost', id: 'check-link', href: `/check?room=${encodeURIComponent(room)}` }, 'Test my connection'),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: onHome }, 'Back to start')));
  recvBtn.addEventListener('click', () => submit(true));

  root.replaceChildren(h('main', { class: 'prejoin', id: 'prejoin' }, stage, form));
  refresh();
  if (!nameInput.value) nameInput.focus();
  else joinBtn.focus();

  // Ask for camera + microphone once, then list devices (labels need the permission).
  if (!media.micTrack && !media.cameraTrack) {
    deviceNote.textContent = 'Starting camera and microphone…';
    void media.start({ audio: true, video: true }).then(async (r) => {
      const problems = [r.videoError, r.audioError].filter(Boolean);
      deviceNote.textContent = problems.length ? `${problems.join(' ')} You can still join and see and hear the others.` : '';
      await loadDevices();
      refresh();
    });
  } else {
    void loadDevices();
  }

  return () => {
    stopMeter();
    media.removeEventListener('change', onMediaChange);
    video.srcObject = null;
  };
}
