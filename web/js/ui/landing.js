// landing.js — the start page: create a new room (random, unguessable name) or join one by name or link.

import { h, setText, setTitle } from './dom.js';
import { L } from '../i18n.js';
import { languageSwitch } from './lang.js';
import { icon } from './icons.js';
import { randomRoomName, parseRoomInput, inviteFromInput } from '../room-name.js';
import { themeButton } from './theme.js';

/**
 * @param {HTMLElement} root
 * @param {{ go: (room: string, invite?: string | null) => void, error?: string | import('../i18n.js').Label }} opts
 *   go: open a room, with the invitation of a pasted invitation link
 */
export function renderLanding(root, { go, error }) {
  setTitle('ruang');
  const input = h('input', {
    id: 'room-input', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    placeholder: L('landing.room_placeholder'), 'aria-describedby': 'join-error',
  });
  const err = h('p', { id: 'join-error', class: 'form-error', role: 'alert', text: error ?? '' });
  const form = h('form', {
    class: 'join-form',
    onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      const room = parseRoomInput(input.value);
      if (!room) {
        setText(err, L('landing.bad_room'));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      go(room, inviteFromInput(input.value));
    },
  },
  h('label', { for: 'room-input', class: 'visually-hidden', text: L('landing.room_placeholder') }),
  input,
  h('button', { type: 'submit', class: 'btn', id: 'join-room' }, L('landing.join'), icon('arrow')));

  root.replaceChildren(h('main', { class: 'landing', id: 'landing' },
    h('section', { class: 'landing-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { text: 'ruang' })),
      h('p', { class: 'tagline', text: L('landing.tagline') }),
      h('button', { type: 'button', class: 'btn btn-primary btn-large', id: 'new-meeting', onclick: () => go(randomRoomName()) },
        icon('plus'), L('landing.new_meeting')),
      h('div', { class: 'divider', role: 'presentation' }, h('span', { text: L('landing.or_join') })),
      form,
      err),
    h('footer', { class: 'landing-foot' },
      h('p', { text: L('landing.tip') }),
      h('p', {}, h('a', { href: '/check', id: 'check-link', text: L('check.link') }),
        L('landing.check_why')),
      h('p', { class: 'landing-switches' }, themeButton(), ' ', languageSwitch()))));
  if (!error) document.getElementById('new-meeting')?.focus();
}
