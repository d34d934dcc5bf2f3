// quality.js — a connection-quality hint per peer connection from RTCPeerConnection.getStats():
// round-trip time of the selected candidate pair and the packet loss of inbound RTP since the last sample.
// No DOM.

/** @typedef {'good' | 'fair' | 'poor' | 'unknown'} Quality */
/** @typedef {{ quality: Quality, rttMs: number | null, lossPct: number | null }} QualitySample */

/** Classify. Thresholds are deliberately forgiving: this is a hint, not a measurement. */
export function classify(/** @type {number | null} */ rttMs, /** @type {number | null} */ lossPct) {
  if (rttMs === null && lossPct === null) return 'unknown';
  const rtt = rttMs ?? 0;
  const loss = lossPct ?? 0;
  if (rtt < 200 && loss < 2) return 'good';
  if (rtt < 450 && loss < 8) return 'fair';
  return 'poor';
}

/** Keeps the previous counters of one connection, to compute loss over an interval. */
export class QualityProbe {
  /** @param {RTCPeerConnection} pc */
  constructor(pc) {
    this.pc = pc;
    this.prevReceived = 0;
    this.prevLost = 0;
  }

  /** @returns {Promise<QualitySample>} */
  async sample() {
    const stats = await this.pc.getStats();
    /** @type {number | null} */
    let rtt = null;
    let received = 0;
    let lost = 0;
    /** @type {string | undefined} */
    let selectedPair;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) selectedPair = s.selectedCandidatePairId;
    });
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.id === selectedPair || (!selectedPair && s.nominated && s.state === 'succeeded'))) {
        if (typeof s.currentRoundTripTime === 'number') rtt = s.currentRoundTripTime * 1000;
      }
      if (s.type === 'inbound-rtp') {
        received += s.packetsReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
      }
      if (s.type === 'remote-inbound-rtp' && rtt === null && typeof s.roundTripTime === 'number') rtt = s.roundTripTime * 1000;
    });
    const dRecv = received - this.prevReceived;
    const dLost = lost - this.prevLost;
    this.prevReceived = received;
    this.prevLost = lost;
    const lossPct = dRecv + dLost > 0 ? (100 * dLost) / (dRecv + dLost) : null;
    return { quality: classify(rtt, lossPct), rttMs: rtt, lossPct };
  }
}
