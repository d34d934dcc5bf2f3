// connectivity.js — the network self-test: can this browser reach the server's STUN and TURN services?
// For each of STUN, TURN over UDP and TURN over TCP, one RTCPeerConnection with only that one URL gathers
// candidates (TURN checks with iceTransportPolicy "relay"); a server-reflexive (STUN) or relay (TURN)
// candidate means the service answered. No DOM here: ui/check.js shows the results.

/** @typedef {import('./signaling.js').IceServer} IceServer */
/** @typedef {'stun' | 'turn-udp' | 'turn-tcp'} CheckKind */
/**
 * @typedef {{ kind: CheckKind, url: string | null, result: 'reachable' | 'unreachable' | 'not-configured',
 *   ms: number | null, address: string | null, error: string | null }} CheckResult
 */

export const CHECK_KINDS = /** @type {CheckKind[]} */ (['stun', 'turn-udp', 'turn-tcp']);
export const CHECK_TIMEOUT_MS = 5000;

/**
 * The transport of a TURN URL: the `transport` parameter, UDP when absent (RFC 7065).
 * @param {string} url
 * @returns {'udp' | 'tcp'}
 */
function turnTransport(url) {
  const m = /[?&]transport=(udp|tcp)\b/i.exec(url);
  return m && m[1].toLowerCase() === 'tcp' ? 'tcp' : 'udp';
}

/**
 * Pick, for each check, the first matching URL of the server's ICE servers, with that entry's credentials.
 * `turns:` (TLS) URLs count as TURN/TCP only when there is no plain `turn:…?transport=tcp`.
 * @param {IceServer[]} iceServers
 * @returns {Record<CheckKind, IceServer | null>} a single-URL ICE server entry per check, or null
 */
export function pickServers(iceServers) {
  /** @type {Record<CheckKind, IceServer | null>} */
  const out = { stun: null, 'turn-udp': null, 'turn-tcp': null };
  /** @type {IceServer | null} */
  let turns = null;
  for (const s of iceServers) {
    for (const url of s.urls) {
      const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
      const single = (/** @type {string} */ u) => {
        /** @type {IceServer} */
        const e = { urls: [u] };
        if (s.username !== undefined) e.username = s.username;
        if (s.credential !== undefined) e.credential = s.credential;
        return e;
      };
      if (scheme === 'stun' && !out.stun) out.stun = { urls: [url] };
      else if (scheme === 'turn') {
        const kind = turnTransport(url) === 'tcp' ? 'turn-tcp' : 'turn-udp';
        if (!out[kind]) out[kind] = single(url);
      } else if (scheme === 'turns' && !turns) turns = single(url);
    }
  }
  if (!out['turn-tcp'] && turns) out['turn-tcp'] = turns;
  return out;
}

/**
 * `host:port` of a STUN/TURN URL, for telling the admin what must be reachable.
 * @param {string} url
 * @returns {{ host: string, port: string, transport: 'UDP' | 'TCP' }}
 */
export function endpointOf(url) {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  const rest = url.slice(scheme.length + 1).replace(/^\/\//, '').split('?')[0];
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(rest);
  const host = m ? m[1] : rest;
  const port = m && m[2] ? m[2] : scheme === 'turns' || scheme === 'stuns' ? '5349' : '3478';
  const tcp = scheme === 'turns' || (scheme === 'turn' && turnTransport(url) === 'tcp');
  return { host, port, transport: tcp ? 'TCP' : 'UDP' };
}

/**
 * Gather candidates with one ICE server and wait for a candidate of the wanted type.
 * @param {CheckKind} kind
 * @param {IceServer | null} server
 * @param {number} [timeoutMs]
 * @returns {Promise<CheckResult>}
 */
export async function runCheck(kind, server, timeoutMs = CHECK_TIMEOUT_MS) {
  if (!server) return { kind, url: null, result: 'not-configured', ms: null, address: null, error: null };
  const url = server.urls[0];
  const wanted = kind === 'stun' ? 'srflx' : 'relay';
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: kind === 'stun' ? 'all' : 'relay' });
  /** @type {string | null} */
  let error = null;
  pc.addEventListener('icecandidateerror', (ev) => {
    const e = /** @type {RTCPeerConnectionIceErrorEvent} */ (ev);
    error = `${e.errorCode}${e.errorText ? ` ${e.errorText}` : ''}`;
  });
  const started = performance.now();
  try {
    /** @type {Promise<CheckResult>} */
    const found = new Promise((resolve) => {
      const done = (/** @type {boolean} */ ok, /** @type {string | null} */ address) => resolve({
        kind, url, result: ok ? 'reachable' : 'unreachable',
        ms: ok ? Math.round(performance.now() - started) : null, address, error: ok ? null : error,
      });
      const timer = setTimeout(() => done(false, null), timeoutMs);
      pc.addEventListener('icecandidate', (ev) => {
        const c = ev.candidate;
        if (c && c.type === wanted) { clearTimeout(timer); done(true, c.address ? `${c.address}:${c.port}` : null); }
      });
      // Gathering finished without the wanted candidate. For STUN on a host without NAT that is still a
      // success: the mapped address equals the host address, and browsers drop such a duplicate
      // server-reflexive candidate; a STUN server that did not answer raises icecandidateerror (701).
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState !== 'complete') return;
        void sawCandidate(pc, wanted).then((seen) => {
          clearTimeout(timer);
          done(seen || (kind === 'stun' && error === null), null);
        });
      });
    });
    pc.createDataChannel('check');
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } catch (err) {
    return { kind, url, result: 'unreachable', ms: null, address: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    pc.close();
  }
}

/**
 * After gathering: did a candidate of the wanted type appear anyway (stats list every local candidate)?
 * @param {RTCPeerConnection} pc
 * @param {string} wanted
 * @returns {Promise<boolean>}
 */
async function sawCandidate(pc, wanted) {
  try {
    let seen = false;
    (await pc.getStats()).forEach((/** @type {any} */ s) => {
      if (s.type === 'local-candidate' && s.candidateType === wanted) seen = true;
    });
    return seen;
  } catch {
    return false;
  }
}

/**
 * Run the three checks side by side; `onResult` reports each as it finishes.
 * @param {IceServer[]} iceServers
 * @param {(r: CheckResult) => void} [onResult]
 * @returns {Promise<Record<CheckKind, CheckResult>>}
 */
export async function runChecks(iceServers, onResult) {
  const servers = pickServers(iceServers);
  const results = await Promise.all(CHECK_KINDS.map(async (kind) => {
    const r = await runCheck(kind, servers[kind]);
    onResult?.(r);
    return r;
  }));
  return /** @type {Record<CheckKind, CheckResult>} */ (Object.fromEntries(results.map((r) => [r.kind, r])));
}

/**
 * The plain-language verdict of a run.
 * @param {Record<CheckKind, CheckResult>} r
 * @returns {'relay-ok' | 'tcp-only' | 'unreachable' | 'no-relay'}
 */
export function verdict(r) {
  const udp = r['turn-udp'].result;
  const tcp = r['turn-tcp'].result;
  if (udp === 'not-configured' && tcp === 'not-configured') return 'no-relay';
  if (udp === 'reachable') return 'relay-ok';
  if (tcp === 'reachable') return 'tcp-only';
  return 'unreachable';
}
