// Unit tests of audio-level.js: level meters asked for while joining wait for the deferral, and the shared
// AudioContext is made only then (a fake AudioContext counts how often it is made and what it is given).
// The tests share the module's one context, so they run in order: nothing made, made late (suspended, then
// resumed by a gesture), used at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const made = { contexts: 0, sources: 0, resumes: 0 };
class FakeAudioContext {
  constructor() { made.contexts++; this.state = 'suspended'; } // (as a browser that waits for a user gesture makes it)
  resume() { made.resumes++; return Promise.resolve(); }
  createMediaStreamSource() { made.sources++; return { connect() {}, disconnect() {} }; }
  createAnalyser() { return { fftSize: 0, smoothingTimeConstant: 0, getFloatTimeDomainData() {}, disconnect() {} }; }
}
const win = Object.assign(new EventTarget(), { AudioContext: FakeAudioContext });
/** @type {any} */ (globalThis).window = win;
/** @type {any} */ (globalThis).MediaStream = class { constructor(/** @type {unknown[]} */ tracks) { this.tracks = tracks; } };
const { watchLevel, deferLevels, resumeAudio } = await import('../../../web/js/audio-level.js');

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

test('a context made suspended (outside a user gesture) is resumed by the page\'s next click or key', () => {
  const before = made.resumes;
  assert.ok(before >= 1, 'tried at once');
  win.dispatchEvent(new Event('pointerdown'));
  assert.equal(made.resumes, before + 1, 'resumed by the click');
  win.dispatchEvent(new Event('keydown'));
  assert.equal(made.resumes, before + 2, 'and by a key, if still suspended');
  win.dispatchEvent(new Event('pointerdown'));
  assert.equal(made.resumes, before + 2, 'once each');
  resumeAudio();
  assert.equal(made.resumes, before + 3, 'resumeAudio() resumes a suspended context');
});

test('once the context exists, a deferral does not hold meters back', () => {
  deferLevels(10_000);
  const stop = watchLevel(track, () => {});
  assert.equal(made.contexts, 1, 'the same context');
  assert.equal(made.sources, 2, 'metered at once');
  stop();
});
