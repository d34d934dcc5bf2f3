// audio-level.js — speaking detection from an audio track with a WebAudio AnalyserNode.
// One shared AudioContext for the page, made on first use but never while joining (deferLevels); each
// watched track gets its own source + analyser, sampled on a timer (not requestAnimationFrame, so it keeps
// working in a background tab). No DOM.

/** @type {AudioContext | null} */
let ctx = null;
/** performance.now() before which no level meter creates the context (see deferLevels). */
let notBefore = 0;

/** The shared AudioContext, created on first use (call from a user gesture to start it running). */
export function audioContext() {
  if (!ctx) {
    const AC = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
    // a browser may hold it until a user gesture (Safari always; others before the page's first one, and
    // a context made after Join, by deferLevels, is made outside one): the page's next click or key resumes it
    if (ctx.state === 'suspended') {
      for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, resumeAudio, { capture: true, once: true });
    }
  }
  resumeAudio();
  return ctx;
}

/** Resume the shared context if there is one and it waits for a user gesture (call from one); never creates it. */
export function resumeAudio() {
  if (ctx?.state === 'suspended') ctx.resume().catch(() => {});
}

/**
 * Level meters asked for in the next `ms` start only then. Creating the AudioContext opens an audio output
 * stream: a synchronous query of the audio device on the page's thread, which took ~360 ms per page with
 * three pages joining at once (docs/benchmarks.md, "Call setup together"), and a running context keeps an
 * audio thread busy. Joining calls this: nobody needs a speaking indicator in a call's first seconds, and
 * everyone needs the page's thread for connecting then. (A context that exists already is used at once.)
 * @param {number} ms
 */
export function deferLevels(ms) {
  notBefore = Math.max(notBefore, performance.now() + ms);
}

const SPEAKING_LEVEL = 0.018; // RMS of the waveform in [-1, 1]
const HOLD_MS = 450; // stay "speaking" this long after the level drops

/**
 * Watch `track` and report the level (0..1, RMS) and whether someone is speaking.
 * @param {MediaStreamTrack} track an audio track
 * @param {(speaking: boolean, level: number) => void} onChange called on every sample (~10/s)
 * @returns {() => void} stop watching
 */
export function watchLevel(track, onChange) {
  const wait = ctx ? 0 : notBefore - performance.now();
  if (wait > 0) {
    let stop = () => {};
    const timer = setTimeout(() => { stop = watchLevel(track, onChange); }, wait);
    return () => { clearTimeout(timer); stop(); };
  }
  const ac = audioContext();
  if (!ac || track.kind !== 'audio') return () => {};
  let source;
  try {
    source = ac.createMediaStreamSource(new MediaStream([track]));
  } catch {
    return () => {};
  }
  const analyser = ac.createAnalyser();
  analyser.fftSize = 2048; // ~43 ms of signal per sample: catches short sounds between two samples
  analyser.smoothingTimeConstant = 0.3;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let lastLoud = 0;
  const timer = setInterval(() => {
    if (track.readyState !== 'live') return;
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
    const rms = Math.sqrt(sum / buf.length);
    const now = performance.now();
    if (rms > SPEAKING_LEVEL && track.enabled) lastLoud = now;
    onChange(now - lastLoud < HOLD_MS, track.enabled ? rms : 0);
  }, 100);
  return () => {
    clearInterval(timer);
    try { source.disconnect(); analyser.disconnect(); } catch { /* already gone */ }
  };
}
