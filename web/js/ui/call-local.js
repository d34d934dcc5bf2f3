// call-local.js — our side of the call: our camera, microphone and screen going to the transport and our
// media state to the server, our own tile, the control bar's state, the media toggles, the upload budget,
// the quality hints sampled from the transport's stats, the keyboard shortcuts and the autoplay banner.

import { h } from './dom.js';
import { toast } from './toast.js';
import { L, t } from '../i18n.js';
import { describeMediaError } from '../media.js';
import { refreshPeople } from './call-room.js';
import { setChat, setPeople, toggleHand } from './call-panels.js';

/** @typedef {import('./call.js').Call} Call */

/** @param {Call} call @param {'audio' | 'video' | 'screen'} kind */
export async function onLocalMedia(call, kind) {
  const transport = call.transport;
  if (call.phase !== 'in-call' || !transport) return;
  if (kind === 'audio') await transport.setTrack('audio', call.media.audioTrack);
  else if (kind === 'video') await transport.setTrack('video', call.media.videoTrack);
  else await transport.setTrack('screen', call.media.sharedTrack);
  updateLocal(call);
  publishMedia(call);
  updateControls(call);
  refreshPeople(call);
  if (kind !== 'audio') applyBudget(call);
}

/** Tell the server (and so everyone) our true media state, when it changed. @param {Call} call */
function publishMedia(call) {
  const s = JSON.stringify(call.media.state);
  if (s === call.lastMediaSent) return;
  call.lastMediaSent = s;
  call.signaling.media(call.media.state);
}

/** Our own tile. @param {Call} call */
export function updateLocal(call) {
  const tile = call.ui?.tiles.get(call.you);
  if (!tile) return;
  const track = call.media.videoTrack;
  const current = /** @type {MediaStream | null} */ (tile.video.srcObject);
  if ((current?.getVideoTracks()[0] ?? null) !== track) tile.video.srcObject = track ? new MediaStream([track]) : null;
  if (track) tile.video.play().catch(() => {});
  call.ui?.tiles.setMedia(call.you, call.media.state); // (makes or removes our screen share's tile)
  tile.watchAudio(call.media.micTrack);
  const screen = call.media.sharedTrack;
  const shown = /** @type {MediaStream | null} */ (call.ui?.tiles.screenOf(call.you)?.video.srcObject ?? null);
  if ((shown?.getVideoTracks()[0] ?? null) !== screen) call.ui?.tiles.setScreenStream(call.you, screen ? new MediaStream([screen]) : null);
}

/** @param {Call} call */
export function updateControls(call) {
  const media = call.media;
  call.ui?.controls.update({
    mic: media.micOn,
    camera: media.cameraOn,
    screen: media.sharing,
    chatOpen: call.chatOpen,
    peopleOpen: call.peopleOpen,
    hand: call.model.hand,
    viewer: call.model.role === 'viewer',
  });
}

/** @param {Call} call */
export async function toggleMic(call) {
  if (call.model.role === 'viewer') return; // viewers send nothing (the server would refuse it)
  try { await call.media.setMicEnabled(!call.media.micOn); } catch (e) { toast(describeMediaError(e, 'microphone'), { kind: 'error' }); }
  updateControls(call);
}

/** @param {Call} call */
export async function toggleCamera(call) {
  if (call.model.role === 'viewer') return;
  const media = call.media;
  try { await media.setCameraEnabled(!media.cameraOn); } catch (e) { toast(describeMediaError(e, 'camera'), { kind: 'error' }); }
  updateControls(call);
}

/** @param {Call} call */
export async function toggleScreen(call) {
  if (call.model.role === 'viewer') return;
  try {
    if (call.media.sharing) await call.media.stopScreen();
    else await call.media.startScreen();
  } catch (e) {
    const name = e instanceof Error || e instanceof DOMException ? e.name : '';
    if (name !== 'NotAllowedError' && name !== 'AbortError') toast(describeMediaError(e, 'screen'), { kind: 'error' });
  }
  updateControls(call);
}

/** How many share our upload (the transport sets its bitrate ceiling from it). @param {Call} call */
export function applyBudget(call) {
  call.transport?.setSendBudget({ peers: call.model.people.size, screen: call.media.sharing });
}

/** The quality hint of every connected participant, from the transport's stats. @param {Call} call */
export async function sampleQuality(call) {
  for (const [id, probe] of call.probes) {
    const person = call.model.people.get(id);
    if (!person || person.connection !== 'connected') continue;
    try {
      const s = await probe.sample();
      person.quality = s.quality;
      const parts = [];
      if (s.rttMs !== null) parts.push(`${Math.round(s.rttMs)} ms`);
      if (s.lossPct !== null) parts.push(t('quality.loss', { pct: s.lossPct.toFixed(1) }));
      call.ui?.tiles.get(id)?.setQuality(s.quality, parts.join(', '));
    } catch { /* connection closed meanwhile */ }
  }
}

/** Keyboard shortcuts (docs/web-client.md). @param {Call} call @param {KeyboardEvent} e */
export function onKey(call, e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const t = /** @type {HTMLElement | null} */ (e.target);
  if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
  if (document.querySelector('dialog[open]')) return;
  const ui = call.ui;
  switch (e.key) {
    case 'm': case 'M': void toggleMic(call); break;
    case 'v': case 'V': void toggleCamera(call); break;
    case 's': case 'S': if (!ui?.controls.screen.hidden) void toggleScreen(call); break;
    case 'c': case 'C': setChat(call, !call.chatOpen); break;
    case 'p': case 'P': setPeople(call, !call.peopleOpen); break;
    case 'h': case 'H': toggleHand(call); break;
    case 'd': case 'D': if (call.model.role !== 'viewer') void ui?.settings.open(); break;
    case '?': ui?.help.showModal(); break;
    case 'Escape':
      if (call.chatOpen) setChat(call, false);
      else if (call.peopleOpen) setPeople(call, false);
      else return;
      break;
    default: return;
  }
  e.preventDefault();
}

/** The browser blocked the call's sound until the user acts. @param {Call} call */
export function showAutoplayBanner(call) {
  const ui = call.ui;
  if (!ui || !ui.banner.hidden) return;
  const banner = ui.banner;
  banner.hidden = false;
  banner.replaceChildren(h('span', { text: L('autoplay.blocked') }),
    h('button', {
      type: 'button', class: 'btn btn-small btn-primary',
      onclick: () => { for (const t of ui.tiles.tiles.values()) t.resume(); banner.hidden = true; },
    }, L('autoplay.turn_on')));
}
