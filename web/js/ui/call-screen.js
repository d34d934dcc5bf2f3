// call-screen.js — the call screen's parts, built once from the welcome: the header (room name, count,
// invite link), the status line of our connection to the server, the alert banner, the lobby notice, the
// video grid, the chat and participant side panels, the control bar and the dialogs. Only building: what
// they show is kept up to date by call-room.js (from the room model) and call-local.js (our media).

import { h } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';
import { toast } from './toast.js';
import { TileGrid } from './tiles.js';
import { ChatPanel } from './chat.js';
import { ControlBar } from './controls.js';
import { helpDialog, settingsDialog } from './dialogs.js';
import { copyInvite } from './prejoin.js';
import { PeoplePanel } from './people.js';
import { LobbyNotice } from './lobby.js';
import { toggleMic, toggleCamera, toggleScreen } from './call-local.js';
import { setChat, setPeople, toggleHand, shareFiles, pickFiles } from './call-panels.js';
import { moderate } from './call-host.js';
import { setLayout, requestSpotlight } from './call-layout.js';
import { ReactionPicker, reactionAnnouncer } from './reactions.js';
import { REACTIONS } from '../reactions.js';
import { RecordingControl } from './recording.js';

/** @typedef {import('./call.js').Call} Call */
/**
 * @typedef {{ el: HTMLElement, grid: HTMLElement, tiles: TileGrid, countEl: HTMLElement, banner: HTMLElement,
 *   connStatus: HTMLElement, chat: ChatPanel, peoplePanel: PeoplePanel, lobbyNotice: LobbyNotice,
 *   controls: ControlBar, help: HTMLDialogElement, settings: ReturnType<typeof settingsDialog>,
 *   reactions: ReactionPicker, announcer: HTMLElement, recording: RecordingControl }} Screen
 */

/**
 * Build the call screen (not yet in the page).
 * @param {Call} call @param {import('../signaling.js').Session} w @returns {Screen}
 */
export function buildScreen(call, w) {
  const grid = h('section', { class: 'grid', id: 'grid', 'aria-label': L('grid.label') });
  const tiles = new TileGrid(grid, {
    canSpotlight: () => call.model.moderating,
    onSpotlight: (id) => requestSpotlight(call, id),
    onSendFile: (id) => pickFiles((files) => shareFiles(call, files, [id])),
  });
  const countEl = h('span', { class: 'count', 'aria-live': 'polite' });
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  // our own connection to the server (a live region that is always there; the banner inside comes and goes)
  const connStatus = h('div', { class: 'conn-status', id: 'conn-status', role: 'status', 'aria-live': 'polite' });
  const chat = new ChatPanel({
    you: () => call.you,
    onSend: (text) => call.signaling.chat(text),
    onFiles: (files) => shareFiles(call, files),
    onUnread: (n) => call.ui?.controls.setUnread(n),
    onClose: () => setChat(call, false),
    maxBytes: w.limits.max_chat_bytes || 4096,
    canShareFiles: () => [...call.model.people.keys()].some((id) => call.files.canSendTo(id)),
  });
  const peoplePanel = new PeoplePanel({
    act: (action, target, role) => void moderate(call, action, target, role),
    onClose: () => setPeople(call, false),
  });
  const lobbyNotice = new LobbyNotice({
    admit: (id) => void moderate(call, 'admit', id),
    deny: (id) => void moderate(call, 'deny', id),
  });
  const help = helpDialog();
  const settings = settingsDialog(call.media, {
    onCamera: (id) => call.media.switchCamera(id),
    onMic: (id) => call.media.switchMic(id),
  });
  const controls = new ControlBar({
    mic: () => void toggleMic(call),
    camera: () => void toggleCamera(call),
    screen: () => void toggleScreen(call),
    hand: () => toggleHand(call),
    people: () => setPeople(call, !call.peopleOpen),
    chat: () => setChat(call, !call.chatOpen),
    devices: () => void settings.open(),
    help: () => help.showModal(),
    leave: () => call.leave(),
    layout: (mode) => setLayout(call, mode),
    layoutMode: () => tiles.mode,
    // on a phone the reaction and record buttons do not fit in the bar: the More menu offers them
    narrowItems: () => [
      ...REACTIONS.map((r, i) => ({ text: L('reaction.menu_item', { reaction: L(r.key), emoji: r.emoji }), id: `menu-react-${i}`, onselect: () => reactions.choose(r.emoji) })),
      ...(recording.button.hidden ? [] : [{
        text: L(recording.button.getAttribute('aria-pressed') === 'true' ? 'recording.stop_save' : 'recording.start'),
        id: 'menu-record', onselect: () => recording.button.click(),
      }]),
    ],
  });
  // reactions sit beside the raised hand
  const reactions = new ReactionPicker((emoji) => call.signaling.react(emoji));
  controls.hand.after(reactions.el);
  const announcer = reactionAnnouncer();
  // recording: hosts and moderators get the button; everyone sees the indicator in the header
  const recording = new RecordingControl(call);
  controls.devices.before(recording.button);
  const copyBtn = h('button', {
    type: 'button', class: 'btn btn-ghost btn-small', id: 'call-copy-link', 'aria-label': L('invite.copy'),
    onclick: async () => { if (await copyInvite(call.room)) toast(L('invite.copied_toast')); },
  }, icon('link'), h('span', { class: 'hide-narrow', text: L('invite.short') }));
  const header = h('header', { class: 'call-head' },
    h('div', { class: 'call-title' }, h('span', { class: 'brand-mark small', 'aria-hidden': 'true' }),
      h('span', { class: 'room-name', text: call.room, title: call.room }), recording.indicator),
    h('div', { class: 'call-meta' }, icon('users'), countEl, copyBtn));
  const el = h('div', { class: 'call', id: 'call' },
    header, connStatus, banner, lobbyNotice.el,
    h('div', { class: 'stage' }, grid, chat.el, peoplePanel.el),
    controls.el, announcer);
  return { el, grid, tiles, countEl, banner, connStatus, chat, peoplePanel, lobbyNotice, controls, help, settings, reactions, announcer, recording };
}
