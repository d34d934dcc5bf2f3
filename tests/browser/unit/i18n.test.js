// Unit tests of the translation tables (web/js/i18n.js, i18n/en.js, i18n/id.js): both languages have the
// same keys with the same placeholders, the language is picked as documented, texts are filled in and
// counted; and a static check that the page's modules say nothing to the user except through the tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLES, LANGS, L, t, pickLanguage, placeholders, setLanguage, language, onLanguage } from '../../../web/js/i18n.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../../web/js');

test('Indonesian and English have exactly the same keys, each with the same placeholders', () => {
  const en = TABLES.en;
  const id = TABLES.id;
  assert.deepEqual(Object.keys(id).sort(), Object.keys(en).sort());
  assert.ok(Object.keys(en).length > 300, 'every string of the page is in the table');
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholders(id[key]), placeholders(en[key]), `placeholders of ${key}`);
    for (const lang of LANGS) {
      const entry = TABLES[lang][key];
      if (typeof entry === 'object') {
        assert.equal(typeof entry.other, 'string', `${lang} ${key}: a count needs its "other" form`);
        assert.ok('n' in Object.fromEntries(placeholders(entry).map((p) => [p, 1])), `${lang} ${key}: a count shows {n}`);
      } else {
        assert.equal(typeof entry, 'string', `${lang} ${key}`);
        assert.ok(entry.trim() || key === 'xfer.done', `${lang} ${key} is not empty`);
      }
    }
  }
  // a table that forgot to translate: identical prose in both (names, codes and symbols may be the same)
  const same = Object.keys(en).filter((k) => typeof en[k] === 'string' && en[k] === id[k] && /[a-z]{4,} [a-z]{4,}/u.test(en[k]));
  assert.deepEqual(same, [], 'left in English in id.js');
});

test('the language: a stored choice, else the browser\'s first language we have, else English', () => {
  assert.equal(pickLanguage(['id-ID', 'en-US']), 'id');
  assert.equal(pickLanguage(['id']), 'id');
  assert.equal(pickLanguage(['in-ID']), 'id');
  assert.equal(pickLanguage(['en-GB', 'id']), 'en');
  assert.equal(pickLanguage(['fr-FR', 'id-ID']), 'id');
  assert.equal(pickLanguage(['fr-FR', 'de']), 'en');
  assert.equal(pickLanguage([]), 'en');
  assert.equal(pickLanguage(undefined), 'en');
  assert.equal(pickLanguage(['id-ID'], 'en'), 'en');
  assert.equal(pickLanguage(['en-US'], 'id'), 'id');
  assert.equal(pickLanguage(['en-US'], 'xx'), 'en', 'a stored value we do not know is ignored');
});

test('t() fills placeholders as text, counts with plural forms, and follows the language; L() labels follow it later', () => {
  assert.equal(language(), 'en');
  assert.equal(t('toast.joined', { name: '<b>Ayu</b> {n}' }), '<b>Ayu</b> {n} joined', 'a name is put in as it is, never read as a placeholder');
  assert.equal(t('count.participants', { n: 1 }), '1 participant');
  assert.equal(t('count.participants', { n: 3 }), '3 participants');
  assert.equal(t('count.participants', { n: 3 }, 'id'), '3 peserta');
  assert.equal(t('no.such.key'), 'no.such.key');
  const heard = [];
  const off = onLanguage((lang) => heard.push(lang));
  const label = L('lobby.waiting', { n: 2 });
  const role = L('prejoin.invite_as', { role: L('role.viewer.in_sentence') });
  assert.equal(String(label), '2 people are waiting to join');
  assert.equal(String(role), 'You are joining with an invitation as viewer.');
  setLanguage('id');
  assert.equal(String(label), '2 orang menunggu untuk bergabung');
  assert.equal(String(role), 'Anda bergabung dengan undangan sebagai penonton.');
  assert.equal(t('tile.label', { parts: ['Ayu', L('tile.state.hand')] }), 'Ayu, mengangkat tangan');
  setLanguage('id');
  setLanguage('en');
  off();
  setLanguage('id');
  setLanguage('en');
  assert.deepEqual(heard, ['id', 'en'], 'told once per change, and no more once unsubscribed');
});

/** Source without comments, lines kept in place (our own code: no comment markers inside strings). @param {string} src */
function code(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Key names and error names compared against, never shown; the product's name; a key's name on its cap. */
const NOT_WORDS = new Set(['ruang', 'Esc', 'Escape', 'Enter', 'Home', 'End', 'Tab', 'ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight',
  'NotAllowedError', 'SecurityError', 'NotFoundError', 'OverconstrainedError', 'NotReadableError', 'AbortError']);

/**
 * Hard-coded user-visible text in a module: a string literal (quotes or a template) that reads like a
 * sentence or a capitalised word, or any text given where the page shows it (text:, title:, placeholder:,
 * aria-label, label:, a toast, a banner, textContent).
 * @param {string} src @returns {string[]}
 */
function hardCoded(src) {
  const found = [];
  const lines = code(src).split('\n');
  const raw = src.split('\n');
  lines.forEach((line, i) => {
    if (i > 0 && /i18n-exempt: next line/u.test(raw[i - 1] ?? '')) return;
    if (/^\s*(import|export \{)|console\.(warn|info|log|error)|new (Server|Removed)Error\(/u.test(line)) return;
    for (const m of line.matchAll(/(['"`])((?:\\.|(?!\1).)*)\1/gu)) {
      const s = m[2].replace(/\$\{[^}]*\}/gu, '');
      if (NOT_WORDS.has(s)) continue;
      const prose = /^[A-Z][a-z]+(?:[ ,.:…?!]|$)/u.test(s) || /[a-z]{2,} [a-z]{2,} [a-z]{2,}/u.test(s) && !/^[a-z0-9 -]+$/u.test(s);
      if (prose) found.push(`${i + 1}: ${m[0]}`);
    }
    for (const m of line.matchAll(/(?:\btext|\btitle|\bplaceholder|'aria-label'|\blabel|\bconfirm|\bdetail)\s*:\s*(['"`])([^'"`]*[A-Za-z][^'"`]*)\1/gu)) {
      // (a command-line flag in <code>, an emoji written as escapes, the product's name)
      if (/^--[a-z-]+$|^(\\u\{[0-9A-F]+\})+$/u.test(m[2]) || NOT_WORDS.has(m[2])) continue;
      found.push(`${i + 1}: ${m[0]}`);
    }
    for (const m of line.matchAll(/(?:toast|flash|showBanner|setNotice|prompt)\(\s*(['"`])([^'"`]*[A-Za-z][^'"`]*)\1|textContent\s*=\s*(['"`])([^'"`]*[A-Za-z][^'"`]*)\3/gu)) {
      found.push(`${i + 1}: ${m[0]}`);
    }
  });
  // one hit per line
  return [...new Map(found.map((hit) => [hit.split(':')[0], hit])).values()];
}

test('the page\'s modules say nothing to the user except through the tables', () => {
  const ui = readdirSync(path.join(web, 'ui')).filter((f) => f.endsWith('.js')).map((f) => path.join('ui', f));
  // the DOM-free modules whose words reach the page (errors, names of roles and reactions, the recording line)
  const text = ['app.js', 'media.js', 'roles.js', 'reactions.js', 'recording-state.js', 'room.js', 'files.js'];
  const modules = [...ui, ...text];
  assert.ok(ui.length > 20);
  const offenders = modules.flatMap((f) => hardCoded(readFileSync(path.join(web, f), 'utf8')).map((hit) => `${f}:${hit}`));
  assert.deepEqual(offenders, []);
  // the check itself finds what it is meant to find
  assert.equal(hardCoded("toast('Camera stays off');").length, 1);
  assert.equal(hardCoded("h('button', { 'aria-label': 'Mute' }, icon('x'));").length, 1);
  assert.equal(hardCoded("h('p', {}, 'You can still join and see the others.');").length, 1);
  assert.equal(hardCoded("el.textContent = `${n} people are waiting`;").length, 1);
  assert.equal(hardCoded("h('p', { class: 'btn btn-small', text: L('chat.empty') }); if (e.key === 'Escape') go();").length, 0);
});
