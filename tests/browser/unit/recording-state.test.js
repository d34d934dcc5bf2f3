// Unit tests of recording-state.js: the recording's grid, fitting a video into a cell, the WebM type, the
// file name and the indicator's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridCells, fitInto, pickWebmType, recordingFileName, recordingText } from '../../../web/js/recording-state.js';

/** @param {{ x: number, y: number, w: number, h: number }} a @param {{ x: number, y: number, w: number, h: number }} b */
const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

test('the grid fits every count inside the canvas without overlaps, cells 16:9', () => {
  assert.deepEqual(gridCells(0, 1280, 720), []);
  for (let n = 1; n <= 12; n++) {
    const cells = gridCells(n, 1280, 720);
    assert.equal(cells.length, n);
    for (const [i, c] of cells.entries()) {
      assert.ok(c.x >= 0 && c.y >= 0 && c.x + c.w <= 1280 && c.y + c.h <= 720, `${n}: ${JSON.stringify(c)}`);
      assert.ok(Math.abs(c.w / c.h - 16 / 9) < 0.02, `${n}: 16:9`);
      for (const d of cells.slice(i + 1)) assert.ok(!overlap(c, d), `${n}: overlap`);
    }
  }
  const [one] = gridCells(1, 1280, 720);
  assert.ok(one.w > 1200, 'one person fills the canvas');
  const two = gridCells(2, 1280, 720);
  assert.equal(two[0].y, two[1].y, 'two side by side');
  const three = gridCells(3, 1280, 720);
  assert.ok(three[2].x > three[0].x && three[2].x < three[1].x, 'a lone last tile is centred');
});

test('a video is fitted whole and centred; no size, no rectangle', () => {
  assert.deepEqual(fitInto(640, 480, { x: 0, y: 0, w: 1600, h: 900 }), { x: 200, y: 0, w: 1200, h: 900 });
  assert.deepEqual(fitInto(1920, 1080, { x: 10, y: 10, w: 160, h: 90 }), { x: 10, y: 10, w: 160, h: 90 });
  assert.equal(fitInto(0, 0, { x: 0, y: 0, w: 1, h: 1 }), null);
});

test('the preferred WebM type the browser takes, or none', () => {
  assert.equal(pickWebmType((t) => t === 'video/webm'), 'video/webm');
  assert.equal(pickWebmType(() => true), 'video/webm;codecs=vp8,opus');
  assert.equal(pickWebmType(() => false), null);
  assert.equal(pickWebmType(() => { throw new Error('no'); }), null);
});

test('the file name says room, day and time, and is safe', () => {
  assert.equal(recordingFileName('stand-up_1', new Date(2026, 0, 5, 9, 7)), 'ruang-stand-up_1-2026-01-05-0907.webm');
  assert.equal(recordingFileName('../x', new Date(2026, 11, 31, 23, 59)), 'ruang-x-2026-12-31-2359.webm');
});

test('the indicator names the recorder, or says nothing', () => {
  const names = new Map([['b', 'Bima']]);
  assert.equal(recordingText(null, 'a', (id) => names.get(id)), null);
  assert.equal(recordingText('a', 'a', (id) => names.get(id)), 'You are recording this meeting');
  assert.equal(recordingText('b', 'a', (id) => names.get(id)), 'Bima is recording this meeting');
  assert.equal(recordingText('c', 'a', (id) => names.get(id)), 'Someone is recording this meeting');
});
