// app.js — entry point: routes on location.pathname ("/" → landing, "/r/<room>" → pre-join → call (maybe
// through the password prompt or the lobby's waiting screen) → left screen, "/check" → connection test)
// and publishes the read-only test hook `window.ruang`. Keeps a room's password, host password and
// invitation in memory (never in storage, never in the visible address) so that rejoining needs none again.

import { renderLanding } from './ui/landing.js';
import { renderPrejoin } from './ui/prejoin.js';
import { renderCheck } from './ui/check.js';
import { renderWaiting } from './ui/lobby.js';
import { renderLeft, removedOutcome, refusalOutcome, cancelledOutcome } from './ui/left.js';
import { passwordDialog } from './ui/dialogs.js';
import { LocalMedia } from './media.js';
import { Signaling, ServerError, RemovedError, ROOM_RE, socketUrl } from './signaling.js';
import { roomFromPath, inviteFromHash } from './room-name.js';
import { applyTheme } from './ui/theme.js';
import { initLanguage } from './ui/lang.js';
import { L } from './i18n.js';

/** @typedef {import('./signaling.js').Credentials} Credentials */
/** @typedef {import('./ui/call.js').Call} Call */
/** @typedef {import('./ui/left.js').Outcome} Outcome */

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
applyTheme();
initLanguage();
/** The peer connection for the call is made this long after the pre-join screen shows (not while it starts). */
const WARM_PC_DELAY_MS = 300;
/**
 * Join waits at most this long for the camera and microphone the pre-join screen is starting (an early
 * click): joining meanwhile slows their start, and the join then announces them as they are.
 */
const MEDIA_START_WAIT_MS = 1500;

/**
 * The call's modules (the call screen, the mesh, the SFU, files, recording: more than half of the client)
 * are not needed to draw the pre-join screen and start the camera, so they are not imported before it: they
 * load while the user looks at the preview, and Join waits for them only if it comes first.
 * @type {Promise<{ Call: typeof import('./ui/call.js').Call, prepareTransport: typeof import('./transport.js').prepareTransport }> | null}
 */
let callModules = null;
function loadCall() {
  callModules ??= Promise.all([import('./ui/call.js'), import('./transport.js')])
    .then(([call, transport]) => ({ Call: call.Call, prepareTransport: transport.prepareTransport }))
    .catch((err) => { callModules = null; throw err; });
  return callModules;
}

/**
 * `early`: what the pre-join screen prepares for joining — the signaling socket (opened, so that Join only
 * sends `join`) and a peer connection for the first participant we call; handed to the Call on Join,
 * closed when the pre-join screen is drawn again.
 * @type {{ view: string, call: Call | null, room: string | null,
 *   early: { signaling: Signaling, warm: RTCPeerConnection | null, timer: ReturnType<typeof setTimeout> | undefined } | null }}
 */
const app = { view: 'loading', call: null, room: null, early: null };

/** @type {Map<string, Credentials>} per room: the password that worked, the invitation from the link */
const credentials = new Map();

/** @param {string} room @returns {Credentials} */
function credentialsFor(room) {
  let c = credentials.get(room);
  if (!c) { c = {}; credentials.set(room, c); }
  return c;
}

/** Join refusals the pre-join screen explains (the tables' `join.<code>` texts). */
const JOIN_ERRORS = new Set(['room_full', 'too_many_rooms', 'too_many_new_rooms', 'invalid_room', 'invalid_name',
  'shutting_down', 'room_locked', 'lobby_full', 'banned', 'password_required', 'wrong_password', 'too_many_attempts',
  'unsupported_version', 'sfu_required', 'internal', 'closed']);

/** Refusals of a join with a host password that are about the host password. */
const HOST_REFUSALS = new Set(['wrong_password', 'too_many_attempts']);

/** Human text for a refused join (a label: it follows a language switch). @param {unknown} err */
function joinErrorText(err) {
  if (err instanceof ServerError) {
    return JOIN_ERRORS.has(err.code) ? L(`join.${err.code}`) : L('join.refused', { message: err.message });
  }
  return L('join.unreachable');
}

/** @param {string} room @param {string | null} [invite] an invitation from a pasted link */
function go(room, invite) {
  location.assign(`/r/${encodeURIComponent(room)}${invite ? `#invite=${invite}` : ''}`);
}

function home() {
  location.assign('/');
}

/**
 * Take an invitation out of the address (`#invite=<token>`): keep it in memory for this room and remove it
 * from the visible URL, so copying the link does not share it.
 * @param {string} room
 * @returns {boolean} whether there was one
 */
function takeInvite(room) {
  const token = inviteFromHash(location.hash);
  if (location.hash) history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  if (!token) return false;
  credentialsFor(room).invite = token;
  return true;
}

/**
 * @param {string} room @param {string | import('./i18n.js').Label} [error]
 * @param {{ host?: { error?: import('./i18n.js').Label }, want?: { audio: boolean, video: boolean } }} [again]
 *   the host password was refused: the pre-join screen opens its host part with the error, devices as they were
 */
function showPrejoin(room, error, again = {}) {
  app.view = 'prejoin';
  app.room = room;
  const media = new LocalMedia();
  const creds = credentialsFor(room);
  dropEarly();
  // Connect while the user looks at the preview: the server waits join_timeout_ms for `join` on it (and
  // the socket is opened again if it closes meanwhile); the connection for the call is made when idle.
  const early = { signaling: new Signaling(socketUrl(), { resume: true }), warm: /** @type {RTCPeerConnection | null} */ (null), timer: /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined) };
  app.early = early;
  early.signaling.warm();
  early.timer = setTimeout(() => {
    early.timer = undefined;
    if (app.early !== early || typeof RTCPeerConnection !== 'function') return;
    // (not while the camera starts: see MEDIA_START_WAIT_MS)
    Promise.all([loadCall(), media.settled(MEDIA_START_WAIT_MS)]).then(([{ prepareTransport }]) => {
      if (app.early === early && !early.warm) early.warm = prepareTransport();
    }).catch((err) => console.warn('ruang: no peer connection made ahead', err));
  }, WARM_PC_DELAY_MS);
  let cleanup = () => {};
  cleanup = renderPrejoin(root, {
    room, media, error, onHome: home, invite: creds.invite, want: again.want,
    host: again.host ?? (creds.hostPassword === undefined ? undefined : { password: creds.hostPassword }),
    onJoin: async ({ name, receiveOnly, hostPassword }) => {
      /** @type {typeof import('./ui/call.js').Call} */
      let Call;
      try {
        [{ Call }] = await Promise.all([loadCall(), media.settled(MEDIA_START_WAIT_MS)]);
      } catch {
        if (app.early === early) { cleanup(); showPrejoin(room, L('join.unreachable')); }
        return;
      }
      if (app.early !== early) return; // the pre-join screen was left meanwhile
      const want = { audio: media.micOn && !receiveOnly, video: media.cameraOn && !receiveOnly };
      if (hostPassword === undefined) delete creds.hostPassword;
      else creds.hostPassword = hostPassword;
      if (receiveOnly) media.stopAll();
      cleanup();
      app.view = 'joining';
      clearTimeout(early.timer);
      app.early = null; // the call owns them now
      let stopWaiting = () => {};
      let waited = false;
      const call = new Call({
        root, room, name, media, credentials: creds,
        onLeft: (outcome) => showLeft(room, outcome),
        onWaiting: () => {
          app.view = 'waiting';
          waited = true;
          stopWaiting = renderWaiting(root, { room, name, media, onLeave: () => call.cancel() });
        },
        askPassword: (code) => passwordDialog({ code, room }),
        signaling: early.signaling,
        warm: early.warm,
      });
      app.call = call;
      try {
        await call.start();
        stopWaiting();
        app.view = 'call';
      } catch (err) {
        stopWaiting();
        app.call = null;
        call.teardown();
        if (err instanceof RemovedError) { showLeft(room, removedOutcome(err.reason, null, false)); return; }
        if (call.cancelled) {
          delete creds.password;
          if (waited) showLeft(room, cancelledOutcome());
          else showPrejoin(room);
          return;
        }
        if (err instanceof ServerError && err.code === 'invalid_invite') delete creds.invite; // rejoining tries without it
        if (err instanceof ServerError && creds.hostPassword !== undefined && HOST_REFUSALS.has(err.code)) {
          delete creds.hostPassword; // (a wrong one is not kept)
          showPrejoin(room, undefined, { host: { error: L(err.code === 'wrong_password' ? 'host.wrong' : 'host.too_many') }, want });
          return;
        }
        const out = err instanceof ServerError ? refusalOutcome(err.code) : null;
        if (out) showLeft(room, out);
        else showPrejoin(room, joinErrorText(err));
      }
    },
  });
  // (after the screen and its camera request: evaluating the call's modules takes the page's thread a while)
  void loadCall().catch(() => { /* Join tries again and says so */ });
}

/** Close what an unused pre-join screen prepared (see `app.early`). */
function dropEarly() {
  const early = app.early;
  app.early = null;
  if (!early) return;
  clearTimeout(early.timer);
  early.signaling.close();
  early.warm?.close();
}

/** @param {string} room @param {Outcome} outcome */
function showLeft(room, outcome) {
  dropEarly();
  app.view = 'left';
  app.call = null;
  renderLeft(root, room, outcome, { onRejoin: () => showPrejoin(room), onHome: home });
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
  if (room) {
    takeInvite(room);
    showPrejoin(room);
  } else {
    app.view = 'landing';
    renderLanding(root, { go, error: room === null ? L('landing.bad_link') : undefined });
  }
}

// An invitation link opened in this tab while it shows the same room: only the fragment changes.
window.addEventListener('hashchange', () => {
  const room = roomFromPath(location.pathname);
  if (room && takeInvite(room) && (app.view === 'prejoin' || app.view === 'left')) showPrejoin(room);
});

// Test hook: read-only views for Playwright (getStats() on each peer connection, state assertions).
Object.defineProperty(window, 'ruang', {
  value: Object.freeze({
    /** current view ('landing', 'prejoin', 'joining', 'waiting', 'call', 'left', 'check') and, from joining on, a snapshot of the call */
    get state() { return { view: app.view, room: app.room, ...(app.call ? app.call.snapshot() : {}) }; },
    /** @returns {Map<string, RTCPeerConnection>} a fresh copy: remote participant id → connection */
    get peers() { return new Map([...(app.call?.transport?.peers ?? new Map()).entries()].map(([id, p]) => [id, p.pc])); },
    /** our connection to the server: 'idle', 'connected', 'reconnecting', 'replaced', 'failed', 'removed' or 'closed' */
    get connection() { return app.call?.signaling.state ?? 'idle'; },
    /** whether we hold an invitation for `room` (never the token itself) */
    hasInvite(/** @type {string} */ room) { return !!credentials.get(room)?.invite; },
    version: 1,
  }),
  writable: false,
  configurable: false,
});

route();
