// tiles.js — the video grid: one tile per participant (ours first), with name, mute / camera-off /
// screen indicators, speaking ring, connection-quality hint and initials when no video is shown; and one
// more tile per screen share, beside its presenter's camera tile (made and removed with the presenter's
// media state; its stream comes through setScreenStream).
// The grid picks the column count that gives the largest tiles for the space it has (layout.js gridFit;
// a short last row is centred). When someone takes the stage (a local pin, a host's spotlight, someone
// else's screen share, or in speaker view the active speaker: layout.js stageFor), that tile fills the
// stage and the others line up in a filmstrip beside it (landscape) or below it (portrait), which scrolls.
// Each tile has an options menu (tile-menu.js): pin, spotlight for everyone (hosts), full screen and
// picture-in-picture. (Over 400 lines: the tile and the grid that places it change together; the
// decisions are in layout.js, the menu in tile-menu.js.)
//
// Stable attributes for tests and styling, on every `.tile`:
//   data-peer-id (a participant's own tile) or data-screen-of (the tile of that participant's screen share),
//   data-local, data-muted, data-camera-off, data-screen, data-speaking, data-quality,
//   data-reconnecting (the participant's connection to the server is lost; it shows "Reconnecting…"),
//   data-hand (a raised hand: the hand mark shows, and the tile's label says so),
//   data-active-speaker (SFU rooms: the server's active speaker; a "Speaking" mark shows and the label says so),
//   data-pinned (pinned by this user), data-spotlight (spotlighted by a host for everyone)
// and on the grid: data-layout ('grid' or 'stage'), data-mode ('grid' or 'speaker'), class `spotlight` while
// a tile has the stage (that tile has class `spot`; the others are in `.filmstrip`).
// The grid also reports how tall each remote tile's video is shown (device pixels, 0 when it is not: off
// screen in a scrolled grid, or no video), through onSizes (SFU rooms ask for the layer that fits).

import { h, initials, hueFor, setText, setAttr } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';
import { watchLevel } from '../audio-level.js';
import { gridFit, stageFor, SpeakerFocus } from '../layout.js';
import { tileMenu } from './tile-menu.js';

/** @typedef {import('../signaling.js').MediaState} MediaState */
/** @typedef {import('../quality.js').Quality} Quality */

const DEFAULT_GAP = 10;

/** The id of the tile of participant `id`'s screen share. @param {string} id */
export const screenTileId = (id) => `${id}:screen`;

const QUALITY_TEXT = { good: L('quality.good'), fair: L('quality.fair'), poor: L('quality.poor'), unknown: L('quality.unknown') };

export class Tile {
  /**
   * @param {{ id: string, name: string, local: boolean, screenOf?: string }} init screenOf: this tile shows
   *   that participant's screen share (its id is `<screenOf>:screen`)
   */
  constructor({ id, name, local, screenOf }) {
    this.id = id;
    this.local = local;
    this.name = name;
    /** @type {string | null} the presenter, for a screen share's tile */ this.screenOf = screenOf ?? null;
    /** @type {MediaState} */ this.media = { audio: false, video: false, screen: false };
    /** @type {(() => void) | null} */ this.stopLevel = null;
    /** @type {MediaStreamTrack | null} */ this.levelTrack = null;
    /** @type {(speaking: boolean) => void} told when the local level detector's verdict changes */ this.onSpeaking = () => {};

    this.video = h('video', { autoplay: true, playsinline: true, 'aria-hidden': 'true' });
    this.video.muted = true; // audio plays through this.audio (remote) or not at all (local)
    this.video.playsInline = true;
    this.audio = local || screenOf ? null : h('audio', { autoplay: true });
    this.initialsEl = h('span', { class: 'avatar-text', text: initials(name) });
    this.avatar = h('div', { class: 'avatar', style: { '--hue': String(hueFor(id)) } }, this.initialsEl);
    this.nameEl = h('span', { class: 'tile-name' });
    this.micEl = h('span', { class: 'tile-mic', title: L('status.mic_off'), role: 'img', 'aria-label': L('status.mic_off') }, icon('mic-off'));
    this.camEl = h('span', { class: 'tile-cam', title: L('status.camera_off'), role: 'img', 'aria-label': L('status.camera_off') }, icon('camera-off'));
    this.qualityEl = h('span', { class: 'tile-quality', role: 'img' },
      h('span', { class: 'bar b1' }), h('span', { class: 'bar b2' }), h('span', { class: 'bar b3' }));
    this.screenEl = h('span', { class: 'tile-screen' }, icon('screen'), h('span', { text: L(local ? 'tile.you_present' : 'tile.presenting') }));
    this.reconnecting = false;
    this.hand = false;
    this.handEl = h('span', { class: 'tile-hand', hidden: true, role: 'img', 'aria-label': L('status.hand'), title: L('status.hand') },
      icon('hand'), h('span', { class: 'tile-hand-text', 'aria-hidden': 'true', text: L('status.hand') }));
    this.statusEl = h('span', { class: 'tile-status', hidden: true, text: L('status.reconnecting') });
    this.activeSpeaker = false;
    this.speakerEl = h('span', { class: 'tile-speaker', hidden: true }, icon('mic'), h('span', { text: L('tile.speaking') }));
    this.el = h('div', {
      class: 'tile', role: 'group',
      dataset: { ...(screenOf ? { screenOf } : { peerId: id }), local: String(local), muted: 'true', cameraOff: 'true', screen: 'false', speaking: 'false', activeSpeaker: 'false', quality: 'unknown', reconnecting: 'false', hand: 'false' },
    },
    this.video, this.avatar, this.audio, this.statusEl,
    h('div', { class: 'tile-top' }, h('div', { class: 'tile-badges' }, this.handEl, this.speakerEl, this.screenEl), local ? null : this.qualityEl),
    h('div', { class: 'tile-bar' }, this.micEl, this.camEl, this.nameEl));
    this.setName(name);
    this.setQuality('unknown');
  }

  /** Add the options menu (the grid's pin and spotlight state lives in the grid). @param {TileGrid} grid */
  addMenu(grid) {
    this.menu = tileMenu(this, grid);
    this.el.querySelector('.tile-top')?.append(this.menu.el);
  }

  /** @param {string} name */
  setName(name) {
    this.name = name;
    const own = this.local ? L('name.you', { name }) : name;
    setText(this.nameEl, this.screenOf ? (this.local ? L('tile.screen_yours') : L('tile.screen_of', { name })) : own);
    this.initialsEl.textContent = initials(name);
    this.updateLabel();
  }

  /** @private */
  updateLabel() {
    if (this.screenOf) { setAttr(this.el, 'aria-label', this.local ? L('tile.screen_yours') : L('tile.screen_of', { name: this.name })); return; }
    const parts = [this.local ? L('name.you', { name: this.name }) : this.name];
    if (this.activeSpeaker) parts.push(L('tile.state.speaking'));
    if (this.hand) parts.push(L('tile.state.hand'));
    if (this.reconnecting) parts.push(L('tile.state.reconnecting'));
    setAttr(this.el, 'aria-label', L('tile.label', { parts }));
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
    if (this.el.dataset.speaking === 'true') this.onSpeaking(false);
    this.el.dataset.speaking = 'false';
    if (track) {
      this.stopLevel = watchLevel(track, (speaking) => {
        const v = String(speaking && this.media.audio);
        if (this.el.dataset.speaking !== v) {
          this.el.dataset.speaking = v;
          this.onSpeaking(v === 'true');
        }
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
    // (a screen share's tile shows its video whatever the presenter's camera does)
    d.showVideo = String(this.screenOf ? true : media.video);
    if (!media.audio && d.speaking === 'true') {
      d.speaking = 'false';
      this.onSpeaking(false);
    }
    this.video.classList.toggle('mirror', this.local && !this.screenOf);
    this.micEl.hidden = media.audio || !!this.screenOf;
    this.camEl.hidden = media.video || !!this.screenOf;
    this.screenEl.hidden = !!this.screenOf;
  }

  /** @param {Quality} q @param {string} [detail] */
  setQuality(q, detail = '') {
    this.el.dataset.quality = q;
    const label = L(detail ? 'quality.label_detail' : 'quality.label', { quality: QUALITY_TEXT[q], detail });
    setAttr(this.qualityEl, 'aria-label', label);
    setAttr(this.qualityEl, 'title', label);
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
  /**
   * @param {HTMLElement} el the grid container
   * @param {{ canSpotlight?: () => boolean, onSpotlight?: (id: string | null) => void, onSendFile?: (id: string) => void }} [opts]
   *   canSpotlight: whether we may spotlight for everyone (host or moderator); onSpotlight: ask the server;
   *   onSendFile: let the user pick files for that participant (a tile's menu offers it when given)
   */
  constructor(el, { canSpotlight = () => false, onSpotlight = () => {}, onSendFile } = {}) {
    this.el = el;
    this.canSpotlight = canSpotlight;
    this.onSpotlight = onSpotlight;
    this.onSendFile = onSendFile ?? null;
    /** @type {Map<string, Tile>} */ this.tiles = new Map();
    /** @type {Map<string, MediaStream | null>} each presenter's screen share stream, as last given */
    this.screenStreams = new Map();
    /** @type {import('../layout.js').LayoutMode} */ this.mode = 'grid';
    /** @type {string | null} pinned by this user (local) */ this.pinned = null;
    /** @type {string | null} spotlighted by a host for everyone (room_state) */ this.spotlight = null;
    /** @type {string | null} the tile on the stage now */ this.staged = null;
    /** @type {((id: string | null) => void) | null} told when who takes the stage because of a pin, a spotlight or a share changes */
    this.onFocus = null;
    /** @private @type {string | null} */ this.focusSent = null;
    /** the active speaker for speaker view (held against flicker) */
    this.speakers = new SpeakerFocus({ onChange: () => { if (this.mode === 'speaker') this.layout(); } });
    /** the filmstrip: the others while a tile has the stage */
    this.strip = h('div', { class: 'filmstrip', role: 'group', 'aria-label': L('tile.others') });
    el.dataset.layout = 'grid';
    el.dataset.mode = this.mode;
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
        if (t.local || t.screenOf) continue; // (a screen share is sent in one layer: nothing to choose)
        const shown = t.media.video && this.inView.has(t.el);
        heights.set(t.id, shown ? Math.round(t.el.clientHeight * dpr) : 0);
      }
      this.onSizes(heights);
    });
  }

  /** Mark the active speaker's tile (null: nobody); speaker view follows it. @param {string | null} id */
  setActiveSpeaker(id) {
    for (const t of this.tiles.values()) t.setActiveSpeaker(t.id === id);
    this.speakers.only(id);
  }

  /** Grid or speaker view. @param {import('../layout.js').LayoutMode} mode */
  setMode(mode) {
    this.mode = mode;
    this.el.dataset.mode = mode;
    this.layout();
  }

  /** Pin a tile for ourselves (null: unpin). @param {string | null} id */
  pin(id) {
    this.pinned = id;
    for (const t of this.tiles.values()) t.el.dataset.pinned = String(t.id === id);
    this.layout();
  }

  /** The room's spotlight (from the server). @param {string | null} id */
  setSpotlight(id) {
    this.spotlight = id;
    for (const t of this.tiles.values()) t.el.dataset.spotlight = String(t.id === id);
    this.layout();
  }

  /**
   * @param {{ id: string, name: string, local: boolean, media: MediaState }} init
   * @returns {Tile}
   */
  add(init) {
    this.remove(init.id);
    const tile = new Tile(init);
    tile.setMedia(init.media);
    tile.addMenu(this);
    tile.el.dataset.pinned = String(this.pinned === init.id);
    tile.el.dataset.spotlight = String(this.spotlight === init.id);
    if (init.local) this.speakers.ignore = init.id;
    tile.onSpeaking = (on) => this.speakers.speaking(init.id, on);
    this.tiles.set(init.id, tile);
    this.el.appendChild(tile.el);
    this.visibility.observe(tile.el);
    this.syncScreen(tile);
    this.layout();
    return tile;
  }

  /** @param {string} id */
  get(id) { return this.tiles.get(id); }

  /** The tile of a participant's screen share, while it shares. @param {string} id */
  screenOf(id) { return this.tiles.get(screenTileId(id)); }

  /**
   * A participant's screen share stream (their transport's screenStream; ours: our screen track). Shown by
   * their screen tile whenever their media state says they share. @param {string} id @param {MediaStream | null} stream
   */
  setScreenStream(id, stream) {
    this.screenStreams.set(id, stream);
    this.screenOf(id)?.setStream(stream);
  }

  /**
   * A screen share's tile exists exactly while its presenter's media state says it shares.
   * @private @param {Tile} owner a participant's own tile
   */
  syncScreen(owner) {
    if (owner.screenOf) return;
    const id = screenTileId(owner.id);
    const has = this.tiles.get(id);
    if (owner.media.screen && !has) {
      const tile = new Tile({ id, name: owner.name, local: owner.local, screenOf: owner.id });
      tile.setMedia({ audio: false, video: true, screen: true });
      tile.addMenu(this);
      tile.el.dataset.pinned = String(this.pinned === id);
      this.tiles.set(id, tile);
      owner.el.after(tile.el);
      this.visibility.observe(tile.el);
      tile.setStream(this.screenStreams.get(owner.id) ?? null);
    } else if (!owner.media.screen && has) {
      this.remove(id);
    }
  }

  /** @param {string} id */
  remove(id) {
    const t = this.tiles.get(id);
    if (!t) return;
    this.visibility.unobserve(t.el);
    this.inView.delete(t.el);
    if (document.fullscreenElement === t.el) document.exitFullscreen().catch(() => {});
    t.destroy();
    this.tiles.delete(id);
    this.speakers.remove(id);
    if (this.pinned === id) this.pinned = null;
    if (!t.screenOf) {
      this.screenStreams.delete(id);
      if (this.tiles.has(screenTileId(id))) { this.remove(screenTileId(id)); return; }
    }
    this.layout();
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  /**
   * Update a participant's media state; a screen share changes the layout (it may take the stage).
   * @param {string} id
   * @param {MediaState} media
   */
  setMedia(id, media) {
    const t = this.tiles.get(id);
    if (!t) return;
    const was = t.media.screen;
    t.setMedia(media);
    if (was !== media.screen) {
      this.syncScreen(t);
      this.layout();
    } else this.reportSizes();
  }

  /**
   * Lay the tiles out: the stage and the filmstrip when someone takes the stage, else the grid. Grid tiles
   * are 16:9 on landscape screens; on portrait ones 4:3, square or 3:4, whichever is largest.
   */
  layout() {
    const cs = getComputedStyle(this.el);
    const pad = parseFloat(cs.paddingLeft) || 0;
    const gap = parseFloat(cs.columnGap) || DEFAULT_GAP;
    const w = this.el.clientWidth - 2 * pad;
    const hgt = this.el.clientHeight - 2 * pad;
    this.el.dataset.count = String(this.tiles.size);
    const all = [...this.tiles.values()];
    const local = all.find((t) => t.local)?.id ?? '';
    const stageId = stageFor({
      mode: this.mode, present: all.map((t) => t.id), local, pinned: this.pinned, spotlight: this.spotlight,
      sharing: all.filter((t) => t.screenOf && !t.local).map((t) => t.id), speaker: this.speakers.current,
    });
    const focus = stageId !== null && (stageId === this.pinned || stageId === this.spotlight) ? stageId : null;
    if (focus !== this.focusSent) {
      this.focusSent = focus;
      this.onFocus?.(focus);
    }
    const spot = stageId === null ? undefined : this.tiles.get(stageId);
    this.staged = spot?.id ?? null;
    this.reportSizes(); // (measured on the next frame, once the layout below applies)
    if (w <= 0 || hgt <= 0) return;
    const portrait = hgt > w * 1.1;
    this.el.classList.toggle('spotlight', !!spot);
    this.el.classList.toggle('portrait', portrait);
    this.el.dataset.layout = spot ? 'stage' : 'grid';
    for (const t of all) {
      t.el.classList.toggle('spot', t === spot);
      t.el.style.gridColumn = '';
    }
    if (spot) this.layoutStage(spot, all, { w, hgt, portrait });
    else this.layoutGrid(all, { w, hgt, gap, portrait });
  }

  /**
   * The grid: every tile the same size; a short last row is centred (its first tile starts half a tile
   * further in per missing tile: the grid has two columns per tile).
   * @private @param {Tile[]} all @param {{ w: number, hgt: number, gap: number, portrait: boolean }} box
   */
  layoutGrid(all, { w, hgt, gap, portrait }) {
    this.place(all, this.el);
    this.strip.remove();
    const n = Math.max(1, all.length);
    const fit = gridFit({ n, width: w, height: hgt, gap, aspects: portrait ? [4 / 3, 1, 3 / 4] : [16 / 9] });
    const style = this.el.style;
    style.setProperty('--cols', String(fit.cols));
    style.setProperty('--cols2', String(fit.cols * 2));
    style.setProperty('--gap', `${gap}px`);
    style.setProperty('--tile-w', `${fit.tileW}px`);
    style.setProperty('--tile-h', `${fit.tileH}px`);
    const last = n % fit.cols;
    if (last && all.length > 1) all[n - last].el.style.gridColumn = `${fit.cols - last + 1} / span 2`;
  }

  /**
   * The stage: one tile as large as the box allows, the others in a filmstrip beside it (landscape: a
   * column on the right that scrolls down) or below it (portrait: a row that scrolls sideways).
   * @private @param {Tile} spot @param {Tile[]} all @param {{ w: number, hgt: number, portrait: boolean }} box
   */
  layoutStage(spot, all, { w, hgt, portrait }) {
    if (spot.el.parentElement !== this.el || this.el.firstElementChild !== spot.el) this.el.prepend(spot.el);
    if (this.strip.parentElement !== this.el) this.el.append(this.strip);
    this.place(all.filter((t) => t !== spot), this.strip);
    const style = this.el.style;
    if (portrait) {
      const stripH = Math.round(Math.min(180, Math.max(96, hgt * 0.2)));
      style.setProperty('--strip-h', `${stripH}px`);
      style.setProperty('--strip-tile-w', `${Math.round(stripH * 4 / 3)}px`);
    } else {
      const stripW = Math.round(Math.min(300, Math.max(160, w * 0.2)));
      style.setProperty('--strip-w', `${stripW}px`);
      style.setProperty('--strip-tile-h', `${Math.round(stripW * 9 / 16)}px`);
    }
  }

  /**
   * Put tiles into `parent` in this order, moving only those that are not already in place (a move
   * within one task keeps a video playing).
   * @private @param {Tile[]} tiles @param {HTMLElement} parent
   */
  place(tiles, parent) {
    /** @type {Element | null} */
    let prev = null;
    for (const t of tiles) {
      const inPlace = t.el.parentElement === parent && (prev ? prev.nextElementSibling : parent.firstElementChild) === t.el;
      if (!inPlace) {
        if (prev) prev.after(t.el);
        else parent.prepend(t.el);
      }
      prev = t.el;
    }
  }

  destroy() {
    this.observer.disconnect();
    this.visibility.disconnect();
    this.speakers.close();
    this.onSizes = null;
    this.clear();
  }
}
