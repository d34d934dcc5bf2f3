// tile-report.js — what the `tiles` message says (docs/protocol.md, SFU rooms): how tall, in device pixels,
// this client shows each other participant's video (0 when not shown), so the SFU forwards the layer that
// fits. Tile sizes change in bursts (a window resize, someone joining, a panel opening), so a report is
// sent once they have been still for DEBOUNCE_MS, and only when it differs from the last one sent. No DOM:
// the UI measures and calls update(); the timers come in, so tests run it on a fake clock.

/** @typedef {import('./wire.js').TileSize} TileSize */
/** @typedef {{ setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (t: unknown) => void }} Timers */

/** A burst of size changes settles this long before it is reported. */
export const DEBOUNCE_MS = 300;
/** Heights are rounded to this many device pixels (a pixel or two of layout noise is no change). */
const STEP = 8;

export class TileReport {
  /**
   * @param {{ send: (tiles: TileSize[]) => void, timers?: Timers, debounceMs?: number }} opts
   */
  constructor({ send, timers, debounceMs = DEBOUNCE_MS }) {
    this.send = send;
    this.debounceMs = debounceMs;
    /** @private */
    this.timers = timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(/** @type {any} */ (t)) };
    /** @private @type {Map<string, number>} the latest heights */ this.heights = new Map();
    /** @private the report last sent ('' before any) */ this.sent = '';
    /** @private @type {unknown} */ this.timer = undefined;
  }

  /**
   * The heights now (every other participant; 0 for one not shown). Reported after the debounce.
   * @param {Map<string, number> | Iterable<[string, number]>} heights
   */
  update(heights) {
    this.heights = new Map([...heights].map(([id, h]) => [id, h > 0 ? Math.max(STEP, Math.round(h / STEP) * STEP) : 0]));
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => { this.timer = undefined; this.flush(); }, this.debounceMs);
  }

  /** Send the latest heights now if they differ from what was sent. */
  flush() {
    const tiles = [...this.heights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, height]) => ({ id, height }));
    const key = JSON.stringify(tiles);
    if (key === this.sent) return;
    this.sent = key;
    this.send(tiles);
  }

  /** Forget what was sent (a new SFU, which knows nothing): the next update is sent whatever it says. */
  forget() { this.sent = ''; }

  /** Stop the pending report. */
  close() {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
