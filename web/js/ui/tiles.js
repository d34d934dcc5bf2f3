// tiles.js — the video grid: one tile per participant (ours first), with name, mute / camera-off /
// screen indicators, speaking ring, connection-quality hint and initials when no video is shown.
// The grid picks the column count that gives the largest tiles for the space it has (see layout()).
//
// Stable attributes for tests and styling, on every `.tile`:
//   data-peer-id, data-local, data-muted, data-camera-off, data-screen, data-speaking, data-quality,
//   data-reconnecting (the participant's connection to the server is lost; it shows "Reconnecting…"),
//   data-hand (a raised hand: the hand mark shows, and the tile's label says so),
//   data-active-speaker (SFU rooms: the server's active speaker; a "Speaking" mark shows and the label says so)
// The grid also reports how tall each remote tile's video is shown (device pixels, 0 when it is not: off
// screen in a scrolled grid, or no video), through onSizes (SFU rooms ask for the layer that fits).

import { h, initials, hueFor } from './dom.js';
import { icon } from './icons.js';
import { watchLevel } from '../audio-level.js';

/** @typedef {import('../signaling.js').MediaState} MediaState */
/** @typedef {import('../quality.js').Quality} Quality */

const DEFAULT_GAP = 10;
const MIN_TILE_W = 150;

const QUALITY_TEXT = { good: 'good', fair: 'fair', poor: 'poor', unknown: 'measuring' };

export class Tile {
  /**
   * @param {{ id: string, name: string, local: boolean }} init
   */
  constructor({ id, name, local }) {
    this.id = id;
    this.local = local;
    this.name = name;
    /** @type {MediaState} */ this.media = { audio: false, video: false, screen: false };
    /** @type {(() => void) | null} */ this.stopLevel = null;
    /** @type {MediaStreamTrack | null} */ this.levelTrack = null;

    this.video = h('video', { autoplay: true, playsinline: true, 'aria-hidden': 'true' });
    this.video.muted = true; // audio plays through this.audio (remote) or not at all (local)
    this.video.playsInline = true;
    this.audio = local ? null : h('audio', { autoplay: true });
    this.initialsEl = h('span', { class: 'avatar-text', text: initials(name) });
    this.avatar = h('div', { class: 'avatar', style: { '--hue': String(hueFor(id)) } }, this.initialsEl);
    this.nameEl = h('span', { class: 'tile-name' });
    this.micEl = h('span', { class: 'tile-mic', title: 'Microphone off', role: 'img', 'aria-label': 'Microphone off' }, icon('mic-off'));
    this.camEl = h('span', { class: 'tile-cam', title: 'Camera off', role: 'img', 'aria-label': 'Camera off' }, icon('camera-off'));
    this.qualityEl = h('span', { class: 'tile-quality', role: 'img' },
      h('span', { class: 'bar b1' }), h('span', { class: 'bar b2' }), h('span', { class: 'bar b3' }));
    this.screenEl = h('span', { class: 'tile-screen' }, icon('screen'), h('span', { text: local ? 'You are presenting' : 'Presenting' }));
    this.reconnecting = false;
    this.hand = false;
    this.handEl = h('span', { class: 'tile-hand', hidden: true, role: 'img', 'aria-label': 'Hand raised', title: 'Hand raised' },
      icon('hand'), h('span', { class: 'tile-hand-text', 'aria-hidden': 'true', text: 'Hand raised' }));
    this.statusEl = h('span', { class: 'tile-status', hidden: true, text: 'Reconnecting…' });
    this.activeSpeaker = false;
    this.speakerEl = h('span', { class: 'tile-speaker', hidden: true }, icon('mic'), h('span', { text: 'Speaking' }));
    this.el = h('div', {
      class: 'tile', role: 'group',
      dataset: { peerId: id, local: String(local), muted: 'true', cameraOff: 'true', screen: 'false', speaking: 'false', activeSpeaker: 'false', quality: 'unknown', reconnecting: 'false', hand: 'false' },
    },
    this.video, this.avatar, this.audio, this.statusEl,
    h('div', { class: 'tile-top' }, h('div', { class: 'tile-badges' }, this.handEl, this.speakerEl, this.screenEl), local ? null : this.qualityEl),
    h('div', { class: 'tile-bar' }, this.micEl, this.camEl, this.nameEl));
    this.setName(name);
    this.setQuality('unknown');
  }

  /** @param {string} name */
  setName(name) {
    this.name = name;
    this.nameEl.textContent = this.local ? `${name} (you)` : name;
    this.initialsEl.textContent = initials(name);
    this.updateLabel();
  }

  /** @private */
  updateLabel() {
    let label = this.local ? `${this.name} (you)` : this.name;
    if (this.activeSpeaker) label += ', speaking';
    if (this.hand) label += ', hand raised';
    if (this.reconnecting) label += ', reconnecting';
    this.el.setAttribute('aria-label', label);
  }

  /** A raised hand shows on the tile. @param {boolean} raised */
  setHand(raised) {
    this.hand = raised;
    this.el.dataset.hand = String(raised);
    this.handEl.hidden = !raised;
    this.updateLabel();
  }

  /** The SFU's active speaker: a "Speaking" mark (not colour alone) and the label say so. @param {boolean} on */
  setActiveSpeaker(on) {
    if (this.activeSpeaker === on) return;
    this.activeSpeaker = on;
    this.el.dataset.activeSpeaker = String(on);
    this.speakerEl.hidden = !on;
    this.updateLabel();
  }

  /**
   * The participant lost its connection to the server (its media may still flow): say so on the tile.
   * @param {boolean} on
   */
  setReconnecting(on) {
    this.reconnecting = on;
    this.el.dataset.reconnecting = String(on);
    this.statusEl.hidden = !on;
    this.updateLabel();
  }

  /**
   * Show a stream. Remote audio goes to the hidden audio element; the speaking detector follows the audio track.
   * @param {MediaStream | null} stream
   */
  setStream(stream) {
    if (this.video.srcObject !== stream) {
      this.video.srcObject = stream;
      if (stream) this.video.play().catch(() => {});
    }
    if (this.audio && this.audio.srcObject !== stream) {
      this.audio.srcObject = stream;
      if (stream) this.audio.play().catch(() => this.el.dispatchEvent(new CustomEvent('autoplay-blocked', { bubbles: true })));
    }
    this.watchAudio(stream?.getAudioTracks()[0] ?? null);
  }

  /** @param {MediaStreamTrack | null} track */
  watchAudio(track) {
    if (track === this.levelTrack) return;
    this.stopLevel?.();
    this.stopLevel = null;
    this.levelTrack = track;
    this.el.dataset.speaking = 'false';
    if (track) {
      this.stopLevel = watchLevel(track, (speaking) => {
        const v = String(speaking && this.media.audio);
        if (this.el.dataset.speaking !== v) this.el.dataset.speaking = v;
      });
    }
  }

  /** @param {MediaState} media */
  setMedia(media) {
    this.media = { ...media };
    const d = this.el.dataset;
    d.muted = String(!media.audio);
    d.cameraOff = String(!media.video);
    d.screen = String(media.screen);
    d.showVideo = String(media.video || media.screen);
    if (!media.audio) d.speaking = 'false';
    this.video.classList.toggle('mirror', this.local && !media.screen);
    this.micEl.hidden = media.audio;
    this.camEl.hidden = media.video || media.screen;
  }

  /** @param {Quality} q @param {string} [detail] */
  setQuality(q, detail = '') {
    this.el.dataset.quality = q;
    const label = `Connection ${QUALITY_TEXT[q]}${detail ? ` (${detail})` : ''}`;
    this.qualityEl.setAttribute('aria-label', label);
    this.qualityEl.title = label;
  }

  /** Retry playback after a user gesture (autoplay policy). */
  resume() {
    this.video.play().catch(() => {});
    this.audio?.play().catch(() => {});
  }

  destroy() {
    this.stopLevel?.();
    this.video.srcObject = null;
    if (this.audio) this.audio.srcObject = null;
    this.el.remove();
  }
}

export class TileGrid {
  /** @param {HTMLElement} el the grid container */
  constructor(el) {
    this.el = el;
    /** @type {Map<string, Tile>} */ this.tiles = new Map();
    this.observer = new ResizeObserver(() => this.layout());
    this.observer.observe(el);
    /** @type {((heights: Map<string, number>) => void) | null} told how tall each remote tile's video is shown */
    this.onSizes = null;
    /** @private @type {Set<Element>} tiles (partly) in view */ this.inView = new Set();
    /** @private */
    this.visibility = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (e.isIntersecting) this.inView.add(e.target);
        else this.inView.delete(e.target);
      }
      this.reportSizes();
    }, { root: el });
    /** @private sizes are measured once per frame at most */ this.sizesPending = false;
  }

  /**
   * Measure each remote tile: its height in device pixels while its video shows and it is in view, else 0;
   * passed to onSizes (after layout, on the next frame).
   */
  reportSizes() {
    if (!this.onSizes || this.sizesPending) return;
    this.sizesPending = true;
    requestAnimationFrame(() => {
      this.sizesPending = false;
      if (!this.onSizes) return;
      const dpr = window.devicePixelRatio || 1;
      /** @type {Map<string, number>} */
      const heights = new Map();
      for (const t of this.tiles.values()) {
        if (t.local) continue;
        const shown = (t.media.video || t.media.screen) && this.inView.has(t.el);
        heights.set(t.id, shown ? Math.round(t.el.clientHeight * dpr) : 0);
      }
      this.onSizes(heights);
    });
  }

  /** Mark the active speaker's tile (null: nobody). @param {string | null} id */
  setActiveSpeaker(id) {
    for (const t of this.tiles.values()) t.setActiveSpeaker(t.id === id);
  }

  /**
   * @param {{ id: string, name: string, local: boolean, media: MediaState }} init
   * @returns {Tile}
   */
  add(init) {
    this.remove(init.id);
    const tile = new Tile(init);
    tile.setMedia(init.media);
    this.tiles.set(init.id, tile);
    this.el.appendChild(tile.el);
    this.visibility.observe(tile.el);
    this.layout();
    return tile;
  }

  /** @param {string} id */
  get(id) { return this.tiles.get(id); }

  /** @param {string} id */
  remove(id) {
    const t = this.tiles.get(id);
    if (!t) return;
    this.visibility.unobserve(t.el);
    this.inView.delete(t.el);
    t.destroy();
    this.tiles.delete(id);
    this.layout();
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  /**
   * Update a participant's media state; a remote screen share changes the layout (spotlight).
   * @param {string} id
   * @param {MediaState} media
   */
  setMedia(id, media) {
    const t = this.tiles.get(id);
    if (!t) return;
    const was = t.media.screen;
    t.setMedia(media);
    if (was !== media.screen) this.layout();
    else this.reportSizes();
  }

  /**
   * Lay the tiles out. Normally a grid whose column count (and, on portrait screens, tile shape) gives
   * the largest tiles: 16:9 on landscape screens, 4:3, square or 3:4 on portrait ones. While someone else
   * shares a screen, that tile takes the stage (spotlight) and the others line up beside or below it.
   */
  layout() {
    const n = Math.max(1, this.tiles.size);
    const cs = getComputedStyle(this.el);
    const pad = parseFloat(cs.paddingLeft) || 0;
    const gap = parseFloat(cs.columnGap) || DEFAULT_GAP;
    const w = this.el.clientWidth - 2 * pad;
    const hgt = this.el.clientHeight - 2 * pad;
    this.el.dataset.count = String(this.tiles.size);
    this.reportSizes(); // (measured on the next frame, once the layout below applies)
    if (w <= 0 || hgt <= 0) return;
    const portrait = hgt > w * 1.1;
    const spot = n > 1 ? [...this.tiles.values()].find((t) => !t.local && t.media.screen) : undefined;
    this.el.classList.toggle('spotlight', !!spot);
    this.el.classList.toggle('portrait', portrait);
    for (const t of this.tiles.values()) {
      t.el.classList.toggle('spot', t === spot);
      t.el.style.gridRow = '';
      t.el.style.gridColumn = '';
    }
    if (spot) {
      this.spotlight(spot, { w, hgt, gap, portrait });
      return;
    }
    const aspects = portrait ? [4 / 3, 1, 3 / 4] : [16 / 9];
    let best = { cols: 1, tileW: 0, aspect: aspects[0], area: 0 };
    for (const aspect of aspects) {
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const tileW = Math.min((w - gap * (cols - 1)) / cols, ((hgt - gap * (rows - 1)) / rows) * aspect);
        const area = (tileW * tileW) / aspect;
        // near-ties go to more columns: a 2×2 grid reads better than a tall stack
        if (area > best.area * 1.03 || (area > best.area * 0.97 && cols > best.cols)) best = { cols, tileW, aspect, area };
      }
    }
    // On small screens with many people, keep tiles readable and let the grid scroll instead.
    if (best.tileW < MIN_TILE_W) {
      const cols = Math.max(1, Math.floor((w + gap) / (MIN_TILE_W + gap)));
      best = { cols, tileW: Math.min(MIN_TILE_W, (w - gap * (cols - 1)) / cols), aspect: best.aspect, area: 0 };
    }
    this.el.style.setProperty('--cols', String(best.cols));
    this.el.style.setProperty('--tile-w', `${Math.floor(best.tileW)}px`);
    this.el.style.setProperty('--tile-h', `${Math.floor(best.tileW / best.aspect)}px`);
  }

  /**
   * Spotlight layout. Landscape: the shared screen on the left at full height, the others in a column on
   * the right. Portrait: the screen on top across the width, the others two by two below (scrolling).
   * @private
   * @param {Tile} spot
   * @param {{ w: number, hgt: number, gap: number, portrait: boolean }} box
   */
  spotlight(spot, { w, hgt, gap, portrait }) {
    const others = [...this.tiles.values()].filter((t) => t !== spot);
    const style = this.el.style;
    if (portrait) {
      const tileW = (w - gap) / 2;
      style.setProperty('--cols', '2');
      style.setProperty('--tile-w', `${Math.floor(tileW)}px`);
      style.setProperty('--tile-h', `${Math.floor(tileW * 0.75)}px`);
      style.setProperty('--spot-h', `${Math.floor(Math.min(hgt * 0.55, w * 0.75))}px`);
      spot.el.style.gridColumn = '1 / -1';
      spot.el.style.gridRow = '1';
      return;
    }
    const k = others.length;
    let sideW = Math.min(280, w * 0.22);
    const sideH = Math.min((sideW * 9) / 16, (hgt - gap * (k - 1)) / k);
    sideW = (sideH * 16) / 9;
    style.setProperty('--main-w', `${Math.floor(w - gap - sideW)}px`);
    style.setProperty('--side-w', `${Math.floor(sideW)}px`);
    style.setProperty('--side-h', `${Math.floor(sideH)}px`);
    style.setProperty('--side-rows', String(k));
    spot.el.style.gridColumn = '1';
    spot.el.style.gridRow = '1 / -1';
    others.forEach((t, i) => {
      t.el.style.gridColumn = '2';
      t.el.style.gridRow = String(i + 2);
    });
  }

  destroy() {
    this.observer.disconnect();
    this.visibility.disconnect();
    this.onSizes = null;
    this.clear();
  }
}
