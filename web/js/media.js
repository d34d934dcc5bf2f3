// media.js — local capture: microphone, camera and screen share tracks, device choice and its memory.
//
// Owns every local MediaStreamTrack. The rest of the client asks `audioTrack`/`videoTrack`/`screenTrack` for
// what to send and listens for `change` ({kind: 'audio' | 'video' | 'screen'}) to re-attach tracks
// (RTCRtpSender.replaceTrack). No DOM, no networking.
//
// Rules: the microphone is muted by disabling its track (instant unmute); the camera is turned off by
// stopping its track (the camera light goes off) and restarted on demand; a screen share is a track of its
// own beside the camera (both are sent: people see the presenter and what it presents), and ends either from
// our button or from the browser's own "stop sharing" (`ended`).

import { L, t } from './i18n.js';

const STORE_MIC = 'ruang.mic';
const STORE_CAMERA = 'ruang.camera';

/** @typedef {import('./signaling.js').MediaState} MediaState */

/** @param {string} key */
function load(key) {
  try { return localStorage.getItem(key) || ''; } catch { return ''; }
}
/** @param {string} key @param {string} value */
function save(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode */ }
}

/**
 * A human message for a getUserMedia / getDisplayMedia failure (a label: it follows the language).
 * @param {unknown} err
 * @param {'camera' | 'microphone' | 'screen'} what
 * @returns {import('./i18n.js').Label}
 */
export function describeMediaError(err, what) {
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  const device = t(`media.device.${what}`);
  switch (name) {
    case 'NotAllowedError': case 'SecurityError': return L('media.denied', { device });
    case 'NotFoundError': case 'OverconstrainedError': return L('media.not_found', { device });
    case 'NotReadableError': case 'AbortError': return L('media.in_use', { device });
    default: return L('media.failed', { device });
  }
}

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    /** @type {MediaStreamTrack | null} */ this.micTrack = null;
    /** @type {MediaStreamTrack | null} */ this.cameraTrack = null;
    /** @type {MediaStreamTrack | null} */ this.screenTrack = null;
    this.micDeviceId = load(STORE_MIC);
    this.cameraDeviceId = load(STORE_CAMERA);
    /** @private @type {Promise<unknown> | null} the start() in progress */ this.starting = null;
    /** @private how often everything was released (stopAll): a start() begun before ends without tracks */
    this.releases = 0;
  }

  /** The microphone is sending. */
  get micOn() { return !!this.micTrack && this.micTrack.enabled && this.micTrack.readyState === 'live'; }
  /** The camera is sending. */
  get cameraOn() { return !!this.cameraTrack && this.cameraTrack.readyState === 'live'; }
  /** A screen share is sending (beside the camera, if that is on). */
  get sharing() { return !!this.screenTrack && this.screenTrack.readyState === 'live'; }

  /** @returns {MediaStreamTrack | null} what the audio sender should send */
  get audioTrack() { return this.micTrack; }
  /** @returns {MediaStreamTrack | null} what the camera's video sender should send */
  get videoTrack() { return this.cameraOn ? this.cameraTrack : null; }
  /** @returns {MediaStreamTrack | null} what the screen's video sender should send */
  get sharedTrack() { return this.sharing ? this.screenTrack : null; }

  /** @returns {MediaState} */
  get state() { return { audio: this.micOn, video: this.cameraOn, screen: this.sharing }; }

  /** @returns {MediaStreamConstraints['audio']} */
  micConstraints() {
    return {
      ...(this.micDeviceId ? { deviceId: { exact: this.micDeviceId } } : {}),
      echoCancellation: true, noiseSuppression: true, autoGainControl: true,
    };
  }

  /** @returns {MediaStreamConstraints['video']} */
  cameraConstraints() {
    return {
      ...(this.cameraDeviceId ? { deviceId: { exact: this.cameraDeviceId } } : {}),
      width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 },
    };
  }

  /**
   * Start microphone and/or camera with one permission prompt where possible. Errors per device are
   * returned, not thrown, so the caller can offer a receive-only join. Everything released (stopAll) while
   * it runs stays released: the devices it then gets are stopped at once.
   * @param {{ audio: boolean, video: boolean }} want
   * @returns {Promise<{ audioError?: string, videoError?: string }>}
   */
  start(want) {
    const started = this.startDevices(want);
    this.starting = started;
    const done = () => { if (this.starting === started) this.starting = null; };
    started.then(done, done);
    return started;
  }

  /**
   * Resolves once what start() asked for runs or was refused, or after `ms` (a permission prompt not yet
   * answered, a slow camera), whichever comes first; at once when nothing is starting. Joining waits for
   * it: the join then announces the devices as they are, and the call's connections are not made while
   * the browser starts the devices (both at once slowed the camera's start ~3× on a busy machine, and the
   * first frames wait for the camera: docs/benchmarks.md).
   * @param {number} ms
   * @returns {Promise<void>}
   */
  settled(ms) {
    const starting = this.starting;
    if (!starting) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = () => { clearTimeout(timer); resolve(); };
      starting.then(done, done);
    });
  }

  /**
   * start()'s work.
   * @private @param {{ audio: boolean, video: boolean }} want
   * @returns {Promise<{ audioError?: string, videoError?: string }>}
   */
  async startDevices(want) {
    /** @type {{ audioError?: string, videoError?: string }} */
    const result = {};
    if (!navigator.mediaDevices?.getUserMedia) {
      if (want.audio) result.audioError = t('media.no_audio_capture');
      if (want.video) result.videoError = t('media.no_video_capture');
      return result;
    }
    const releases = this.releases;
    const released = () => this.releases !== releases;
    if (want.audio && want.video && !this.micTrack && !this.cameraTrack) {
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: this.micConstraints(), video: this.cameraConstraints() });
        if (released()) { for (const track of s.getTracks()) track.stop(); return result; }
        this.setMic(s.getAudioTracks()[0] ?? null);
        this.setCamera(s.getVideoTracks()[0] ?? null);
        return result;
      } catch { /* fall through: try each device alone to learn which one fails */ }
    }
    if (want.audio && !this.micTrack && !released()) {
      try { await this.startMic(released); } catch (e) { result.audioError = String(describeMediaError(e, 'microphone')); }
    }
    if (want.video && !this.cameraTrack && !released()) {
      try { await this.startCamera(released); } catch (e) { result.videoError = String(describeMediaError(e, 'camera')); }
    }
    return result;
  }

  /**
   * (Re)start the microphone on the chosen device. Keeps the muted state.
   * @param {() => boolean} [unwanted] true once the track is no longer wanted (it is then stopped, not used)
   */
  async startMic(unwanted = () => false) {
    const wasEnabled = this.micTrack ? this.micTrack.enabled : true;
    const s = await navigator.mediaDevices.getUserMedia({ audio: this.micConstraints() });
    const track = s.getAudioTracks()[0];
    if (unwanted()) { track.stop(); return; }
    track.enabled = wasEnabled;
    this.setMic(track);
  }

  /**
   * Start (or restart, after a device change) the camera.
   * @param {() => boolean} [unwanted] true once the track is no longer wanted (it is then stopped, not used)
   */
  async startCamera(unwanted = () => false) {
    const s = await navigator.mediaDevices.getUserMedia({ video: this.cameraConstraints() });
    const track = s.getVideoTracks()[0];
    if (unwanted()) { track.stop(); return; }
    this.setCamera(track);
  }

  /** Turn the camera off and release it. */
  stopCamera() {
    this.setCamera(null);
  }

  /**
   * Mute or unmute; starts the microphone if there is none yet.
   * @param {boolean} on
   */
  async setMicEnabled(on) {
    if (on && !this.micTrack) {
      await this.startMic();
      if (this.micTrack) /** @type {MediaStreamTrack} */ (this.micTrack).enabled = true;
      this.emit('audio');
      return;
    }
    if (this.micTrack) this.micTrack.enabled = on;
    this.emit('audio');
  }

  /** @param {boolean} on */
  async setCameraEnabled(on) {
    if (on) {
      if (!this.cameraOn) await this.startCamera();
    } else {
      this.stopCamera();
    }
  }

  /** Share a screen, window or tab, beside the camera. */
  async startScreen() {
    if (this.screenTrack) return;
    if (!navigator.mediaDevices?.getDisplayMedia) throw new Error(t('media.no_screen_share'));
    const s = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    const track = s.getVideoTracks()[0];
    if ('contentHint' in track) track.contentHint = 'detail';
    this.screenTrack = track;
    track.addEventListener('ended', () => { if (this.screenTrack === track) void this.stopScreen(); });
    this.emit('screen');
  }

  /** Stop sharing (the camera goes on as it was). */
  async stopScreen() {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    this.emit('screen');
  }

  /** @param {string} deviceId */
  async switchMic(deviceId) {
    this.micDeviceId = deviceId;
    save(STORE_MIC, deviceId);
    if (this.micTrack) await this.startMic();
  }

  /** @param {string} deviceId */
  async switchCamera(deviceId) {
    this.cameraDeviceId = deviceId;
    save(STORE_CAMERA, deviceId);
    if (this.cameraTrack && this.cameraTrack.readyState === 'live') await this.startCamera();
  }

  /** @returns {Promise<{ mics: MediaDeviceInfo[], cameras: MediaDeviceInfo[] }>} */
  async devices() {
    if (!navigator.mediaDevices?.enumerateDevices) return { mics: [], cameras: [] };
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      mics: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
    };
  }

  /**
   * Stop sending anything (made a viewer): release microphone, camera and screen, and tell listeners, so
   * the senders send nothing and the media state becomes all false.
   */
  release() {
    const had = { audio: !!this.micTrack, video: !!this.cameraTrack, screen: !!this.screenTrack };
    this.stopAll();
    if (had.audio) this.emit('audio');
    if (had.video) this.emit('video');
    if (had.screen) this.emit('screen');
  }

  /** Release everything. */
  stopAll() {
    this.releases++;
    for (const t of [this.micTrack, this.cameraTrack, this.screenTrack]) t?.stop();
    this.micTrack = this.cameraTrack = this.screenTrack = null;
  }

  /** @private @param {MediaStreamTrack | null} track */
  setMic(track) { this.adopt('micTrack', 'micDeviceId', 'audio', track); }

  /** @private @param {MediaStreamTrack | null} track */
  setCamera(track) { this.adopt('cameraTrack', 'cameraDeviceId', 'video', track); }

  /**
   * Makes `track` the current mic or camera track: stops the one it replaces, remembers its device, and
   * forgets it when the browser ends it.
   * @private
   * @param {'micTrack' | 'cameraTrack'} slot @param {'micDeviceId' | 'cameraDeviceId'} deviceSlot
   * @param {'audio' | 'video'} kind @param {MediaStreamTrack | null} track
   */
  adopt(slot, deviceSlot, kind, track) {
    const old = this[slot];
    this[slot] = track;
    if (old && old !== track) old.stop();
    if (track) {
      const id = track.getSettings().deviceId;
      if (id && !this[deviceSlot]) this[deviceSlot] = id;
      track.addEventListener('ended', () => { if (this[slot] === track) { this[slot] = null; this.emit(kind); } });
    }
    this.emit(kind);
  }

  /** @private @param {'audio' | 'video' | 'screen'} kind */
  emit(kind) { this.dispatchEvent(new CustomEvent('change', { detail: { kind } })); }
}
