// dom.js — the only DOM construction helper of the client.
//
// Rule for the whole client: text that comes from outside (display names, chat, file names, server messages)
// is only ever put into the page as text nodes or `textContent`. Nothing in web/ assigns `innerHTML`,
// `outerHTML` or calls `insertAdjacentHTML`/`document.write`; build elements with `h()` instead.
//
// The page's own words come from the translation tables (../i18n.js): a `Label` (`L(key, params)`) given to
// h() as text, child or attribute, or to setText()/setAttr(), is remembered with its node and shown again
// in the new language when the user switches (relabel()), so the page changes language live.

import { Label, onLanguage } from '../i18n.js';

/**
 * @typedef {string | number | Node | Label | null | undefined | false} Child
 */

/**
 * Create an element. `attrs` keys:
 *  - `class`: class name string;  `dataset`: object of data-* values;  `style`: object of CSS properties;
 *  - `on<event>` with a function: event listener (e.g. `onclick`);
 *  - `text`: textContent;  boolean `true`/`false`: attribute present / absent;
 *  - anything else: set as attribute (string-converted).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Record<string, any>} attrs
 */
function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') el.setAttribute('class', String(value));
    else if (key === 'text') setText(el, value);
    else if (value instanceof Label) setAttr(el, key, value);
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) /** @type {HTMLElement} */ (el).dataset[k] = String(v);
    else if (key === 'style') {
      const style = /** @type {HTMLElement} */ (el).style;
      for (const [k, v] of Object.entries(value)) {
        if (k.startsWith('--')) style.setProperty(k, String(v));
        else /** @type {any} */ (style)[k] = v;
      }
    }
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else if (value === false) el.removeAttribute(key);
    else el.setAttribute(key, String(value));
  }
}

/**
 * Append children (strings become text nodes, never HTML).
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    const node = child instanceof Node ? child : document.createTextNode(String(child));
    if (child instanceof Label) bind(node, '', child);
    parent.appendChild(node);
  }
}

// ---------------------------------------------------------------- labels that follow the language

/** @type {Set<WeakRef<Node>>} nodes with a bound label (dropped once collected) */
const boundNodes = new Set();
/** @type {WeakMap<Node, Map<string, Label>>} node → attribute ('' for a text node's value) → label */
const bindings = new WeakMap();
let bindsSincePrune = 0;
/** @type {Label | null} */
let titleLabel = null;

/** @param {Node} node @param {string} attr @param {Label | null} label null: forget */
function bind(node, attr, label) {
  let map = bindings.get(node);
  if (!label) { map?.delete(attr); return; }
  if (!map) {
    map = new Map();
    bindings.set(node, map);
    boundNodes.add(new WeakRef(node));
    if (++bindsSincePrune > 2000) prune();
  }
  map.set(attr, label);
}

function prune() {
  bindsSincePrune = 0;
  for (const ref of boundNodes) if (!ref.deref()) boundNodes.delete(ref);
}

/**
 * Set an element's text (plain text, never HTML); a Label is shown again in a new language.
 * @param {Node} el @param {string | Label} value
 */
export function setText(el, value) {
  el.textContent = String(value);
  if (value instanceof Label && el.firstChild) bind(el.firstChild, '', value);
}

/**
 * Set an attribute (aria-label, title, placeholder, …); a Label is set again in a new language.
 * @param {Element} el @param {string} name @param {string | Label} value
 */
export function setAttr(el, name, value) {
  el.setAttribute(name, String(value));
  bind(el, name, value instanceof Label ? value : null);
}

/** The document's title. @param {string | Label} value */
export function setTitle(value) {
  document.title = String(value);
  titleLabel = value instanceof Label ? value : null;
}

/** Show every bound label in the current language. */
export function relabel() {
  prune();
  if (titleLabel) document.title = String(titleLabel);
  for (const ref of boundNodes) {
    const node = ref.deref();
    const map = node && bindings.get(node);
    if (!node || !map) continue;
    for (const [attr, label] of map) {
      if (attr === '') node.nodeValue = String(label);
      else /** @type {Element} */ (node).setAttribute(attr, String(label));
    }
  }
}

onLanguage(() => relabel());

/**
 * Replace all children of `parent`.
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Create an SVG element (icons). Attributes are set verbatim.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...SVGElement} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(c);
  return el;
}

/**
 * Initials for an avatar: first letters of the first two words, upper-cased.
 * @param {string} name
 * @returns {string}
 */
export function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  return letters.join('').toLocaleUpperCase() || '?';
}

/**
 * A stable, calm hue for an id (avatar colour).
 * @param {string} id
 * @returns {number} hue in degrees
 */
export function hueFor(id) {
  let x = 0;
  for (let i = 0; i < id.length; i++) x = (x * 31 + id.charCodeAt(i)) >>> 0;
  return x % 360;
}

/**
 * Rebuild the content of `container` and keep the keyboard focus: an element with `data-key` that had the
 * focus gets it back in its new incarnation (same key), or else `fallback` gets it, so a list that is
 * redrawn (somebody joined, a hand went up) never throws a keyboard user out of it.
 * @param {HTMLElement} container
 * @param {() => void} rebuild
 * @param {HTMLElement} [fallback]
 */
export function keepFocus(container, rebuild, fallback) {
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && container.contains(active);
  const key = inside ? active.closest('[data-key]')?.getAttribute('data-key') ?? null : null;
  rebuild();
  if (!inside) return;
  const again = key === null ? null : [...container.querySelectorAll('[data-key]')].find((el) => el.getAttribute('data-key') === key);
  if (again instanceof HTMLElement && !again.closest('[hidden]')) again.focus();
  else if (document.activeElement === document.body || !container.contains(document.activeElement)) fallback?.focus();
}

/**
 * Human-readable byte count.
 * @param {number} n
 * @returns {string}
 */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
