// landing.js — the start page: create a new room (random, unguessable name) or join one by name or link.

import { h } from './dom.js';
import { icon } from './icons.js';
import { randomRoomName, parseRoomInput, inviteFromInput } from '../room-name.js';
import { themeButton } from './theme.js';

/**
 * @param {HTMLElement} root
 * @param {{ go: (room: string, invite?: string | null) => void, error?: string }} opts
 *   go: open a room, with the invitation of a pasted invitation link
 */
export function renderLanding(root, { go, error }) {
  document.title = 'ruang';
  const input = h('input', {
    id: 'room-input', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    placeholder: 'Room name or invite link', 'aria-describedby': 'join-error',
  });
  const err = h('p', { id: 'join-error', class: 'form-error', role: 'alert', text: error ?? '' });
  const form = h('form', {
    class: 'join-form',
    onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      const room = parseRoomInput(input.value);
      if (!room) {
        err.textContent = 'Room names are 1 to 64 letters, digits, "-" or "_" (or paste an invite link).';
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      go(room, inviteFromInput(input.value));
    },
  },
  h('label', { for: 'room-input', class: 'visually-hidden', text: 'Room name or invite link' }),
  input,
  h('button', { type: 'submit', class: 'btn', id: 'join-room' }, 'Join', icon('arrow')));

  root.replaceChildren(h('main', { class: 'landing', id: 'landing' },
    h('section', { class: 'landing-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { text: 'ruang' })),
      h('p', { class: 'tagline', text: 'Video meetings on your own server. Media goes straight between the participants; no accounts, nothing to install.' }),
      h('button', { type: 'button', class: 'btn btn-primary btn-large', id: 'new-meeting', onclick: () => go(randomRoomName()) },
        icon('plus'), 'New meeting'),
      h('div', { class: 'divider', role: 'presentation' }, h('span', { text: 'or join a room' })),
      form,
      err),
    h('footer', { class: 'landing-foot' },
      h('p', { text: 'Tip: share the link of a room to invite people. Up to 8 people per room work best.' }),
      h('p', {}, h('a', { href: '/check', id: 'check-link', text: 'Test my connection' }),
        ' — can your network reach this server’s relay?'),
      h('p', {}, themeButton()))));
  if (!error) document.getElementById('new-meeting')?.focus();
}
