// recording-state.js — the DOM-free parts of recording a meeting in the browser: where each tile goes on
// the recording's canvas (a grid that fills it), how a video is fitted into its cell, which WebM type the
// browser's MediaRecorder takes, the download's file name, and what the "Recording" indicator says. The
// canvas, the mixed audio and the MediaRecorder are in ui/recorder.js; the indicator and button in
// ui/recording.js.

import { t } from './i18n.js';

/** @typedef {{ x: number, y: number, w: number, h: number }} Rect */

/** The recording's size (16:9) and frame rate. */
export const RECORDING_WIDTH = 1280;
export const RECORDING_HEIGHT = 720;
export const RECORDING_FPS = 25;
/** Space between cells, in canvas pixels. */
export const RECORDING_GAP = 8;

/**
 * The cells of `count` tiles on a `width` × `height` canvas: the column count that gives the largest 16:9
 * cells, rows centred, the last row centred when it is not full.
 * @param {number} count @param {number} width @param {number} height @param {number} [gap]
 * @returns {Rect[]}
 */
export function gridCells(count, width, height, gap = RECORDING_GAP) {
  if (count <= 0) return [];
  let best = { cols: 1, w: 0, h: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    let w = (width - gap * (cols + 1)) / cols;
    let h = (height - gap * (rows + 1)) / rows;
    if (w / h > 16 / 9) w = h * 16 / 9; else h = w * 9 / 16;
    if (w > best.w) best = { cols, w, h };
  }
  const { cols, w, h } = best;
  const rows = Math.ceil(count / cols);
  const top = (height - rows * h - (rows - 1) * gap) / 2;
  /** @type {Rect[]} */
  const cells = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? count - row * cols : cols;
    const left = (width - inRow * w - (inRow - 1) * gap) / 2;
    cells.push({ x: Math.round(left + (i % cols) * (w + gap)), y: Math.round(top + row * (h + gap)), w: Math.round(w), h: Math.round(h) });
  }
  return cells;
}

/**
 * Where a `srcW` × `srcH` video goes in `cell`, whole and centred (letterboxed); null without a size.
 * @param {number} srcW @param {number} srcH @param {Rect} cell @returns {Rect | null}
 */
export function fitInto(srcW, srcH, cell) {
  if (!(srcW > 0 && srcH > 0)) return null;
  const scale = Math.min(cell.w / srcW, cell.h / srcH);
  const w = Math.round(srcW * scale);
  const h = Math.round(srcH * scale);
  return { x: cell.x + Math.round((cell.w - w) / 2), y: cell.y + Math.round((cell.h - h) / 2), w, h };
}

/** WebM types in the order we prefer them. */
export const WEBM_TYPES = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'];

/**
 * The first WebM type the browser records, or null when it records none.
 * @param {(type: string) => boolean} isTypeSupported MediaRecorder.isTypeSupported
 * @returns {string | null}
 */
export function pickWebmType(isTypeSupported) {
  return WEBM_TYPES.find((t) => { try { return isTypeSupported(t); } catch { return false; } }) ?? null;
}

/**
 * The download's name: ruang-<room>-<YYYY-MM-DD>-<HHMM>.webm in local time (room names are already safe
 * for file names: A-Z a-z 0-9 - _).
 * @param {string} room @param {Date} at @returns {string}
 */
export function recordingFileName(room, at) {
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const day = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  const safeRoom = room.replace(/[^A-Za-z0-9_-]/g, '') || 'meeting';
  return `ruang-${safeRoom}-${day}-${two(at.getHours())}${two(at.getMinutes())}.webm`;
}

/**
 * What the indicator says: null when nobody records.
 * @param {string | null} recorder the recorder's id @param {string} you our id
 * @param {(id: string) => string | undefined} nameOf a participant's display name
 * @returns {string | null}
 */
export function recordingText(recorder, you, nameOf) {
  if (!recorder) return null;
  if (recorder === you) return t('recording.you');
  return t('recording.other', { name: nameOf(recorder) ?? t('someone') });
}
