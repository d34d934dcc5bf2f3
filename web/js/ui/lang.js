// lang.js — the page's language in the browser: picked at start from the user's stored choice
// (localStorage `ruang.lang`) or else the browser's languages (i18n.js pickLanguage), set on
// <html lang>, and the switch the start, pre-join and connection-test pages show (the call offers the same
// choice in its More menu). A switch relabels the page live (dom.js relabel()).

import { h } from './dom.js';
import { LANGS, LANG_NAMES, L, language, onLanguage, pickLanguage, setLanguage } from '../i18n.js';

/** @typedef {import('../i18n.js').Lang} Lang */

const KEY = 'ruang.lang';

/** Pick the language at start and keep <html lang> in step with it. */
export function initLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(KEY); } catch { /* storage off: the browser's languages decide */ }
  setLanguage(pickLanguage(navigator.languages ?? [navigator.language], stored));
  document.documentElement.lang = language();
  onLanguage((lang) => { document.documentElement.lang = lang; });
}

/** Choose (and remember) a language. @param {Lang} lang */
export function chooseLanguage(lang) {
  try { localStorage.setItem(KEY, lang); } catch { /* not remembered, still used on this page */ }
  setLanguage(lang);
}

/**
 * The language switch: a labelled <select> of the languages, each named in itself.
 * @returns {HTMLElement}
 */
export function languageSwitch() {
  const select = h('select', { id: 'lang-switch', class: 'lang-select' },
    LANGS.map((lang) => h('option', { value: lang, lang, text: LANG_NAMES[lang] })));
  select.value = language();
  select.addEventListener('change', () => chooseLanguage(/** @type {Lang} */ (select.value)));
  const off = onLanguage((lang) => {
    if (!select.isConnected) { off(); return; }
    select.value = lang;
  });
  return h('span', { class: 'lang-switch' },
    h('label', { for: 'lang-switch', text: L('lang.label') }), ' ', select);
}
