// call-panels.js — the call's side panels and what goes through them: the chat and the participant list
// (one open at a time), raising our hand, and files offered to everyone (transfer cards in the chat).

import { toast } from './toast.js';
import { h } from './dom.js';
import { L } from '../i18n.js';
import { TransferCard } from './transfers.js';
import { updateControls } from './call-local.js';

/** @typedef {import('./call.js').Call} Call */

/** @param {Call} call @param {boolean} open */
export function setChat(call, open) {
  if (open && call.peopleOpen) setPeople(call, false, { focus: false }); // one side panel at a time
  call.chatOpen = open;
  call.ui?.chat.setOpen(open);
  call.ui?.el.classList.toggle('chat-open', open);
  updateControls(call);
  if (!open) call.ui?.controls.chat.focus();
  call.ui?.tiles.layout();
}

/** The participant list. @param {Call} call @param {boolean} open @param {{ focus?: boolean }} [opts] */
export function setPeople(call, open, { focus = true } = {}) {
  const ui = call.ui;
  if (open && call.chatOpen) {
    call.chatOpen = false;
    ui?.chat.setOpen(false);
    ui?.el.classList.remove('chat-open');
  }
  call.peopleOpen = open;
  ui?.peoplePanel.setOpen(open);
  ui?.el.classList.toggle('people-open', open);
  updateControls(call);
  if (!open && focus) ui?.controls.people.focus();
  ui?.tiles.layout();
}

/** Raise or lower our hand (shown at once; the server's echo confirms it). @param {Call} call */
export function toggleHand(call) {
  const raised = !call.model.hand;
  call.signaling.hand(raised);
  call.model.setOwnHand(raised);
}

/**
 * Offer files to everyone who can receive them, or to `only` these participants (a tile's *Send a file…*).
 * @param {Call} call @param {File[]} files @param {string[]} [only]
 */
export function shareFiles(call, files, only) {
  const people = [...call.model.people.keys()].filter((id) => !only || only.includes(id));
  // in an SFU room, a files-only connection to each is opened now (its channel is usable at once)
  for (const id of people) if (!call.files.canSendTo(id)) call.transport?.openFiles(id);
  const targets = people.filter((id) => call.files.canSendTo(id));
  if (!targets.length) { toast(only ? L('files.cannot_receive', { name: call.model.nameOf(only[0]) }) : L('files.nobody')); return; }
  for (const f of files) call.files.offer(f, targets);
  if (only && !call.chatOpen) toast(L('files.offered_to', { name: call.model.nameOf(targets[0]) }));
}

/**
 * Let the user pick files (the browser's file chooser; called from a click, which it needs).
 * @param {(files: File[]) => void} then
 */
export function pickFiles(then) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'file', multiple: true, class: 'visually-hidden', 'aria-hidden': 'true', tabindex: '-1' }));
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.remove();
    if (files.length) then(files);
  }, { once: true });
  input.addEventListener('cancel', () => input.remove(), { once: true });
  document.body.append(input);
  input.click();
}

/** A transfer's card in the chat. @param {Call} call @param {import('../files.js').Transfer} t @param {boolean} incoming */
export function showTransfer(call, t, incoming) {
  const chat = call.ui?.chat;
  if (call.cards.has(t.id) || !chat) return;
  const card = new TransferCard(t, call.files, (id) => call.model.nameOf(id));
  call.cards.set(t.id, card);
  chat.addItem(card.el, incoming);
  if (incoming && !call.chatOpen) toast(L('files.incoming_toast', { name: call.model.nameOf(t.peerId) }));
}
