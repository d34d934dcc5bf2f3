// Unit tests of media.js's start of the devices: settled() (what Join waits for) resolves when the start
// ends or when its time is up, whichever is first, and at once when nothing starts; and devices released
// (stopAll, a receive-only join) while a start runs stay released: the tracks it gets are stopped, not used.
// getUserMedia is a fake the test answers by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/** A fake track: live until stopped. */
class FakeTrack extends EventTarget {
  /** @param {'audio' | 'video'} kind */
  constructor(kind) { super(); this.kind = kind; this.readyState = 'live'; this.enabled = true; }
  stop() { this.readyState = 'ended'; }
  getSettings() { return { deviceId: `${this.kind}-1` }; }
}

/** @type {{ constraints: MediaStreamConstraints, answer: (fail?: boolean) => FakeTrack[] }[]} */
const asked = [];
const mediaDevices = {
  /** @param {MediaStreamConstraints} constraints */
  getUserMedia(constraints) {
    return new Promise((resolve, reject) => {
      asked.push({
        constraints,
        answer(fail = false) {
          if (fail) { reject(new DOMException('denied', 'NotAllowedError')); return []; }
          const tracks = [...(constraints.audio ? [new FakeTrack('audio')] : []), ...(constraints.video ? [new FakeTrack('video')] : [])];
          resolve({ getTracks: () => tracks, getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'), getVideoTracks: () => tracks.filter((t) => t.kind === 'video') });
          return tracks;
        },
      });
    });
  },
};
Object.defineProperty(globalThis, 'navigator', { value: { mediaDevices, language: 'en' }, configurable: true });
const { LocalMedia } = await import('../../../web/js/media.js');

const tick = () => new Promise((r) => setTimeout(r, 0));
/** @param {Promise<unknown>} p @returns {Promise<boolean>} whether `p` settled within a few turns */
async function settledSoon(p) {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 5 && !done; i++) await tick();
  return done;
}

test('settled() resolves at once when nothing starts', async () => {
  const media = new LocalMedia();
  assert.ok(await settledSoon(media.settled(60_000)));
});

test('settled() waits for the start, and resolves when the devices run', async () => {
  asked.length = 0;
  const media = new LocalMedia();
  const started = media.start({ audio: true, video: true });
  const waiting = media.settled(60_000);
  assert.equal(asked.length, 1, 'one request for both devices');
  assert.equal(await settledSoon(waiting), false, 'still starting');
  asked[0].answer();
  await started;
  assert.ok(await settledSoon(waiting), 'settled once both run');
  assert.ok(media.micOn && media.cameraOn);
  assert.ok(await settledSoon(media.settled(60_000)), 'and a later settled() is immediate');
});

test('settled() gives up after its time when the start hangs (a permission prompt nobody answers)', async () => {
  asked.length = 0;
  const media = new LocalMedia();
  void media.start({ audio: true, video: true });
  const t0 = Date.now();
  await media.settled(30);
  assert.ok(Date.now() - t0 >= 25, 'waited its time');
  assert.equal(asked.length, 1);
  assert.equal(media.cameraOn, false, 'the camera is still not there');
});

test('a refused start settles too (each device is tried alone to learn which one failed)', async () => {
  asked.length = 0;
  const media = new LocalMedia();
  const started = media.start({ audio: true, video: true });
  const waiting = media.settled(60_000);
  asked[0].answer(true);
  for (let i = 0; i < 5 && asked.length < 2; i++) await tick();
  asked[1].answer(true); // the microphone alone
  for (let i = 0; i < 5 && asked.length < 3; i++) await tick();
  assert.equal(await settledSoon(waiting), false, 'the camera alone is still being asked');
  asked[2].answer(); // the camera alone
  const result = await started;
  assert.ok(await settledSoon(waiting));
  assert.ok(result.audioError && !result.videoError, 'the microphone is named as the problem');
  assert.ok(media.cameraOn && !media.micOn);
});

test('devices released while starting stay released: what the start gets is stopped', async () => {
  asked.length = 0;
  const media = new LocalMedia();
  const started = media.start({ audio: true, video: true });
  media.stopAll(); // a receive-only join before the camera came
  const tracks = asked[0].answer();
  await started;
  assert.equal(media.micTrack, null);
  assert.equal(media.cameraTrack, null);
  assert.deepEqual(tracks.map((t) => t.readyState), ['ended', 'ended'], 'the devices are not left running');
});

test('released between the fallback requests: the devices after the release are not asked for', async () => {
  asked.length = 0;
  const media = new LocalMedia();
  const started = media.start({ audio: true, video: true });
  asked[0].answer(true); // both at once refused: the microphone alone next
  for (let i = 0; i < 5 && asked.length < 2; i++) await tick();
  media.stopAll();
  const [mic] = asked[1].answer();
  await started;
  assert.equal(asked.length, 2, 'the camera is not asked for once released');
  assert.equal(mic.readyState, 'ended');
  assert.equal(media.micTrack, null);
});
