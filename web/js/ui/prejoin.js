// prejoin.js — the screen before entering a room: display name (remembered), camera and microphone
// preview with level meter, device choice, join with devices on or off, join receive-only, invite link;
// in a room with a host password (GET /api/rooms/<room>/entry), "I am the host" and its password field.

import { h, initials, hueFor, setText, setAttr, setTitle } from './dom.js';
import { L, t } from '../i18n.js';
import { languageSwitch } from './lang.js';
import { icon } from './icons.js';
import { fillDeviceSelect } from './dialogs.js';
import { watchLevel, audioContext, resumeAudio, deferLevels } from '../audio-level.js';
import { describeMediaError as describe } from '../media.js';
import { inviteClaims } from '../room-name.js';
import { roleLabel } from '../roles.js';

/** @typedef {import('../media.js').LocalMedia} LocalMedia */

const STORE_NAME = 'ruang.name';
const MAX_NAME_BYTES = 64;
/** Level meters (speaking indicators) asked for while joining start this long after Join (see deferLevels). */
const LEVELS_AFTER_JOIN_MS = 2000;

export function savedName() {
  try { return localStorage.getItem(STORE_NAME) ?? ''; } catch { return ''; }
}

/**
 * Validate a display name as the server will (protocol: 1..max_name_bytes bytes after trim, no controls).
 * @param {string} raw
 * @returns {{ name: string } | { error: import('../i18n.js').Label }}
 */
export function checkName(raw) {
  const name = raw.trim();
  if (!name) return { error: L('prejoin.name_missing') };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(name)) return { error: L('prejoin.name_invalid') };
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) return { error: L('prejoin.name_long') };
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
    window.prompt(t('invite.copy_prompt'), link);
    return false;
  }
}

/**
 * What the pre-join screen says about an invitation (read from the token, not verified).
 * @param {string | undefined} invite
 * @returns {{ text: import('../i18n.js').Label[], name: string | null } | null}
 */
function inviteNote(invite) {
  if (!invite) return null;
  const claims = inviteClaims(invite);
  const role = claims?.role ?? 'participant';
  const text = [role === 'participant' ? L('prejoin.invite') : L('prejoin.invite_as', { role: roleLabel(role, true) })];
  if (claims?.name) text.push(L('prejoin.invite_name'));
  if (role === 'viewer') text.push(L('prejoin.invite_viewer'));
  return { text, name: claims?.name ?? null };
}

/**
 * What the room takes (its access, whether it has a host password): from the server's configuration.
 * @param {string} room @returns {Promise<{ access: string, host_password: boolean } | null>} null: unknown
 */
export async function roomEntry(room) {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/entry`, { cache: 'no-store' });
    if (!res.ok) return null;
    const body = await res.json();
    return typeof body?.host_password === 'boolean' ? body : null;
  } catch {
    return null;
  }
}

/**
 * @param {HTMLElement} root
 * @param {{ room: string, media: LocalMedia, error?: string | import('../i18n.js').Label, invite?: string,
 *   host?: { error?: import('../i18n.js').Label, password?: string }, want?: { audio: boolean, video: boolean },
 *   onJoin: (opts: { name: string, receiveOnly: boolean, hostPassword?: string }) => void, onHome: () => void }} opts
 *   invite: the invitation this page holds (shown as a note; the name it gives fills the name field);
 *   host: the host password was refused (the host part opens with this error), or the one that worked
 *   (a rejoin: filled in); want: which devices to start
 * @returns {() => void} cleanup (stops preview watchers, keeps the tracks for the call)
 */
export function renderPrejoin(root, { room, media, error, invite, host, want = { audio: true, video: true }, onJoin, onHome }) {
  setTitle(`${room} · ruang`);
  let stopMeter = () => {};
  let busy = false;
  // Ask for camera + microphone once, first (the camera takes longest of all the screen waits for; the
  // devices are listed when it answers: their labels need the permission).
  const starting = !media.micTrack && !media.cameraTrack
    ? media.start(want.audio || want.video ? want : { audio: true, video: true })
    : null;

  const video = h('video', { autoplay: true, playsinline: true, class: 'mirror', 'aria-label': L('prejoin.preview') });
  video.muted = true;
  video.playsInline = true;
  const note = inviteNote(invite);
  const nameInput = h('input', {
    id: 'name-input', type: 'text', autocomplete: 'name', maxlength: '64', required: true,
    placeholder: L('prejoin.your_name'), value: note?.name ?? savedName(), 'aria-describedby': 'prejoin-error',
    readonly: !!note?.name, // the server gives the invitation's name anyway
  });
  const avatarText = h('span', { class: 'avatar-text', text: initials(nameInput.value || '?') });
  const avatar = h('div', { class: 'avatar', style: { '--hue': String(hueFor(nameInput.value || room)) } }, avatarText);
  const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, h('span', { class: 'meter-fill' }));
  const micBtn = h('button', { type: 'button', class: 'round-btn', id: 'prejoin-mic', 'aria-label': L('device.microphone'), 'aria-pressed': 'true' });
  const camBtn = h('button', { type: 'button', class: 'round-btn', id: 'prejoin-camera', 'aria-label': L('device.camera'), 'aria-pressed': 'true' });
  const camSel = h('select', { id: 'camera-select' });
  const micSel = h('select', { id: 'mic-select' });
  const err = h('p', { id: 'prejoin-error', class: 'form-error', role: 'alert', text: error ?? '' });
  const deviceNote = h('p', { class: 'muted device-note', 'aria-live': 'polite' });
  const joinBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-large', id: 'join-button' }, L('prejoin.join'));
  const recvBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'join-receive-only' }, L('prejoin.join_receive_only'));
  const copyBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'copy-link', 'aria-label': L('invite.copy') }, icon('link'), L('invite.copy'));
  // the host password: offered once the server says the room has one (an invitation decides by itself)
  const hostSlot = h('div', { class: 'host-slot' });
  /** @type {ReturnType<typeof hostFields> | null} */
  let hostPart = null;
  if (!invite) {
    void roomEntry(room).then((entry) => {
      if (!entry?.host_password || !hostSlot.isConnected) return;
      hostPart = hostFields(host?.error, host?.password);
      hostSlot.replaceChildren(hostPart.el);
      if (host?.error) hostPart.input.focus();
    });
  }
  const stage = h('div', { class: 'preview', dataset: { cameraOff: 'true' } }, video, avatar,
    h('div', { class: 'preview-controls' }, micBtn, camBtn), meter);

  const refresh = () => {
    const micOn = media.micOn;
    const camOn = media.cameraOn;
    micBtn.setAttribute('aria-pressed', String(micOn));
    setAttr(micBtn, 'aria-label', L(micOn ? 'prejoin.mic_off' : 'prejoin.mic_on'));
    micBtn.replaceChildren(icon(micOn ? 'mic' : 'mic-off'));
    micBtn.classList.toggle('off', !micOn);
    camBtn.setAttribute('aria-pressed', String(camOn));
    setAttr(camBtn, 'aria-label', L(camOn ? 'prejoin.camera_off' : 'prejoin.camera_on'));
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
    fillDeviceSelect(camSel, cameras, media.cameraDeviceId, 'camera');
    fillDeviceSelect(micSel, mics, media.micDeviceId, 'microphone');
  };

  const onMediaChange = () => refresh();
  media.addEventListener('change', onMediaChange);

  micBtn.addEventListener('click', async () => {
    audioContext();
    try { await media.setMicEnabled(!media.micOn); deviceNote.textContent = ''; } catch (e) { setText(deviceNote, describe(e, 'microphone')); }
  });
  camBtn.addEventListener('click', async () => {
    try { await media.setCameraEnabled(!media.cameraOn); deviceNote.textContent = ''; } catch (e) { setText(deviceNote, describe(e, 'camera')); }
  });
  camSel.addEventListener('change', () => { void media.switchCamera(camSel.value).catch((e) => { setText(deviceNote, describe(e, 'camera')); }); });
  micSel.addEventListener('change', () => { void media.switchMic(micSel.value).catch((e) => { setText(deviceNote, describe(e, 'microphone')); }); });
  nameInput.addEventListener('input', () => {
    avatarText.textContent = initials(nameInput.value || '?');
    nameInput.removeAttribute('aria-invalid');
    err.textContent = '';
  });
  copyBtn.addEventListener('click', async () => {
    const ok = await copyInvite(room);
    if (ok) {
      copyBtn.replaceChildren(icon('check'), h('span', { text: L('invite.copied') }));
      setTimeout(() => copyBtn.replaceChildren(icon('link'), h('span', { text: L('invite.copy') })), 2000);
    }
  });

  /** @param {boolean} receiveOnly */
  const submit = (receiveOnly) => {
    if (busy) return;
    const checked = checkName(nameInput.value);
    if ('error' in checked) {
      setText(err, checked.error);
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.focus();
      return;
    }
    const hostPassword = hostPart?.value();
    if (hostPassword === '') { hostPart?.fail(L('host.missing')); return; }
    try { localStorage.setItem(STORE_NAME, checked.name); } catch { /* private mode */ }
    resumeAudio(); // inside the click: lets audio start (a context made before any gesture may wait for one)
    deferLevels(LEVELS_AFTER_JOIN_MS);
    busy = true;
    joinBtn.disabled = recvBtn.disabled = true;
    setText(joinBtn, L('prejoin.joining'));
    onJoin({ name: checked.name, receiveOnly, ...(hostPassword === undefined ? {} : { hostPassword }) });
  };
  const form = h('form', { class: 'prejoin-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); submit(false); } },
    h('h1', { text: L('prejoin.ready') }),
    h('p', { class: 'room-line' }, L('room.label'), ' ', h('code', { class: 'room-name', text: room })),
    note ? h('p', { class: 'invite-note', id: 'invite-note' }, note.text.flatMap((x, i) => (i ? [' ', x] : [x]))) : null,
    h('div', { class: 'field' }, h('label', { for: 'name-input', text: L('prejoin.your_name') }), nameInput),
    hostSlot,
    h('div', { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'camera-select', text: L('device.camera') }), camSel),
      h('div', { class: 'field' }, h('label', { for: 'mic-select', text: L('device.microphone') }), micSel)),
    deviceNote, err,
    h('div', { class: 'prejoin-actions' }, joinBtn, recvBtn),
    h('div', { class: 'prejoin-links' }, copyBtn,
      h('a', { class: 'btn btn-ghost', id: 'check-link', href: `/check?room=${encodeURIComponent(room)}` }, L('check.link')),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: onHome }, L('prejoin.back'))),
    h('p', { class: 'prejoin-lang' }, languageSwitch()));
  recvBtn.addEventListener('click', () => submit(true));

  root.replaceChildren(h('main', { class: 'prejoin', id: 'prejoin' }, stage, form));
  refresh();
  if (!nameInput.value) nameInput.focus();
  else joinBtn.focus();

  if (starting) {
    setText(deviceNote, L('prejoin.starting'));
    void starting.then(async (r) => {
      const problems = [r.videoError, r.audioError].filter(Boolean);
      setText(deviceNote, problems.length ? `${problems.join(' ')} ${t('prejoin.still_join')}` : '');
      if (!want.audio && !want.video) media.stopAll(); // (both were off: the permission gave the devices' names)
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

/**
 * "I am the host" (a checkbox, keyboard-usable) and, while it is ticked, the host password field.
 * @param {import('../i18n.js').Label} [error] the last host password was refused
 * @param {string} [password] the one that worked (kept in memory for a rejoin)
 */
function hostFields(error, password) {
  const box = h('input', { type: 'checkbox', id: 'host-toggle', 'aria-controls': 'host-password-field', checked: !!error || password !== undefined });
  const input = h('input', {
    type: 'password', id: 'host-password', autocomplete: 'current-password', maxlength: '256',
    'aria-describedby': 'host-password-error', 'aria-invalid': error ? 'true' : false,
  });
  const err = h('p', { id: 'host-password-error', class: 'form-error', role: 'alert', text: error ?? '' });
  if (password !== undefined) input.value = password;
  const field = h('div', { class: 'field', id: 'host-password-field', hidden: !box.checked },
    h('label', { for: 'host-password', text: L('host.password') }), input, err);
  box.addEventListener('change', () => {
    field.hidden = !box.checked;
    if (box.checked) input.focus();
  });
  input.addEventListener('input', () => { input.removeAttribute('aria-invalid'); err.textContent = ''; });
  return {
    el: h('div', { class: 'host-part' },
      h('div', { class: 'check-field' }, box, ' ', h('label', { for: 'host-toggle', text: L('host.i_am') })), field),
    input,
    /** the host password to send: undefined when not the host */
    value: () => (box.checked ? input.value : undefined),
    /** @param {import('../i18n.js').Label} text */
    fail(text) {
      setText(err, text);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    },
  };
}
