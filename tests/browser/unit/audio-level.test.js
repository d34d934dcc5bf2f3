// Unit tests of audio-level.js: level meters asked for while joining wait for the deferral, and the shared
// AudioContext is made only then (a fake AudioContext counts how often it is made and what it is given).
// The tests share the module's one context, so they run in order: nothing made, made late, used at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const made = { contexts: 0, sources: 0 };
class FakeAudioContext {
  constructor() { made.contexts++; this.state = 'running'; }
  createMediaStreamSource() { made.sources++; return { connect() {}, disconnect() {} }; }
  createAnalyser() { return { fftSize: 0, smoothingTimeConstant: 0, getFloatTimeDomainData() {}, disconnect() {} }; }
}
/** @type {any} */ (globalThis).window = { AudioContext: FakeAudioContext };
/** @type {any} */ (globalThis).MediaStream = class { constructor(/** @type {unknown[]} */ tracks) { this.tracks = tracks; } };
const { watchLevel, deferLevels } = await import('../../../web/js/audio-level.js');

const track = /** @type {MediaStreamTrack} */ (/** @type {unknown} */ ({ kind: 'audio', readyState: 'live', enabled: true }));
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

test('a meter stopped before the deferral ends never makes the context', async () => {
  deferLevels(40);
  const stop = watchLevel(track, () => {});
  assert.equal(made.contexts, 0, 'not made while joining');
  stop();
  await sleep(80);
  assert.equal(made.contexts, 0, 'not made after being stopped either');
});

test('a meter asked for during the deferral starts when it ends', async () => {
  deferLevels(40);
  const stop = watchLevel(track, () => {});
  assert.equal(made.contexts, 0);
  await sleep(100);
  assert.equal(made.contexts, 1, 'made once the deferral ended');
  assert.equal(made.sources, 1, 'and the track is metered');
  stop();
});

test('once the context exists, a deferral does not hold meters back', () => {
  deferLevels(10_000);
  const stop = watchLevel(track, () => {});
  assert.equal(made.contexts, 1, 'the same context');
  assert.equal(made.sources, 2, 'metered at once');
  stop();
});
