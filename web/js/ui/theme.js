// theme.js — light and dark themes. The choice ('system', 'light' or 'dark') is remembered in
// localStorage; 'system' follows prefers-color-scheme, live. The theme in use is set as
// <html data-theme="light|dark"> (the CSS custom properties of css/theme.css follow it) and
// data-theme-choice says what was chosen. themeButton() is the switch for pages without a menu.

import { h, setText, setAttr } from './dom.js';
import { L } from '../i18n.js';
import { icon } from './icons.js';

/** @typedef {'system' | 'light' | 'dark'} ThemeChoice */

const KEY = 'ruang.theme';
/** @type {ThemeChoice[]} */
export const THEME_CHOICES = ['system', 'light', 'dark'];
export const THEME_TEXT = { system: L('theme.system'), light: L('theme.light'), dark: L('theme.dark') };

const scheme = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: light)') : null;
/** @type {Set<() => void>} */
const listeners = new Set();

/** @returns {ThemeChoice} */
export function themeChoice() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { /* storage off: the default */ }
  return THEME_CHOICES.includes(/** @type {ThemeChoice} */ (saved)) ? /** @type {ThemeChoice} */ (saved) : 'system';
}

/** The theme shown now. @returns {'light' | 'dark'} */
export function currentTheme() {
  const choice = themeChoice();
  if (choice !== 'system') return choice;
  return scheme?.matches ? 'light' : 'dark';
}

/** Apply the remembered choice (at start, and when the device's scheme changes). */
export function applyTheme() {
  const root = document.documentElement;
  const theme = currentTheme();
  root.dataset.theme = theme;
  root.dataset.themeChoice = themeChoice();
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme === 'light' ? '#f5f7fb' : '#0e1116');
  for (const l of listeners) l();
}

/** Choose (and remember) a theme. @param {ThemeChoice} choice */
export function setTheme(choice) {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch { /* not remembered, still applied for this page */ }
  applyTheme();
}

scheme?.addEventListener('change', () => applyTheme());

/**
 * A button that cycles system → light → dark; its label says what is in use and what a click does.
 * @returns {HTMLButtonElement}
 */
export function themeButton() {
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-small theme-switch', id: 'theme-switch' }, icon('theme'), h('span', { class: 'theme-text' }));
  const text = /** @type {HTMLElement} */ (btn.querySelector('.theme-text'));
  const render = () => {
    const choice = themeChoice();
    setText(text, L('theme.item', { theme: THEME_TEXT[choice] }));
    const next = THEME_CHOICES[(THEME_CHOICES.indexOf(choice) + 1) % THEME_CHOICES.length];
    setAttr(btn, 'title', L('theme.switch_to', { theme: THEME_TEXT[next] }));
  };
  btn.addEventListener('click', () => {
    const choice = themeChoice();
    setTheme(THEME_CHOICES[(THEME_CHOICES.indexOf(choice) + 1) % THEME_CHOICES.length]);
  });
  listeners.add(render);
  render();
  return btn;
}
