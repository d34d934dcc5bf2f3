// icons.js — the client's icon set: small stroke icons drawn for ruang (24×24 grid), built as SVG DOM
// (never as markup strings). `icon(name)` returns a fresh, aria-hidden <svg>.

import { svg } from './dom.js';

/** @typedef {[string, Record<string, string | number>]} Shape */

/** @type {Record<string, Shape[]>} */
const SHAPES = {
  mic: [['rect', { x: 9, y: 3, width: 6, height: 11, rx: 3 }], ['path', { d: 'M5 11a7 7 0 0 0 14 0M12 18v3' }]],
  'mic-off': [['rect', { x: 9, y: 3, width: 6, height: 11, rx: 3 }], ['path', { d: 'M5 11a7 7 0 0 0 14 0M12 18v3M3 3l18 18' }]],
  camera: [['rect', { x: 2.5, y: 6, width: 13, height: 12, rx: 2 }], ['path', { d: 'M15.5 10.5 21 7.5v9l-5.5-3z' }]],
  'camera-off': [['rect', { x: 2.5, y: 6, width: 13, height: 12, rx: 2 }], ['path', { d: 'M15.5 10.5 21 7.5v9l-5.5-3zM3 3l18 18' }]],
  screen: [['rect', { x: 2.5, y: 4, width: 19, height: 13, rx: 2 }], ['path', { d: 'M8 21h8M12 17v4M12 14V8M9.5 10.5 12 8l2.5 2.5' }]],
  chat: [['path', { d: 'M4 5.5A1.5 1.5 0 0 1 5.5 4h13A1.5 1.5 0 0 1 20 5.5v9a1.5 1.5 0 0 1-1.5 1.5H10l-6 4.5z' }]],
  leave: [['path', { d: 'M3 14.5c5-4.7 13-4.7 18 0l-2 2.8-3.7-1.1v-2.6a11 11 0 0 0-6.6 0v2.6L5 17.3z' }]],
  settings: [['path', { d: 'M4 7h9M17 7h3M4 17h4M12 17h8' }], ['circle', { cx: 15, cy: 7, r: 2 }], ['circle', { cx: 10, cy: 17, r: 2 }]],
  help: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'M9.6 9.3a2.5 2.5 0 1 1 3.4 2.3c-.6.3-1 .8-1 1.5v.6M12 16.8v.2' }]],
  close: [['path', { d: 'M6 6l12 12M18 6 6 18' }]],
  attach: [['path', { d: 'M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8-8a3.4 3.4 0 0 1 4.8 4.8l-7.9 7.9a1.7 1.7 0 0 1-2.4-2.4l7.3-7.3' }]],
  link: [['path', { d: 'M10 14a4 4 0 0 0 5.7 0l3.2-3.2a4 4 0 0 0-5.7-5.7L12 6.3M14 10a4 4 0 0 0-5.7 0l-3.2 3.2a4 4 0 0 0 5.7 5.7l1.2-1.2' }]],
  send: [['path', { d: 'M4 12 20 4l-5 16-3-6.5zM12 13.5 20 4' }]],
  users: [['circle', { cx: 9, cy: 8, r: 3.5 }], ['path', { d: 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6M16 4.6a3.5 3.5 0 0 1 0 6.8M18 14.3c2 .7 3.5 2.8 3.5 5.7' }]],
  download: [['path', { d: 'M12 4v11M7 10.5l5 4.5 5-4.5M5 20h14' }]],
  file: [['path', { d: 'M6 3h8l4 4v14H6zM14 3v4h4' }]],
  plus: [['path', { d: 'M12 5v14M5 12h14' }]],
  check: [['path', { d: 'M5 12.5l4.5 4.5L19 7.5' }]],
  arrow: [['path', { d: 'M5 12h14M13 6l6 6-6 6' }]],
  hand: [['path', { d: 'M8 12.5V5.5a1.5 1.5 0 0 1 3 0V11M11 10.5V4a1.5 1.5 0 0 1 3 0v7M14 10.5V5.5a1.5 1.5 0 0 1 3 0V14a7 7 0 0 1-7 7h-.6a6 6 0 0 1-4.8-2.4l-2.9-3.9a1.6 1.6 0 0 1 2.5-2L8 15' }]],
  more: [['circle', { cx: 5.5, cy: 12, r: 1.3 }], ['circle', { cx: 12, cy: 12, r: 1.3 }], ['circle', { cx: 18.5, cy: 12, r: 1.3 }]],
  lock: [['rect', { x: 5, y: 10.5, width: 14, height: 10, rx: 2 }], ['path', { d: 'M8 10.5V7.5a4 4 0 0 1 8 0v3' }]],
  pin: [['path', { d: 'M9 3.5h6l-1 6 3.5 3.5h-11L10 9.5zM12 13v7.5' }]],
  fullscreen: [['path', { d: 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5' }]],
  pip: [['rect', { x: 2.5, y: 4.5, width: 19, height: 15, rx: 2 }], ['rect', { x: 12, y: 12, width: 7, height: 5, rx: 1 }]],
  grid: [['rect', { x: 3.5, y: 4.5, width: 7.5, height: 6.5, rx: 1.2 }], ['rect', { x: 13, y: 4.5, width: 7.5, height: 6.5, rx: 1.2 }], ['rect', { x: 3.5, y: 13, width: 7.5, height: 6.5, rx: 1.2 }], ['rect', { x: 13, y: 13, width: 7.5, height: 6.5, rx: 1.2 }]],
  speaker: [['rect', { x: 2.5, y: 4.5, width: 13, height: 15, rx: 1.5 }], ['rect', { x: 17.5, y: 4.5, width: 4, height: 4, rx: 1 }], ['rect', { x: 17.5, y: 10, width: 4, height: 4, rx: 1 }], ['rect', { x: 17.5, y: 15.5, width: 4, height: 4, rx: 1 }]],
  theme: [['circle', { cx: 12, cy: 12, r: 8.5 }], ['path', { d: 'M12 3.5v17a8.5 8.5 0 0 0 0-17z', fill: 'currentColor' }]],
  globe: [['circle', { cx: 12, cy: 12, r: 8.5 }], ['path', { d: 'M3.5 12h17M12 3.5c2.4 2.4 3.5 5.3 3.5 8.5s-1.1 6.1-3.5 8.5c-2.4-2.4-3.5-5.3-3.5-8.5s1.1-6.1 3.5-8.5z' }]],
  spotlight: [['circle', { cx: 12, cy: 12, r: 3.5 }], ['path', { d: 'M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1' }]],
};

/**
 * @param {keyof typeof SHAPES | string} name
 * @param {string} [extraClass]
 * @returns {SVGElement}
 */
export function icon(name, extraClass = '') {
  const shapes = SHAPES[name] ?? SHAPES.help;
  return svg(
    'svg',
    {
      viewBox: '0 0 24 24', width: 24, height: 24, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8,
      'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
      class: `icon ${extraClass}`.trim(),
    },
    ...shapes.map(([tag, attrs]) => svg(tag, attrs)),
  );
}
