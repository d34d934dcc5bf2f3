// check.js — the connection self-test page (/check): joins a throwaway room for ICE servers and
// credentials, runs the STUN / TURN-UDP / TURN-TCP checks of connectivity.js, and says in plain words
// whether calls across networks will work and what to tell the server's admin.

import { h, setText, setAttr, setTitle } from './dom.js';
import { L } from '../i18n.js';
import { languageSwitch } from './lang.js';
import { icon } from './icons.js';
import { Signaling, socketUrl, ServerError } from '../signaling.js';
import { randomRoomName } from '../room-name.js';
import { CHECK_KINDS, runChecks, verdict, endpointOf } from '../connectivity.js';

/** @typedef {import('../connectivity.js').CheckKind} CheckKind */
/** @typedef {import('../connectivity.js').CheckResult} CheckResult */

/** Each check's name and what it is for: the tables' `check.<kind>.title` and `check.<kind>.what`; the
 * verdicts are `check.verdict.<verdict>`. */

/**
 * @param {HTMLElement} root
 * @param {{ backRoom: string | null, onDone?: (state: object) => void }} opts
 */
export function renderCheck(root, { backRoom, onDone }) {
  setTitle(L('check.doc_title'));
  const status = h('p', { id: 'check-status', class: 'check-status', role: 'status', text: L('check.asking') });
  /** @type {Record<CheckKind, HTMLLIElement>} */
  const rows = /** @type {any} */ ({});
  for (const kind of CHECK_KINDS) {
    rows[kind] = h('li', { class: 'check-row', dataset: { check: kind, result: 'pending' } },
      h('span', { class: 'check-mark', 'aria-hidden': 'true' }),
      h('span', { class: 'check-text' },
        h('strong', { class: 'check-title', text: L(`check.${kind}.title`) }),
        h('span', { class: 'check-what muted', text: L(`check.${kind}.what`) })),
      h('span', { class: 'check-result', text: L('check.waiting') }));
  }
  const verdictEl = h('p', { id: 'check-verdict', class: 'check-verdict', 'aria-live': 'polite', dataset: { verdict: 'pending' } });
  const admin = h('div', { id: 'check-admin', class: 'check-admin', hidden: true });
  const again = h('button', { type: 'button', class: 'btn', id: 'check-again', disabled: true, onclick: () => void run() }, L('check.again'));
  const back = backRoom
    ? h('a', { class: 'btn btn-primary', id: 'check-back', href: `/r/${encodeURIComponent(backRoom)}` }, L('check.back'), ' ', h('code', { text: backRoom }))
    : h('a', { class: 'btn btn-primary', id: 'check-back', href: '/' }, L('out.home'));
  const main = h('main', { class: 'landing', id: 'check', dataset: { state: 'running' }, 'aria-busy': 'true' },
    h('section', { class: 'landing-card check-card', 'aria-labelledby': 'check-heading' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('h1', { id: 'check-heading', text: L('check.title') })),
      h('p', { class: 'tagline', text: L('check.tagline') }),
      status,
      h('ul', { class: 'check-list', 'aria-label': L('check.list') }, CHECK_KINDS.map((k) => rows[k])),
      verdictEl,
      admin,
      h('div', { class: 'prejoin-actions' }, back, again),
      h('p', { class: 'landing-switches' }, languageSwitch())));
  root.replaceChildren(main);

  /** @param {CheckResult} r */
  const showResult = (r) => {
    const row = rows[r.kind];
    row.dataset.result = r.result;
    if (r.ms !== null) row.dataset.ms = String(r.ms);
    else delete row.dataset.ms;
    const text = r.result === 'reachable' ? L('check.reachable', { ms: r.ms ?? 0 })
      : r.result === 'not-configured' ? L('check.not_configured')
        : L('check.unreachable');
    const result = /** @type {HTMLElement} */ (row.querySelector('.check-result'));
    setText(result, text);
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
      setText(/** @type {HTMLElement} */ (rows[kind].querySelector('.check-result')), L('check.waiting'));
    }
    setText(status, L('check.asking'));
    const sig = new Signaling(socketUrl());
    let joined = false;
    try {
      await sig.connect();
      // a throwaway room nobody can guess: the welcome carries this participant's ICE servers and credentials
      // (the name is seen by nobody: the room is a throwaway) i18n-exempt: next line
      const welcome = await sig.join({ room: `check-${randomRoomName()}`, name: 'Connection test', media: { audio: false, video: false, screen: false } });
      joined = true;
      setText(status, L('check.testing'));
      for (const kind of CHECK_KINDS) setText(/** @type {HTMLElement} */ (rows[kind].querySelector('.check-result')), L('check.row_testing'));
      const results = await runChecks(welcome.ice_servers, showResult);
      const v = verdict(results);
      verdictEl.dataset.verdict = v;
      verdictEl.replaceChildren(icon(v === 'relay-ok' ? 'check' : v === 'tcp-only' ? 'help' : 'close'), h('span', { text: L(`check.verdict.${v}`) }));
      showAdvice(v, results);
      setText(status, L('check.finished'));
      main.dataset.state = 'done';
      onDone?.({ verdict: v, results });
    } catch (err) {
      main.dataset.state = 'error';
      setText(status, err instanceof ServerError ? L('check.refused', { message: err.message }) : L('check.no_server'));
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
    /** @type {(string | Node | import('../i18n.js').Label)[]} */
    let lines;
    if (v === 'no-relay') {
      lines = [L('check.admin.no_relay_1'), h('code', { text: '--no-turn' }), L('check.admin.no_relay_2')];
    } else if (v === 'tcp-only') {
      lines = [L('check.admin.tcp_only', { host, port: endpointOf(urls[0]).port })];
    } else {
      lines = [L('check.admin.unreachable_1', { host, ports: portText }), h('code', { text: '--turn-public-ip' }), L('check.admin.unreachable_2')];
    }
    admin.replaceChildren(h('h2', { text: L('check.what_to_do') }), h('p', {}, lines));
    admin.hidden = false;
  }

  void run();
  back.focus();
}
