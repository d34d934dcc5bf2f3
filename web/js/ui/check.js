// check.js — the connection self-test page (/check): joins a throwaway room for ICE servers and
// credentials, runs the STUN / TURN-UDP / TURN-TCP checks of connectivity.js, and says in plain words
// whether calls across networks will work and what to tell the server's admin.

import { h } from './dom.js';
import { icon } from './icons.js';
import { Signaling, socketUrl, ServerError } from '../signaling.js';
import { randomRoomName } from '../room-name.js';
import { CHECK_KINDS, runChecks, verdict, endpointOf } from '../connectivity.js';

/** @typedef {import('../connectivity.js').CheckKind} CheckKind */
/** @typedef {import('../connectivity.js').CheckResult} CheckResult */

/** @type {Record<CheckKind, { title: string, what: string }>} */
const LABELS = {
  stun: { title: 'STUN', what: 'finds your public address, for direct connections' },
  'turn-udp': { title: 'Relay (TURN) over UDP', what: 'carries calls when direct connections are blocked' },
  'turn-tcp': { title: 'Relay (TURN) over TCP', what: 'the fallback for networks that block UDP' },
};

const VERDICTS = {
  'relay-ok': 'Calls will work through the relay even if direct connections are blocked.',
  'tcp-only': 'Your network blocks UDP; TCP fallback works. Calls will work, possibly with a little more delay.',
  unreachable: 'Cannot reach the relay server: calls across networks may fail. Calls with people on the same network may still work.',
  'no-relay': 'This server has no relay (TURN) configured: calls across networks may fail.',
};

/**
 * @param {HTMLElement} root
 * @param {{ backRoom: string | null, onDone?: (state: object) => void }} opts
 */
export function renderCheck(root, { backRoom, onDone }) {
  document.title = 'Connection test · ruang';
  const status = h('p', { id: 'check-status', class: 'check-status', role: 'status', text: 'Asking the server for its relay details…' });
  /** @type {Record<CheckKind, HTMLLIElement>} */
  const rows = /** @type {any} */ ({});
  for (const kind of CHECK_KINDS) {
    rows[kind] = h('li', { class: 'check-row', dataset: { check: kind, result: 'pending' } },
      h('span', { class: 'check-mark', 'aria-hidden': 'true' }),
      h('span', { class: 'check-text' },
        h('strong', { class: 'check-title', text: LABELS[kind].title }),
        h('span', { class: 'check-what muted', text: LABELS[kind].what })),
      h('span', { class: 'check-result', text: 'waiting' }));
  }
  const verdictEl = h('p', { id: 'check-verdict', class: 'check-verdict', 'aria-live': 'polite', dataset: { verdict: 'pending' } });
  const admin = h('div', { id: 'check-admin', class: 'check-admin', hidden: true });
  const again = h('button', { type: 'button', class: 'btn', id: 'check-again', disabled: true, onclick: () => void run() }, 'Test again');
  const back = backRoom
    ? h('a', { class: 'btn btn-primary', id: 'check-back', href: `/r/${encodeURIComponent(backRoom)}` }, 'Back to room ', h('code', { text: backRoom }))
    : h('a', { class: 'btn btn-primary', id: 'check-back', href: '/' }, 'Start page');
  const main = h('main', { class: 'landing', id: 'check', dataset: { state: 'running' }, 'aria-busy': 'true' },
    h('section', { class: 'landing-card check-card', 'aria-labelledby': 'check-heading' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { id: 'check-heading', text: 'Connection test' })),
      h('p', { class: 'tagline', text: 'Checks whether your network can reach this server’s relay, which carries calls when a direct connection between participants is not possible.' }),
      status,
      h('ul', { class: 'check-list', 'aria-label': 'Checks' }, CHECK_KINDS.map((k) => rows[k])),
      verdictEl,
      admin,
      h('div', { class: 'prejoin-actions' }, back, again)));
  root.replaceChildren(main);

  /** @param {CheckResult} r */
  const showResult = (r) => {
    const row = rows[r.kind];
    row.dataset.result = r.result;
    if (r.ms !== null) row.dataset.ms = String(r.ms);
    else delete row.dataset.ms;
    const text = r.result === 'reachable' ? `reachable (${r.ms} ms)`
      : r.result === 'not-configured' ? 'not configured'
        : 'not reachable';
    const result = /** @type {HTMLElement} */ (row.querySelector('.check-result'));
    result.textContent = text;
    result.title = r.url ? `${r.url}${r.error ? ` — ${r.error}` : ''}` : '';
  };

  let running = false;
  async function run() {
    if (running) return;
    running = true;
    again.disabled = true;
    main.dataset.state = 'running';
    main.setAttribute('aria-busy', 'true');
    verdictEl.dataset.verdict = 'pending';
    verdictEl.textContent = '';
    admin.hidden = true;
    admin.replaceChildren();
    for (const kind of CHECK_KINDS) {
      rows[kind].dataset.result = 'pending';
      /** @type {HTMLElement} */ (rows[kind].querySelector('.check-result')).textContent = 'waiting';
    }
    status.textContent = 'Asking the server for its relay details…';
    const sig = new Signaling(socketUrl());
    let joined = false;
    try {
      await sig.connect();
      // a throwaway room nobody can guess: the welcome carries this participant's ICE servers and credentials
      const welcome = await sig.join({ room: `check-${randomRoomName()}`, name: 'Connection test', media: { audio: false, video: false, screen: false } });
      joined = true;
      status.textContent = 'Testing (takes up to 5 seconds)…';
      for (const kind of CHECK_KINDS) /** @type {HTMLElement} */ (rows[kind].querySelector('.check-result')).textContent = 'testing…';
      const results = await runChecks(welcome.ice_servers, showResult);
      const v = verdict(results);
      verdictEl.dataset.verdict = v;
      verdictEl.replaceChildren(icon(v === 'relay-ok' ? 'check' : v === 'tcp-only' ? 'help' : 'close'), VERDICTS[v]);
      showAdvice(v, results);
      status.textContent = 'Test finished.';
      main.dataset.state = 'done';
      onDone?.({ verdict: v, results });
    } catch (err) {
      main.dataset.state = 'error';
      status.textContent = err instanceof ServerError
        ? `The server refused the test: ${err.message}`
        : 'Could not reach the server at all. Check your internet connection.';
    } finally {
      if (joined) sig.leave();
      else sig.close();
      main.removeAttribute('aria-busy');
      again.disabled = false;
      running = false;
    }
  }

  /**
   * What to tell the admin when the relay is not reachable (or reachable only over TCP).
   * @param {string} v
   * @param {Record<CheckKind, CheckResult>} results
   */
  function showAdvice(v, results) {
    if (v === 'relay-ok') return;
    const urls = /** @type {string[]} */ (['turn-udp', 'turn-tcp', 'stun'].map((k) => results[/** @type {CheckKind} */ (k)].url).filter(Boolean));
    const host = urls.length ? endpointOf(urls[0]).host : location.hostname;
    const ports = [...new Set(urls.map((u) => { const e = endpointOf(u); return `${e.port}/${e.transport}`; }))];
    const portText = ports.length ? ports.join(', ') : '3478/UDP, 3478/TCP';
    /** @type {(string | Node)[]} */
    let lines;
    if (v === 'no-relay') {
      lines = ['Tell the server’s admin: the built-in STUN/TURN server is switched off (or no TURN server is configured). Start ruang without ',
        h('code', { text: '--no-turn' }), ' and open port 3478 over UDP and TCP (plus the relay ports 49152–65535/UDP) in the firewall.'];
    } else if (v === 'tcp-only') {
      lines = [`Your network (or a firewall on it) lets TCP through but not UDP to ${host}. If you can, ask your network’s admin to allow UDP to port ${endpointOf(urls[0]).port}; calls work without it.`];
    } else {
      lines = [`Tell the server’s admin: the relay at ${host} did not answer on ${portText}. Ports 3478 over UDP and TCP (and the relay ports 49152–65535/UDP) must be open to the internet, and `,
        h('code', { text: '--turn-public-ip' }), ' must be the server’s public address. If you are on a strict company or hotel network, its firewall may block these ports.'];
    }
    admin.replaceChildren(h('h2', { text: 'What to do' }), h('p', {}, lines));
    admin.hidden = false;
  }

  void run();
  back.focus();
}
