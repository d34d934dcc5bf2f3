// ui/recorder.js — records the meeting in this browser: a canvas that composites the visible tiles' videos
// as a grid (ours included; a name card where someone has no video), the mixed audio of everyone through
// WebAudio (a MediaStreamAudioDestinationNode), and a MediaRecorder that writes WebM. stop() resolves with
// the recording as a Blob. Where tiles go and which WebM type is used: ../recording-state.js.

import { RECORDING_WIDTH, RECORDING_HEIGHT, RECORDING_FPS, gridCells, fitInto, pickWebmType } from '../recording-state.js';
import { hueFor, initials } from './dom.js';
import { t } from '../i18n.js';

/**
 * One tile as the recorder sees it.
 * @typedef {{ id: string, name: string, video: HTMLVideoElement, showsVideo: boolean, audio: MediaStreamTrack | null }} Source
 */

export class MeetingRecorder {
  /** @param {() => Source[]} sources the tiles to record, in the grid's order (asked for on every frame) */
  constructor(sources) {
    /** @private */ this.sources = sources;
    const type = typeof MediaRecorder === 'undefined' ? null : pickWebmType((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error(t('recording.unsupported'));
    /** @private */ this.type = type;
    /** @private */ this.canvas = document.createElement('canvas');
    this.canvas.width = RECORDING_WIDTH;
    this.canvas.height = RECORDING_HEIGHT;
    /** @private */ this.ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    /** @private */ this.audioCtx = new AudioContext();
    /** @private */ this.mix = this.audioCtx.createMediaStreamDestination();
    /** @private @type {Map<string, MediaStreamAudioSourceNode>} by track id */ this.inputs = new Map();
    /** @private @type {Blob[]} */ this.chunks = [];
    /** @private @type {Promise<Blob> | null} */ this.stopped = null;
    this.draw();
    const video = this.canvas.captureStream(RECORDING_FPS).getVideoTracks()[0];
    const stream = new MediaStream([video, ...this.mix.stream.getAudioTracks()]);
    /** @private */ this.recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_500_000 });
    this.recorder.ondataavailable = (e) => { if (e.data.size) this.chunks.push(e.data); };
    // timers, not animation frames: a recording keeps going in a tab in the background
    /** @private */ this.timer = setInterval(() => this.draw(), 1000 / RECORDING_FPS);
    void this.audioCtx.resume();
    this.recorder.start(1000);
  }

  /** Stops and resolves with the WebM recording (also when called twice: the same one). @returns {Promise<Blob>} */
  stop() {
    this.stopped ??= new Promise((resolve) => {
      clearInterval(this.timer);
      const done = () => {
        for (const node of this.inputs.values()) node.disconnect();
        void this.audioCtx.close();
        for (const t of this.recorder.stream.getTracks()) t.stop();
        resolve(new Blob(this.chunks, { type: this.type.split(';')[0] }));
      };
      if (this.recorder.state === 'inactive') { done(); return; }
      this.recorder.addEventListener('stop', done, { once: true });
      this.recorder.stop();
    });
    return this.stopped;
  }

  /** One frame: every tile in its cell, and the mix follows who is there. @private */
  draw() {
    const sources = this.sources();
    this.mixAudio(sources);
    const { ctx } = this;
    ctx.fillStyle = '#0e1116';
    ctx.fillRect(0, 0, RECORDING_WIDTH, RECORDING_HEIGHT);
    const cells = gridCells(sources.length, RECORDING_WIDTH, RECORDING_HEIGHT);
    sources.forEach((s, i) => {
      const cell = cells[i];
      ctx.fillStyle = '#1c2330';
      ctx.fillRect(cell.x, cell.y, cell.w, cell.h);
      const fit = s.showsVideo && s.video.readyState >= 2 ? fitInto(s.video.videoWidth, s.video.videoHeight, cell) : null;
      if (fit) ctx.drawImage(s.video, fit.x, fit.y, fit.w, fit.h);
      else {
        const r = Math.min(cell.w, cell.h) / 5;
        ctx.fillStyle = `hsl(${hueFor(s.id)} 45% 42%)`;
        ctx.beginPath();
        ctx.arc(cell.x + cell.w / 2, cell.y + cell.h / 2, r, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = '#fff';
        ctx.font = `600 ${Math.round(r * 0.8)}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(initials(s.name), cell.x + cell.w / 2, cell.y + cell.h / 2);
      }
      // the name, bottom left (drawn as text on the canvas: never markup)
      ctx.font = '500 18px system-ui, sans-serif';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      const label = s.name.slice(0, 60);
      const w = Math.min(ctx.measureText(label).width + 16, cell.w - 16);
      ctx.fillStyle = 'rgb(0 0 0 / 0.55)';
      ctx.fillRect(cell.x + 8, cell.y + cell.h - 36, w, 28);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, cell.x + 16, cell.y + cell.h - 16, cell.w - 32);
    });
  }

  /** Every tile's audio into the mix once; tracks that went away leave it. @private @param {Source[]} sources */
  mixAudio(sources) {
    const live = new Set();
    for (const s of sources) {
      const track = s.audio;
      if (!track || track.readyState !== 'live') continue;
      live.add(track.id);
      if (this.inputs.has(track.id)) continue;
      const node = this.audioCtx.createMediaStreamSource(new MediaStream([track]));
      node.connect(this.mix);
      this.inputs.set(track.id, node);
    }
    for (const [id, node] of this.inputs) {
      if (!live.has(id)) { node.disconnect(); this.inputs.delete(id); }
    }
  }
}
