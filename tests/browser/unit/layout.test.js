// Unit tests of web/js/layout.js: the grid's fit, who takes the stage, and the active speaker's hold
// against flicker (on a fake clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridFit, stageFor, SpeakerFocus, HOLD_MS } from '../../../web/js/layout.js';
import { FakeClock } from './fakes.js';

test('three tiles on a landscape box: two on top, one below, larger than in one row', () => {
  const fit = gridFit({ n: 3, width: 1256, height: 600, gap: 10, aspects: [16 / 9] });
  assert.equal(fit.cols, 2);
  assert.equal(fit.rows, 2);
  // larger than three in a row could be, and filling the height (two rows and the gap, within a pixel each)
  assert.ok(fit.tileW > (1256 - 20) / 3, `${fit.tileW}`);
  assert.ok(fit.tileH * 2 + 10 >= 600 - 2, `${fit.tileH}`);
  assert.ok(!fit.scroll);
});

test('the grid never overflows the width and scrolls rather than making tiny tiles', () => {
  for (let n = 1; n <= 25; n++) {
    const fit = gridFit({ n, width: 370, height: 600, gap: 6, aspects: [4 / 3, 1, 3 / 4] });
    assert.ok(fit.cols * fit.tileW + (fit.cols - 1) * 6 <= 370, `n=${n}`);
    assert.ok(fit.tileW >= 100, `n=${n}`);
    if (fit.scroll) assert.ok(fit.rows * fit.tileH > 600, `n=${n} scrolls only when it must`);
  }
});

const base = { mode: /** @type {'grid'} */ ('grid'), present: ['me', 'a', 'b'], local: 'me', pinned: null, spotlight: null, sharing: [], speaker: null };

test('the stage: pin, then spotlight, then someone else\'s screen, then (speaker view) the speaker', () => {
  assert.equal(stageFor(base), null, 'a plain grid');
  assert.equal(stageFor({ ...base, sharing: ['me'] }), null, 'our own share is not shown back big');
  assert.equal(stageFor({ ...base, sharing: ['me', 'b'] }), 'b');
  assert.equal(stageFor({ ...base, sharing: ['b'], spotlight: 'a' }), 'a');
  assert.equal(stageFor({ ...base, sharing: ['b'], spotlight: 'a', pinned: 'me' }), 'me', 'a pin is the user\'s own choice');
  assert.equal(stageFor({ ...base, pinned: 'gone' }), null, 'someone who left is no longer pinned');
  assert.equal(stageFor({ ...base, mode: 'speaker' }), 'a', 'speaker view with nobody speaking: the first other');
  assert.equal(stageFor({ ...base, mode: 'speaker', speaker: 'b' }), 'b');
  assert.equal(stageFor({ ...base, mode: 'speaker', speaker: 'me' }), 'a', 'never ourselves for speaking');
  assert.equal(stageFor({ ...base, mode: 'speaker', present: ['me'] }), null, 'alone: no stage');
});

function focus() {
  const clock = new FakeClock();
  /** @type {(string | null)[]} */
  const changes = [];
  const f = new SpeakerFocus({
    onChange: (id) => changes.push(id),
    now: () => clock.now(),
    timers: { setTimeout: (fn, ms) => clock.add(fn, ms), clearTimeout: (t) => clock.timers.delete(/** @type {number} */ (t)) },
  });
  return { clock, changes, f };
}

test('the active speaker takes the stage at once, then holds it for HOLD_MS', () => {
  const { clock, changes, f } = focus();
  f.speaking('a', true);
  assert.deepEqual(changes, ['a']);
  clock.advance(300);
  f.speaking('b', true); // b talks over a
  f.speaking('a', false);
  assert.deepEqual(changes, ['a'], 'held');
  clock.advance(HOLD_MS - 300 - 1);
  assert.deepEqual(changes, ['a'], 'still held');
  clock.advance(1);
  assert.deepEqual(changes, ['a', 'b'], 'b takes the stage when the hold ends');
});

test('a short interjection within the hold does not take the stage', () => {
  const { clock, changes, f } = focus();
  f.speaking('a', true);
  clock.advance(500);
  f.speaking('b', true);
  clock.advance(400);
  f.speaking('b', false); // a cough
  clock.advance(HOLD_MS * 2);
  assert.deepEqual(changes, ['a']);
  assert.equal(f.current, 'a');
});

test('nobody speaking keeps the last speaker; our own voice is not followed; a leaver frees the stage', () => {
  const { clock, changes, f } = focus();
  f.ignore = 'me';
  f.speaking('me', true);
  assert.deepEqual(changes, []);
  f.speaking('a', true);
  f.speaking('a', false);
  clock.advance(HOLD_MS * 3);
  assert.equal(f.current, 'a');
  f.remove('a');
  assert.deepEqual(changes, ['a', null]);
  f.speaking('b', true);
  assert.deepEqual(changes, ['a', null, 'b'], 'after a leaver, the next speaker takes the stage at once');
});

test('the SFU\'s active speaker replaces whoever spoke before', () => {
  const { clock, changes, f } = focus();
  f.only('a');
  clock.advance(HOLD_MS);
  f.only('b');
  assert.deepEqual(changes, ['a', 'b']);
  clock.advance(100);
  f.only('a');
  clock.advance(HOLD_MS);
  assert.deepEqual(changes, ['a', 'b', 'a']);
  f.close();
});
