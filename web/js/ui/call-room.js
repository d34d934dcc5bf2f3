// call-room.js — the views of the room model (room.js) in the call: tiles, the participant list, the
// lobby notice, the count, the status line of our connection to the server, and the toasts that say what
// happened. It also keeps the media transport in step with the room: a person added gets a link (linkTo),
// one removed loses it, one introduced again after a server restart has it healed; the room's media mode
// (mesh or SFU) and the tiles' sizes go to the transport, the SFU's active speaker to the tiles.
// Subscribes once (renderRoom) and renders; it never changes the model.

import { h, setText, setAttr } from './dom.js';
import { L } from '../i18n.js';
import { toast } from './toast.js';
import { QualityProbe } from '../quality.js';
import { applyBudget, updateControls } from './call-local.js';

/** @typedef {import('./call.js').Call} Call */
/** @typedef {import('../room.js').Person} Person */

/** `peer_left` reasons a toast explains (the tables' `left.<reason>`; anything else says "left"). */
const LEFT_REASONS = new Set(['left', 'disconnected', 'timeout', 'slow', 'kicked', 'removed', 'banned', 'shutdown']);

/**
 * Follow the model from now on (the listeners go with the call's cleanups).
 * @param {Call} call
 */
export function renderRoom(call) {
  const model = call.model;
  /** @param {string} type @param {(d: any) => void} fn */
  const on = (type, fn) => {
    const l = (/** @type {Event} */ e) => fn(/** @type {CustomEvent} */ (e).detail);
    model.addEventListener(type, l);
    call.cleanups.push(() => model.removeEventListener(type, l));
  };
  on('person_added', ({ person, announce }) => {
    addPersonView(call, person);
    if (announce) toast(L('toast.joined', { name: person.name }));
  });
  on('person_updated', ({ person, what }) => {
    const tile = call.ui?.tiles.get(person.id);
    if (what === 'refreshed') tile?.setName(person.name);
    if (what === 'media' || what === 'refreshed') call.ui?.tiles.setMedia(person.id, person.media);
    if (what === 'hand' || what === 'refreshed') tile?.setHand(person.hand);
    if (what === 'reconnecting' || what === 'refreshed') tile?.setReconnecting(person.reconnecting);
    if (what === 'refreshed') call.transport?.heal(person.id);
  });
  on('person_removed', ({ person, reason, quiet }) => {
    call.probes.delete(person.id);
    call.files.detach(person.id);
    call.transport?.removePeer(person.id);
    call.ui?.tiles.remove(person.id);
    updateCount(call);
    applyBudget(call);
    if (!quiet) toast(L(`left.${LEFT_REASONS.has(reason) ? reason : 'left'}`, { name: person.name }));
  });
  on('hand_raised', ({ person }) => { if (model.moderating) toast(L('toast.hand', { name: person.name })); });
  on('hand', ({ raised }) => {
    call.ui?.tiles.get(call.you)?.setHand(raised);
    updateControls(call);
  });
  on('role', ({ role, before, announce }) => onOwnRole(call, role, before, announce));
  on('room_state', ({ locked, lobby, was, quiet }) => {
    if (quiet) return;
    if (locked !== was.locked) toast(L(locked ? 'toast.locked' : 'toast.unlocked'));
    if (lobby !== was.lobby) toast(L(lobby ? 'toast.lobby_on' : 'toast.lobby_off'));
  });
  on('lobby', ({ fresh }) => {
    if (fresh.length === 1) toast(L('toast.waiting_one', { name: fresh[0].name }), { ms: 6000 });
    else if (fresh.length > 1) toast(L('lobby.waiting', { n: fresh.length }), { ms: 6000 });
  });
  on('chat', ({ message, history }) => call.ui?.chat.addMessage(message, { history }));
  on('connection', ({ state }) => onServerState(call, state));
  // the media follows the room's mode (mesh or SFU); the SFU's active speaker is marked on its tile
  on('media_mode', ({ mode, sfu }) => call.transport?.setMode(mode, sfu));
  on('speaker', ({ id }) => call.ui?.tiles.setActiveSpeaker(id));
  const tiles = call.ui?.tiles;
  if (tiles) tiles.onSizes = (heights) => call.transport?.setTiles(heights);
  on('change', () => refreshPeople(call));
}

/**
 * A person's tile, link and quality probe.
 * @param {Call} call @param {Person} person
 */
function addPersonView(call, person) {
  const tiles = call.ui?.tiles;
  if (!call.transport || !tiles) return;
  const tile = tiles.add({ id: person.id, name: person.name, local: false, media: person.media });
  tile.el.dataset.connection = 'new';
  tile.setHand(person.hand);
  if (person.reconnecting) tile.setReconnecting(true);
  if (call.model.speaker === person.id) tile.setActiveSpeaker(true);
  const peer = linkTo(call, person.id, person.polite);
  person.connection = tile.el.dataset.connection = peer.pc.connectionState ?? 'new'; // (it may have moved already)
  tile.setStream(peer.stream);
  tiles.setScreenStream(person.id, peer.screenStream);
  call.probes.set(person.id, new QualityProbe(peer.pc));
  updateCount(call);
  if (!call.building) applyBudget(call);
}

/**
 * The link to a participant the model just added: the one made before the screen (the welcome's offers,
 * or a participant who joined meanwhile) if it fits, else a new one.
 * @param {Call} call @param {string} id @param {boolean} polite @returns {import('../transport.js').RemotePeer}
 */
function linkTo(call, id, polite) {
  const transport = /** @type {import('../transport.js').MediaTransport} */ (call.transport);
  const existing = transport.peers.get(id);
  if (call.building && existing) return existing; // (a `reset` may have replaced the first one)
  const early = call.early.get(id);
  call.early.delete(id);
  return early && early === existing && early.polite === polite ? early : transport.addPeer(id, polite);
}

/**
 * Our own role changed. A viewer sends nothing: the transport stops sending and the devices are released;
 * back to participant, the media buttons return and the user turns media on when they like.
 * @param {Call} call @param {import('../room.js').Role} role @param {import('../room.js').Role} before @param {boolean} announce
 */
function onOwnRole(call, role, before, announce) {
  if (role === 'viewer') {
    void call.transport?.setSending(false);
    if (call.media.sharing || call.media.micTrack || call.media.cameraTrack) call.media.release();
  } else if (before === 'viewer') {
    void call.transport?.setSending(true);
  }
  updateControls(call);
  if (!announce) return;
  if (role === 'host') toast(L('role_now.host'), { ms: 6000 });
  else if (role === 'moderator') toast(L('role_now.moderator'), { ms: 6000 });
  else if (role === 'viewer') toast(L('role_now.viewer'), { ms: 8000 });
  else if (before === 'viewer') toast(L('role_now.back'), { ms: 6000 });
  else toast(L('role_now.participant'));
}

/**
 * Our own connection to the server changed.
 * @param {Call} call @param {import('../signaling.js').ConnState} state
 */
function onServerState(call, state) {
  const connStatus = call.ui?.connStatus;
  if (!connStatus) return;
  if (state === 'reconnecting') {
    // non-modal: the call goes on peer to peer, local tracks keep running, what we send is queued
    if (!connStatus.firstChild) {
      connStatus.replaceChildren(h('div', { class: 'banner banner-reconnecting' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        h('span', { text: L('conn.reconnecting') })));
    }
    call.ui?.chat.setNotice(L('chat.reconnecting'));
  } else {
    connStatus.replaceChildren();
    call.ui?.chat.setNotice('');
    if (state === 'replaced') call.showBanner(L('conn.replaced'));
  }
}

/** Redraw the participant list, the lobby notice and the participants button's badge. @param {Call} call */
export function refreshPeople(call) {
  const ui = call.ui;
  if (!ui || call.phase !== 'in-call') return;
  const m = call.model;
  const mayAdmit = m.moderating;
  ui.peoplePanel.render({
    me: { id: m.you, name: call.name, role: m.role, media: call.media.state, hand: m.hand, reconnecting: false },
    others: [...m.people.values()].map((p) => ({ id: p.id, name: p.name, role: p.role, media: p.media, hand: p.hand, reconnecting: p.reconnecting })),
    locked: m.locked,
    lobby: m.lobbyOn,
    waiting: mayAdmit ? m.waiting : [],
  });
  ui.lobbyNotice.render(m.waiting, mayAdmit);
  ui.controls.setWaiting(mayAdmit ? m.waiting.length : 0);
}

/** @param {Call} call */
export function updateCount(call) {
  const countEl = call.ui?.countEl;
  if (!countEl) return;
  const n = call.model.people.size + 1;
  setText(countEl, `${n}`);
  setAttr(countEl, 'aria-label', L('count.participants', { n }));
  setAttr(countEl, 'title', L('count.participants', { n }));
}
