// i18n.js — the page's words in Indonesian and English: one table per language (i18n/en.js, i18n/id.js,
// the same keys), `t(key, params)` with `{name}` placeholders and plural forms where a count needs them,
// the language picked from the browser's languages (id / id-ID → Indonesian, else English) unless the user
// chose one, and listeners told when it changes. DOM-free: the UI (ui/lang.js) stores the choice, sets
// <html lang> and relabels what is on the page; `L(key, params)` is a label the UI can apply again later.
//
// A table entry is a string, or for counts an object of Intl.PluralRules categories (`one`, `other`) chosen
// by the parameter `n`. Parameters are text: what fills a placeholder (a peer's name) stays text.

import en from './i18n/en.js';
import id from './i18n/id.js';

/** @typedef {'en' | 'id'} Lang */
/** @typedef {Record<string, string | number | Label | (string | Label)[]>} Params an array is shown as a list ("a, b") */

/** @type {Record<Lang, Record<string, string | Record<string, string>>>} */
export const TABLES = { en, id };
/** @type {Lang[]} */
export const LANGS = ['id', 'en'];
/** Each language's name in itself (the switch shows these). */
export const LANG_NAMES = { id: 'Bahasa Indonesia', en: 'English' };

/** @type {Lang} */
let current = 'en';
/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/**
 * The language for a browser: the user's stored choice if valid, else the first of its languages we have
 * (`id`, `id-ID` → Indonesian; `en-*` → English), else English.
 * @param {readonly string[] | undefined} languages navigator.languages
 * @param {string | null} [stored] the user's choice
 * @returns {Lang}
 */
export function pickLanguage(languages, stored = null) {
  if (stored === 'id' || stored === 'en') return stored;
  for (const tag of languages ?? []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base === 'id' || base === 'in') return 'id'; // ("in" is the old code some systems still send)
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** @returns {Lang} */
export function language() { return current; }

/** Switch the language; listeners are told when it changes. @param {Lang} lang */
export function setLanguage(lang) {
  const next = lang === 'id' ? 'id' : 'en';
  if (next === current) return;
  current = next;
  for (const l of listeners) l(current);
}

/** @param {(lang: Lang) => void} fn @returns {() => void} unsubscribe */
export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * The text of `key` in the current language (`lang` to ask another), placeholders filled.
 * A key missing from the table shows as itself (the unit tests keep the tables complete).
 * @param {string} key @param {Params} [params] @param {Lang} [lang]
 * @returns {string}
 */
export function t(key, params = {}, lang = current) {
  let entry = TABLES[lang][key] ?? TABLES.en[key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    const n = Number(params.n ?? 0);
    const form = new Intl.PluralRules(lang).select(n);
    entry = entry[form] ?? entry.other ?? '';
  }
  return entry.replace(/\{(\w+)\}/gu, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return Array.isArray(value) ? value.map(String).join(', ') : String(value);
  });
}

/** A label that can be shown again in another language (see ui/dom.js: h() and setText/setAttr take it). */
export class Label {
  /** @param {string} key @param {Params} [params] */
  constructor(key, params = {}) {
    this.key = key;
    this.params = params;
  }

  toString() { return t(this.key, this.params); }
}

/** @param {string} key @param {Params} [params] @returns {Label} */
export function L(key, params) {
  return new Label(key, params);
}

/**
 * The placeholders of a table entry (all plural forms together), for the tables' tests.
 * @param {string | Record<string, string>} entry @returns {string[]}
 */
export function placeholders(entry) {
  const texts = typeof entry === 'string' ? [entry] : Object.values(entry);
  return [...new Set(texts.flatMap((s) => [...s.matchAll(/\{(\w+)\}/gu)].map((m) => m[1])))].sort();
}
