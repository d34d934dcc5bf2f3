// app.js — entry point: routes on location.pathname ("/" → landing, "/r/<room>" → pre-join → call →
// left screen, "/check" → connection test) and publishes the read-only test hook `window.ruang`.

import { h } from './ui/dom.js';
import { renderLanding } from './ui/landing.js';
import { renderPrejoin } from './ui/prejoin.js';
import { renderCheck } from './ui/check.js';
import { Call } from './ui/call.js';
import { LocalMedia } from './media.js';
import { ServerError } from './signaling.js';
import { roomFromPath } from './room-name.js';
import { ROOM_RE } from './signaling.js';

const root = /** @type {HTMLElement} */ (document.getElementById('app'));

/** @type {{ view: string, call: Call | null, room: string | null }} */
const app = { view: 'loading', call: null, room: null };

/** Human text for a refused join. @param {unknown} err */
function joinErrorText(err) {
  if (err instanceof ServerError) {
    switch (err.code) {
      case 'room_full': return 'This room is full. Try again when someone leaves.';
      case 'too_many_rooms': return 'The server has reached its maximum number of rooms. Try again later.';
      case 'invalid_room': return 'That room name is not valid.';
      case 'invalid_name': return 'That name cannot be used: 1 to 64 bytes, no control characters.';
      case 'shutting_down': return 'The server is stopping. Try again in a moment.';
      case 'room_locked': return 'This meeting is locked: nobody new can join.';
      case 'banned': return 'You were removed from this meeting and cannot rejoin it.';
      case 'unsupported_version': return 'This page is out of date for the server. Reload the page.';
      case 'closed': return 'The connection to the server closed while joining. Try again.';
      default: return `The server refused to join: ${err.message}`;
    }
  }
  return 'Could not reach the server. Check your connection and try again.';
}

/** @param {string} room */
function go(room) {
  location.assign(`/r/${encodeURIComponent(room)}`);
}

function home() {
  location.assign('/');
}

/** @param {string} room @param {string} [error] */
function showPrejoin(room, error) {
  app.view = 'prejoin';
  app.room = room;
  const media = new LocalMedia();
  let cleanup = () => {};
  cleanup = renderPrejoin(root, {
    room, media, error, onHome: home,
    onJoin: async ({ name, receiveOnly }) => {
      if (receiveOnly) media.stopAll();
      cleanup();
      app.view = 'joining';
      const call = new Call({ root, room, name, media, onLeft: (why) => showLeft(room, why) });
      app.call = call;
      try {
        await call.start();
        app.view = 'call';
      } catch (err) {
        app.call = null;
        call.teardown();
        showPrejoin(room, joinErrorText(err));
      }
    },
  });
}

/** @param {string} room @param {string} [why] 'left', or a sentence saying why we are out of the call */
function showLeft(room, why = 'left') {
  app.view = 'left';
  app.call = null;
  const left = why === 'left';
  document.title = `${left ? 'You left' : 'Out of the meeting'} · ruang`;
  const rejoin = h('button', { type: 'button', class: 'btn btn-primary', id: 'rejoin', onclick: () => showPrejoin(room) }, 'Rejoin');
  root.replaceChildren(h('main', { class: 'landing', id: 'left' },
    h('section', { class: 'landing-card' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { text: left ? 'You left the meeting' : why })),
      h('p', { class: 'tagline' }, 'Room ', h('code', { class: 'room-name', text: room })),
      h('div', { class: 'prejoin-actions' }, rejoin,
        h('button', { type: 'button', class: 'btn', onclick: home }, 'Start page')))));
  rejoin.focus();
}

function route() {
  // the connection test: /check (the server serves index.html there, as for / and /r/<room>).
  // ?room=<room> adds a way back to that room's pre-join.
  if (location.pathname === '/check') {
    app.view = 'check';
    const back = new URLSearchParams(location.search).get('room');
    renderCheck(root, { backRoom: back && ROOM_RE.test(back) ? back : null });
    return;
  }
  const room = roomFromPath(location.pathname);
  if (room) showPrejoin(room);
  else {
    app.view = 'landing';
    renderLanding(root, { go, error: room === null ? 'That link has an invalid room name.' : undefined });
  }
}

// Test hook: read-only views for Playwright (getStats() on each peer connection, state assertions).
Object.defineProperty(window, 'ruang', {
  value: Object.freeze({
    /** current view and, in a call, a snapshot of its state */
    get state() { return { view: app.view, room: app.room, ...(app.call ? app.call.snapshot() : {}) }; },
    /** @returns {Map<string, RTCPeerConnection>} a fresh copy: remote participant id → connection */
    get peers() { return new Map([...(app.call?.mesh?.peers ?? new Map()).entries()].map(([id, p]) => [id, p.pc])); },
    /** our connection to the server: 'idle', 'connected', 'reconnecting', 'replaced', 'failed' or 'closed' */
    get connection() { return app.call?.signaling.state ?? 'idle'; },
    version: 1,
  }),
  writable: false,
  configurable: false,
});

route();
