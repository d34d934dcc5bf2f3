// layout.js — the call's layout decisions, without the DOM: how a grid of equal tiles fills a box
// (gridFit: the column count that gives the largest tiles; a short last row is centred by the view),
// which participant takes the stage (stageFor: a local pin, then a host's spotlight, then someone else's
// screen share, then — in speaker view — the active speaker), and who the active speaker is
// (SpeakerFocus: the latest to start speaking, held on the stage for at least HOLD_MS so that two people
// talking over each other do not make it flicker). The UI (ui/tiles.js) measures the box and applies the
// result; the timers come in, so unit tests run SpeakerFocus on a fake clock.

/** @typedef {'grid' | 'speaker'} LayoutMode */
/** @typedef {{ setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (t: unknown) => void }} Timers */

/** A speaker keeps the stage at least this long before someone else who starts speaking takes it. */
export const HOLD_MS = 2000;
/** Below this width a grid tile is unreadable: the grid scrolls instead of shrinking them further. */
export const MIN_TILE_W = 150;

/**
 * The grid of `n` equal tiles that fills a `width`×`height` box best: for each allowed tile shape
 * (aspect = width / height), the column count whose tiles are largest. Near-ties go to more columns (a
 * 2×2 grid reads better than a tall stack). Tiles narrower than MIN_TILE_W are not made: then the grid
 * scrolls (`scroll: true`).
 * @param {{ n: number, width: number, height: number, gap: number, aspects: number[] }} box
 * @returns {{ cols: number, rows: number, tileW: number, tileH: number, scroll: boolean }}
 */
export function gridFit({ n, width, height, gap, aspects }) {
  const count = Math.max(1, n);
  let best = { cols: 1, tileW: 0, aspect: aspects[0], area: 0 };
  for (const aspect of aspects) {
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      const tileW = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * aspect);
      const area = (tileW * tileW) / aspect;
      if (area > best.area * 1.03 || (area > best.area * 0.97 && cols > best.cols)) best = { cols, tileW, aspect, area };
    }
  }
  let scroll = false;
  if (best.tileW < MIN_TILE_W) {
    const cols = Math.max(1, Math.floor((width + gap) / (MIN_TILE_W + gap)));
    best = { cols, tileW: Math.min(MIN_TILE_W, (width - gap * (cols - 1)) / cols), aspect: best.aspect, area: 0 };
    scroll = true;
  }
  const tileW = Math.max(0, Math.floor(best.tileW));
  return { cols: best.cols, rows: Math.ceil(count / best.cols), tileW, tileH: Math.floor(tileW / best.aspect), scroll };
}

/**
 * Who takes the stage, or null for the plain grid. A local pin wins (the user's own choice), then the
 * spotlight a host set for everyone, then someone else's screen share (our own is not shown back to us
 * big), then, in speaker view, the active speaker (or else the first other participant). Only ids in
 * `present` count; alone in the room, nobody takes the stage.
 * @param {{ mode: LayoutMode, present: string[], local: string, pinned: string | null,
 *   spotlight: string | null, sharing: string[], speaker: string | null }} s
 * @returns {string | null}
 */
export function stageFor({ mode, present, local, pinned, spotlight, sharing, speaker }) {
  if (present.length < 2) return null;
  const here = (/** @type {string | null} */ id) => (id !== null && present.includes(id) ? id : null);
  const remoteShare = sharing.find((id) => id !== local && present.includes(id)) ?? null;
  const chosen = here(pinned) ?? here(spotlight) ?? remoteShare;
  if (chosen) return chosen;
  if (mode !== 'speaker') return null;
  const speaking = here(speaker);
  return speaking && speaking !== local ? speaking : present.find((id) => id !== local) ?? null;
}

/**
 * The active speaker for speaker view: the participant who most recently started speaking, among those
 * speaking now; it changes at most once per `holdMs` (a newer speaker waits for the hold to end, and takes
 * the stage then if still speaking). When nobody speaks, the last speaker stays. Our own voice is not
 * followed (`ignore`): nobody wants their own face on the stage.
 */
export class SpeakerFocus {
  /**
   * @param {{ onChange: (id: string | null) => void, now?: () => number, timers?: Timers, holdMs?: number }} opts
   */
  constructor({ onChange, now, timers, holdMs = HOLD_MS }) {
    this.onChange = onChange;
    this.holdMs = holdMs;
    /** @private */ this.now = now ?? (() => performance.now());
    /** @private */
    this.timers = timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(/** @type {any} */ (t)) };
    /** @type {string | null} the speaker on the stage */ this.current = null;
    /** @private when `current` took the stage */ this.since = -Infinity;
    /** @private @type {Map<string, number>} who speaks now, with when they started */ this.speakingNow = new Map();
    /** @type {string | null} a participant never followed (us) */ this.ignore = null;
    /** @private @type {unknown} */ this.timer = undefined;
  }

  /**
   * Someone started or stopped speaking (a local level detector, or the SFU's active speaker).
   * @param {string} id @param {boolean} on
   */
  speaking(id, on) {
    if (id === this.ignore) return;
    if (on === this.speakingNow.has(id)) return;
    if (on) this.speakingNow.set(id, this.now());
    else this.speakingNow.delete(id);
    this.decide();
  }

  /** The SFU names one active speaker at a time: it alone speaks. @param {string | null} id */
  only(id) {
    for (const other of [...this.speakingNow.keys()]) if (other !== id) this.speakingNow.delete(other);
    if (id !== null) this.speaking(id, true);
  }

  /** Someone left. @param {string} id */
  remove(id) {
    this.speakingNow.delete(id);
    if (this.current !== id) return;
    this.current = null;
    this.since = -Infinity;
    this.decide();
    if (this.current === null) this.onChange(null);
  }

  close() {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @private */
  decide() {
    let latest = null;
    let at = -Infinity;
    for (const [id, started] of this.speakingNow) if (started >= at) { latest = id; at = started; }
    if (latest === null || latest === this.current) return;
    const wait = this.since + this.holdMs - this.now();
    if (wait > 0) {
      if (this.timer === undefined) this.timer = this.timers.setTimeout(() => { this.timer = undefined; this.decide(); }, wait);
      return;
    }
    this.current = latest;
    this.since = this.now();
    this.onChange(latest);
  }
}
