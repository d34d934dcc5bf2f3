// Which addresses a page's calls use: every RTCPeerConnection the page makes (mesh, SFU, file transfers) is
// recorded from before the page's own scripts run, with every ICE candidate it gathers; iceReport() reads
// them with the nominated candidate pairs and the candidates of getStats(). For the hermetic tests: inside
// netns.sh's namespace, every one of those addresses is loopback. Works on a Playwright page (Chromium) and
// on a puppeteer-core page (Firefox): both have evaluate().

/**
 * Runs in the page before its scripts (Playwright: page.addInitScript; puppeteer: page.evaluateOnNewDocument):
 * RTCPeerConnection becomes a subclass that records each connection and the candidates it gathers.
 */
export function recordConnectionsInPage() {
  const w = /** @type {any} */ (window);
  if (w.__ruangIce) return;
  /** @type {{ pcs: RTCPeerConnection[], gathered: string[] }} */
  const record = { pcs: [], gathered: [] };
  w.__ruangIce = record;
  const Native = w.RTCPeerConnection;
  w.RTCPeerConnection = class extends Native {
    /** @param {any[]} args */
    constructor(...args) {
      super(...args);
      record.pcs.push(this);
      this.addEventListener('icecandidate', (/** @type {RTCPeerConnectionIceEvent} */ e) => {
        if (e.candidate && e.candidate.candidate) record.gathered.push(e.candidate.candidate);
      });
    }
  };
}

/**
 * @typedef {{ type: string, address: string, protocol: string }} CandidateInfo
 * @typedef {{ connections: number, pairs: { local: CandidateInfo, remote: CandidateInfo }[],
 *   candidates: CandidateInfo[], gathered: string[] }} IceReport
 * `connections`: peer connections not closed; `pairs`: their nominated, succeeded candidate pairs;
 * `candidates`: every local and remote candidate in their stats; `gathered`: every candidate line any
 * connection of the page gathered (closed ones included).
 */

/**
 * @param {{ evaluate: Function }} page a Playwright or puppeteer-core page set up with recordConnectionsInPage
 * @returns {Promise<IceReport>}
 */
export function iceReport(page) {
  return page.evaluate(async () => {
    const record = /** @type {any} */ (window).__ruangIce;
    if (!record) throw new Error('recordConnectionsInPage did not run in this page');
    /** @type {IceReport} */
    const out = { connections: 0, pairs: [], candidates: [], gathered: [...record.gathered] };
    /** @param {any} c */
    const info = (c) => ({ type: String(c?.candidateType), address: String(c?.address ?? c?.ipAddress), protocol: String(c?.protocol) });
    for (const pc of /** @type {RTCPeerConnection[]} */ (record.pcs)) {
      if (pc.connectionState === 'closed') continue;
      out.connections += 1;
      const stats = await pc.getStats();
      stats.forEach((/** @type {any} */ s) => {
        if (s.type === 'local-candidate' || s.type === 'remote-candidate') out.candidates.push(info(s));
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
          out.pairs.push({ local: info(stats.get(s.localCandidateId)), remote: info(stats.get(s.remoteCandidateId)) });
        }
      });
    }
    return out;
  });
}

/** Is `address` (as a candidate gives it) on the loopback interface: 127.0.0.0/8 or ::1? @param {string} address */
export function isLoopback(address) {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return /^127\.\d+\.\d+\.\d+$/.test(a) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(a) || a === '::1' || a === '0:0:0:0:0:0:0:1';
}

/**
 * The addresses of a candidate line ("candidate:<foundation> <component> <protocol> <priority> <address>
 * <port> typ <type> [raddr <address> rport <port>] …"): its own and its related address, if any. A related
 * address of 0.0.0.0 or :: is one the browser withheld (Chromium does for relay candidates), not an address.
 * @param {string} line @returns {string[]}
 */
export function candidateAddresses(line) {
  const fields = line.replace(/^a=/, '').split(' ');
  const out = [fields[4] ?? ''];
  const raddr = fields.indexOf('raddr');
  const related = raddr >= 0 ? fields[raddr + 1] : undefined;
  if (related && related !== '0.0.0.0' && related !== '::') out.push(related);
  return out;
}

/**
 * What in `report` is not on loopback, as readable lines (empty: all of it is); also says so when the page
 * has no connected pair or gathered nothing, since then there was nothing to look at.
 * @param {IceReport} report @returns {string[]}
 */
export function nonLoopback(report) {
  const out = [];
  if (report.pairs.length === 0) out.push(`no nominated candidate pair in ${report.connections} connection(s)`);
  if (report.gathered.length === 0) out.push('no candidate gathered');
  for (const { local, remote } of report.pairs) {
    if (!isLoopback(local.address) || !isLoopback(remote.address)) out.push(`pair ${local.type} ${local.address} → ${remote.type} ${remote.address}`);
  }
  for (const c of report.candidates) if (!isLoopback(c.address)) out.push(`candidate in stats: ${c.type} ${c.protocol} ${c.address}`);
  for (const line of report.gathered) {
    if (!candidateAddresses(line).every(isLoopback)) out.push(`gathered: ${line}`);
  }
  return out;
}
