// Layouts in a real call: speaker view follows who speaks, pin, a host's spotlight seen by everyone (and a
// participant's refused by the server), full screen and picture-in-picture, the stage and filmstrip during
// a share on desktop and phone, the phone's touch targets and its overflow menu by keyboard, light and dark
// themes. Screenshots of each layout (desktop 1280x800 and phone 390x844, light and dark) go to
// artifacts/screenshots/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test, expect, roomName, tile, remoteTiles, expectMediaFrom, expectScreenFrom, ARTIFACTS } from '../helpers.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SHOTS = path.join(ARTIFACTS, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** @typedef {import('../helpers.js').Participant} Participant */

/** Screenshots of `p`'s page in both themes (following the device's scheme). @param {Participant} p @param {string} name */
async function shots(p, name) {
  for (const scheme of /** @type {const} */ (['dark', 'light'])) {
    await p.page.emulateMedia({ colorScheme: scheme });
    await expect(p.page.locator('html')).toHaveAttribute('data-theme', scheme);
    await p.page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`) });
  }
  await p.page.emulateMedia({ colorScheme: 'dark' });
}

/** Open a tile's options menu and choose an item. @param {Participant} p @param {string} id @param {string} item class of the item */
async function tileAction(p, id, item) {
  await tile(p, id).hover();
  await tile(p, id).locator('.tile-menu-btn').click();
  await tile(p, id).locator(`.menu .${item}`).click();
}

/** Choose grid or speaker view through the More menu, by keyboard. @param {Participant} p @param {'grid' | 'speaker'} mode */
async function chooseLayout(p, mode) {
  const more = p.page.locator('#btn-more');
  await more.focus();
  await p.page.keyboard.press('Enter');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  const item = p.page.locator(`#menu-layout-${mode}`);
  for (let i = 0; i < 12 && !(await item.evaluate((el) => el === document.activeElement)); i++) await p.page.keyboard.press('ArrowDown');
  await expect(item).toBeFocused();
  await p.page.keyboard.press('Enter');
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(more).toBeFocused(); // the focus is back on the button
  await expect(p.page.locator('#grid')).toHaveAttribute('data-mode', mode);
}

/** Whose tile is on `p`'s stage (`<id>:screen` for a screen share's; null: the grid). @param {Participant} p */
function staged(p) {
  return p.page.evaluate(() => {
    const d = /** @type {HTMLElement | null} */ (document.querySelector('#grid.spotlight > .tile.spot'))?.dataset;
    return d?.peerId ?? (d?.screenOf ? `${d.screenOf}:screen` : null);
  });
}

test('speaker view follows who speaks; pin; a host spotlights for everyone, a participant may not', async ({ join, baseUrl }) => {
  test.setTimeout(300_000); // four pages on a shared 2-core machine, and screenshots
  const room = roomName('speaker');
  const a = await join({ room, name: 'Ayu', viewport: DESKTOP }); // host, speaking (the fake microphone beeps)
  const b = await join({ room, name: 'Bima', mic: false, viewport: DESKTOP });
  const c = await join({ room, name: 'Citra', mic: false, viewport: DESKTOP });
  await expect(remoteTiles(c)).toHaveCount(2);
  await expectMediaFrom(c, [a], { video: false });
  await expect(c.page.locator('#grid')).toHaveAttribute('data-layout', 'grid');
  await shots(c, 'desktop-grid');

  // speaker view (chosen by keyboard in the More menu): Ayu speaks, Ayu has the stage
  await chooseLayout(c, 'speaker');
  await expect(tile(c, a.id)).toHaveAttribute('data-speaking', 'true', { timeout: 20_000 });
  await expect.poll(() => staged(c)).toBe(a.id);
  await expect(c.page.locator('.filmstrip .tile')).toHaveCount(2); // Bima and Citra herself
  await shots(c, 'desktop-speaker');
  // Ayu goes quiet, Bima speaks: the stage follows (after the hold)
  await a.page.locator('body').press('m');
  await b.page.locator('body').press('m');
  await expect(tile(c, b.id)).toHaveAttribute('data-muted', 'false');
  await expect.poll(() => staged(c), { timeout: 20_000 }).toBe(b.id);
  // the choice is remembered
  await c.page.reload();
  await expect(c.page.locator('#name-input')).toHaveValue('Citra'); // (remembered by the pre-join screen)
  await c.page.locator('#join-button').click();
  await expect(c.page.locator('#grid')).toHaveAttribute('data-mode', 'speaker');
  c.id = await c.page.evaluate(() => /** @type {any} */ (window).ruang.state.you);
  await expect(remoteTiles(c)).toHaveCount(2);

  // pin (local): Ayu, though Bima speaks
  await tileAction(c, a.id, 'menu-pin');
  await expect(tile(c, a.id)).toHaveAttribute('data-pinned', 'true');
  await expect.poll(() => staged(c)).toBe(a.id);
  await expect(tile(b, a.id)).toHaveAttribute('data-pinned', 'false'); // nobody else's page changes
  await tileAction(c, a.id, 'menu-pin'); // unpin
  await expect.poll(() => staged(c), { timeout: 20_000 }).toBe(b.id);

  // a participant gets no spotlight item, and the server refuses one sent anyway
  await tile(c, b.id).hover();
  await tile(c, b.id).locator('.tile-menu-btn').click();
  await expect(tile(c, b.id).locator('.menu .menu-pin')).toBeVisible();
  await expect(tile(c, b.id).locator('.menu .menu-spotlight')).toHaveCount(0);
  await c.page.keyboard.press('Escape');
  await expect(tile(c, b.id).locator('.menu')).toBeHidden();
  const refused = await c.page.evaluate(async ({ url, room, target }) => {
    const ws = new WebSocket(url);
    /** @type {any[]} */ const got = [];
    ws.onmessage = (e) => got.push(JSON.parse(e.data));
    const next = (/** @type {(m: any) => boolean} */ f) => new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => { const m = got.find(f); if (m) resolve(m); else if (Date.now() - t0 > 10_000) reject(new Error(JSON.stringify(got))); else setTimeout(tick, 50); };
      tick();
    });
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.send(JSON.stringify({ type: 'join', v: 1, room, name: 'Raw' }));
    await next((m) => m.type === 'welcome');
    ws.send(JSON.stringify({ type: 'moderate', action: 'spotlight', target, req: 77 }));
    const answer = await next((m) => m.type === 'error' && m.req === 77);
    ws.send(JSON.stringify({ type: 'leave' }));
    ws.close();
    return answer.code;
  }, { url: `${baseUrl.replace(/^http/, 'ws')}ws`, room, target: c.id });
  expect(refused).toBe('forbidden');
  for (const p of [a, b, c]) await expect(p.page.locator('.tile[data-spotlight="true"]')).toHaveCount(0);

  // the host spotlights Citra for everyone
  await tileAction(a, c.id, 'menu-spotlight');
  for (const p of [a, b, c]) {
    await expect(p.page.locator(`.tile[data-peer-id="${c.id}"]`)).toHaveAttribute('data-spotlight', 'true');
    await expect.poll(() => staged(p)).toBe(c.id);
  }
  // a latecomer learns it from its welcome
  const d = await join({ room, name: 'Dewi', mic: false, camera: false, viewport: PHONE });
  await expect(tile(d, c.id)).toHaveAttribute('data-spotlight', 'true');
  await expect.poll(() => staged(d)).toBe(c.id);
  await tileAction(a, c.id, 'menu-spotlight'); // removed
  for (const p of [a, b, d]) await expect(p.page.locator('.tile[data-spotlight="true"]')).toHaveCount(0);
  await expect.poll(() => staged(a)).toBe(null);
  // (Citra's speaker view puts the speaker back on her stage)
  await expect.poll(() => staged(c), { timeout: 20_000 }).toBe(b.id);
  await expect(d.page.locator('#grid')).toHaveAttribute('data-layout', 'grid');
  await shots(d, 'phone-grid');
  await chooseLayout(d, 'speaker');
  await expect.poll(() => staged(d), { timeout: 20_000 }).toBe(b.id);
  await shots(d, 'phone-speaker');
});

test('full screen and picture-in-picture of a tile', async ({ join }) => {
  test.setTimeout(180_000);
  const room = roomName('full');
  const a = await join({ room, name: 'Ayu', viewport: DESKTOP });
  const b = await join({ room, name: 'Bima', viewport: DESKTOP });
  await expectMediaFrom(a, [b], { audio: false });
  await tileAction(a, b.id, 'menu-fullscreen');
  await expect.poll(() => a.page.evaluate(() => /** @type {HTMLElement | null} */ (document.fullscreenElement)?.dataset.peerId ?? null)).toBe(b.id);
  await tileAction(a, b.id, 'menu-fullscreen'); // "Exit full screen"
  await expect.poll(() => a.page.evaluate(() => document.fullscreenElement)).toBe(null);

  const pip = await a.page.evaluate(() => document.pictureInPictureEnabled);
  if (pip) {
    await tileAction(a, b.id, 'menu-pip');
    await expect.poll(() => a.page.evaluate(() => /** @type {HTMLElement | null} */ (document.pictureInPictureElement)?.closest('.tile')?.getAttribute('data-peer-id') ?? null)).toBe(b.id);
    await tileAction(a, b.id, 'menu-pip');
    await expect.poll(() => a.page.evaluate(() => document.pictureInPictureElement)).toBe(null);
  } else {
    // (a browser without picture-in-picture offers none)
    await tile(a, b.id).locator('.tile-menu-btn').click();
    await expect(tile(a, b.id).locator('.menu .menu-pip')).toHaveCount(0);
  }
});

test('a share takes the stage with a filmstrip beside it (desktop) and below it (phone)', async ({ join }) => {
  test.setTimeout(300_000); // three pages and a screen share on a shared 2-core machine, screenshots
  const room = roomName('share');
  const a = await join({ room, name: 'Ayu', mic: false, viewport: DESKTOP });
  const b = await join({ room, name: 'Bima', mic: false, viewport: DESKTOP });
  const phone = await join({ room, name: 'Dewi', mic: false, viewport: PHONE });
  await expect(remoteTiles(phone)).toHaveCount(2);
  await b.page.locator('#btn-screen').click();
  await expect(b.page.locator('#btn-screen')).toHaveAttribute('aria-pressed', 'true', { timeout: 30_000 });
  for (const p of [a, phone]) {
    await expect(tile(p, b.id)).toHaveAttribute('data-screen', 'true', { timeout: 30_000 });
    await expect.poll(() => staged(p)).toBe(`${b.id}:screen`); // the screen, in a tile of its own
  }
  await expectMediaFrom(a, [b], { audio: false });
  await expectScreenFrom(a, b.id);

  // desktop: the stage fills most of the width, the strip is a column on the right with the others
  const box = async (/** @type {Participant} */ p, /** @type {string} */ sel) => /** @type {{ x: number, y: number, width: number, height: number }} */ (await p.page.locator(sel).boundingBox());
  const gridA = await box(a, '#grid');
  const stageA = await box(a, `.tile[data-screen-of="${b.id}"]`);
  const stripA = await box(a, '.filmstrip');
  expect(stageA.width).toBeGreaterThan(gridA.width * 0.7);
  expect(stageA.height).toBeGreaterThan(gridA.height * 0.9);
  expect(stripA.x).toBeGreaterThan(stageA.x + stageA.width - 1);
  await expect(a.page.locator('.filmstrip .tile')).toHaveCount(3); // us, Dewi, and Bima's camera beside the screen
  for (const t of await a.page.locator('.filmstrip .tile').all()) {
    const r = /** @type {{ x: number, width: number }} */ (await t.boundingBox());
    expect(r.width).toBeGreaterThan(150); // usable, not slivers
  }
  await shots(a, 'desktop-share');

  // phone: the stage on top across the width, the strip below in one row that scrolls sideways
  const gridP = await box(phone, '#grid');
  const stageP = await box(phone, `.tile[data-screen-of="${b.id}"]`);
  const stripP = await box(phone, '.filmstrip');
  expect(stageP.width).toBeGreaterThan(gridP.width * 0.95);
  expect(stageP.height + stripP.height).toBeGreaterThan(gridP.height * 0.95); // the screen is used
  expect(stripP.y).toBeGreaterThanOrEqual(stageP.y + stageP.height - 1);
  const strip = await phone.page.locator('.filmstrip').evaluate((el) => ({
    tops: [...el.children].map((t) => Math.round(t.getBoundingClientRect().top)), scrolls: el.scrollWidth > el.clientWidth,
    overflowX: getComputedStyle(el).overflowX,
  }));
  expect(strip.tops).toHaveLength(3);
  expect(new Set(strip.tops).size).toBe(1);
  expect(strip.overflowX).toBe('auto');
  expect(strip.scrolls).toBe(true);
  await shots(phone, 'phone-share');
});

test('on a phone: touch targets of at least 44 px, one row of controls, the overflow menu by keyboard', async ({ join }) => {
  test.setTimeout(180_000);
  const room = roomName('phone');
  const a = await join({ room, name: 'Ayu', mic: false, viewport: DESKTOP });
  const phone = await join({ room, name: 'Dewi', mic: false, viewport: PHONE });
  await expect(remoteTiles(phone)).toHaveCount(1);
  // every visible control is at least 44 x 44 px
  const small = await phone.page.evaluate(() => [...document.querySelectorAll('button, a, input, select, textarea, [role="button"]')]
    .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
    .map((el) => ({ id: el.id || el.className || el.tagName, r: el.getBoundingClientRect() }))
    .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
    .map(({ id, r }) => `${id} ${Math.round(r.width)}x${Math.round(r.height)}`));
  expect(small).toEqual([]);
  expect(await phone.page.locator('.controls .ctl').evaluateAll((els) => els.filter((e) => e.getClientRects().length).length)).toBeGreaterThanOrEqual(5);
  // the bar fits one row; Leave has a label; the rest is in "More"
  await expect(phone.page.locator('#btn-leave .ctl-text')).toBeVisible();
  await expect(phone.page.locator('#btn-screen')).toBeHidden();
  const bar = await phone.page.locator('.controls .ctl').evaluateAll((els) => els.filter((e) => e.getClientRects().length).map((e) => Math.round(e.getBoundingClientRect().top)));
  expect(new Set(bar).size).toBe(1);
  // the overflow menu by keyboard: open, move, Escape closes and gives the focus back
  const more = phone.page.locator('#btn-more');
  await expect(more).toHaveAttribute('aria-haspopup', 'menu');
  await more.focus();
  await phone.page.keyboard.press('Enter');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await expect(phone.page.locator('#menu-screen')).toBeFocused();
  await phone.page.keyboard.press('ArrowDown');
  await expect(phone.page.locator('#menu-hand')).toBeFocused();
  await phone.page.keyboard.press('ArrowUp');
  await phone.page.keyboard.press('ArrowUp'); // wraps to the last item
  await expect(phone.page.locator('#menu-theme-dark')).toBeFocused();
  await phone.page.keyboard.press('Escape');
  await expect(phone.page.locator('.more-menu')).toBeHidden();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(more).toBeFocused();
  // a menu item does what its button does: raise the hand from the menu (by keyboard)
  await phone.page.keyboard.press('ArrowDown');
  await expect(phone.page.locator('#menu-screen')).toBeFocused();
  await phone.page.keyboard.press('ArrowDown');
  await phone.page.keyboard.press('Enter');
  await expect(tile(a, phone.id)).toHaveAttribute('data-hand', 'true');
  // the reaction button is not in a phone's bar: "More" offers the reactions
  await expect(phone.page.locator('#btn-react')).toBeHidden();
  await phone.page.locator('#btn-more').click();
  await phone.page.locator('#menu-react-0').click();
  await expect(tile(a, phone.id).locator('.tile-reaction')).toHaveCount(1);
  expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test('light and dark themes follow the device; the switch overrides and is remembered', async ({ browser, baseUrl }) => {
  const ctx = await browser.newContext({ viewport: DESKTOP, colorScheme: 'dark' });
  const page = await ctx.newPage();
  await page.goto(baseUrl);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await expect.poll(bg).toBe('rgb(14, 17, 22)');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(bg).toBe('rgb(245, 247, 251)');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(bg).toBe('rgb(14, 17, 22)');
  // the switch: system → light (though the device says dark), remembered across a reload
  await expect(page.locator('#theme-switch')).toHaveText(/Same as the device/);
  await page.locator('#theme-switch').click();
  await expect(page.locator('#theme-switch')).toHaveText(/Light/);
  await expect.poll(bg).toBe('rgb(245, 247, 251)');
  await page.reload();
  await expect.poll(bg).toBe('rgb(245, 247, 251)');
  await page.locator('#theme-switch').click(); // → dark, though the device now says light
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(bg).toBe('rgb(14, 17, 22)');
  await page.locator('#theme-switch').click(); // → the device's again
  await expect.poll(bg).toBe('rgb(245, 247, 251)');
  // in a call, the More menu switches it too
  await page.goto(`${baseUrl}r/${roomName('theme')}`);
  await page.locator('#name-input').fill('Ayu');
  await page.locator('#join-button').click();
  await expect(page.locator('#call')).toBeVisible();
  await page.locator('#btn-more').click();
  await page.locator('#menu-theme-dark').click();
  await expect.poll(bg).toBe('rgb(14, 17, 22)');
  await expect(page.locator('html')).toHaveAttribute('data-theme-choice', 'dark');
  await ctx.close();
});
