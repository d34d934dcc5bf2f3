// Rules of the client's source, checked on the files themselves: peer text never goes through HTML
// parsing APIs, and nothing is loaded from the internet.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../../web');

/** @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Source without comments (good enough for our own code: no comment markers inside strings). */
function code(/** @type {string} */ src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('no HTML-parsing DOM APIs anywhere in web/', () => {
  const js = files(web).filter((f) => f.endsWith('.js'));
  expect(js.length).toBeGreaterThan(10);
  for (const f of js) {
    const src = code(readFileSync(f, 'utf8'));
    for (const api of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', 'DOMParser', 'eval(', 'new Function']) {
      expect(src.includes(api), `${path.relative(web, f)} uses ${api}`).toBe(false);
    }
  }
});

test('nothing in web/ points at another origin', () => {
  for (const f of files(web)) {
    if (!/\.(js|css|html|svg)$/.test(f)) continue;
    const src = readFileSync(f, 'utf8');
    const external = src.match(/(?:src|href|url|import|from)\s*[=(]?\s*["'`]?\s*(?:https?:)?\/\/[^"'`)\s]+/g) ?? [];
    // the SVG namespace is an identifier, not a fetch
    const real = external.filter((u) => !u.includes('www.w3.org/2000/svg'));
    expect(real, path.relative(web, f)).toEqual([]);
  }
});

test('the JSDoc types of web/js type-check (tsc --checkJs, strict)', () => {
  const tsc = path.resolve(here, '../node_modules/typescript/bin/tsc');
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', path.resolve(here, '../tsconfig.web.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    out = String(/** @type {any} */ (err).stdout || err);
  }
  expect(out).toBe('');
});
