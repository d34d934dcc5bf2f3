// ui/recording.js — recording on the call screen: the "Record" button (hosts and moderators only), the
// "Recording" indicator everyone sees in the header (a status region, so screen readers hear it start and
// stop), and saving the recording as a download when it stops, or when the recorder leaves. The server
// says who records (`recording`, and `welcome.recording` for late joiners) and clears it when the
// recorder leaves; this page only records when the server has taken its `recording` (a refusal shows).
//
// Stable for tests: #btn-record (aria-pressed), #recording-indicator (hidden when nobody records,
// data-recorder = the recorder's id).

import { h, setAttr } from './dom.js';
import { L, onLanguage } from '../i18n.js';
import { toast } from './toast.js';
import { MeetingRecorder } from './recorder.js';
import { recordingFileName, recordingText } from '../recording-state.js';

/** @typedef {import('./call.js').Call} Call */

export class RecordingControl {
  /** @param {Call} call */
  constructor(call) {
    /** @private */ this.call = call;
    /** @type {string | null} who records, as the server says */ this.recorder = null;
    /** @private @type {MeetingRecorder | null} our own recording */ this.local = null;
    this.button = h('button', {
      type: 'button', id: 'btn-record', class: 'ctl ctl-secondary ctl-record', 'aria-label': L('recording.start'),
      title: L('recording.start_tip'), 'aria-pressed': 'false', hidden: true,
      onclick: () => void this.toggle(),
    }, h('span', { class: 'record-dot', 'aria-hidden': 'true' }));
    this.text = h('span', { class: 'recording-text' });
    this.indicator = h('div', { id: 'recording-indicator', class: 'recording-indicator', role: 'status', hidden: true },
      h('span', { class: 'record-dot', 'aria-hidden': 'true' }), this.text);
    /** @private the request id of our last start */ this.req = 0;
    /** @private */ this.onRole = () => this.update();
    call.model.addEventListener('role', this.onRole);
    /** @private a refusal of our start (not allowed, someone else records) drops what we began */
    this.onError = (/** @type {Event} */ e) => {
      if (this.req && /** @type {CustomEvent} */ (e).detail.req === this.req) this.refused();
    };
    call.signaling.addEventListener('server_error', this.onError);
    /** @private the indicator's sentence follows the page's language */
    this.offLanguage = onLanguage(() => this.update());
  }

  /** The server says who records now (null: nobody). @param {string | null} id */
  setRecorder(id) {
    this.recorder = id;
    // the server cleared our recording (we were taken for gone and came back, say): save what we have
    if (id !== this.call.you && this.local) void this.save();
    this.update();
  }

  /** After a restarted server forgot it: tell it again that we record. */
  remind() {
    if (this.local) this.call.signaling.recording(true);
  }

  /** @private */
  update() {
    const text = recordingText(this.recorder, this.call.you, (id) => this.call.model.people.get(id)?.name);
    this.indicator.hidden = text === null;
    this.indicator.dataset.recorder = this.recorder ?? '';
    if (this.text.textContent !== (text ?? '')) this.text.textContent = text ?? '';
    const role = this.call.model.role;
    const mayRecord = role === 'host' || role === 'moderator';
    const ours = !!this.local;
    this.button.hidden = !mayRecord && !ours;
    this.button.disabled = !ours && !!this.recorder;
    this.button.setAttribute('aria-pressed', String(ours));
    this.button.classList.toggle('active', ours);
    const label = ours ? L('recording.stop_tip') : this.recorder ? L('recording.busy') : L('recording.start');
    setAttr(this.button, 'aria-label', L(ours ? 'recording.stop' : 'recording.start'));
    setAttr(this.button, 'title', label);
  }

  /** Start recording (the server is told first), or stop and save. @private */
  async toggle() {
    if (this.local) { await this.save(); return; }
    try {
      this.local = new MeetingRecorder(() => this.sources());
    } catch (err) {
      toast(err instanceof Error ? err.message : L('recording.unsupported'), { kind: 'error' });
      return;
    }
    this.req = this.call.signaling.recording(true);
    if (!this.req) {
      void this.local.stop();
      this.local = null;
      toast(L('host.not_connected'), { kind: 'error' });
    }
    this.update();
  }

  /** A refusal of our `recording` (not allowed, someone else records): drop what we started. @private */
  refused() {
    if (!this.local) return;
    void this.local.stop();
    this.local = null;
    this.update();
  }

  /** Stop our recording, tell the server, and offer the file as a download. @private */
  async save() {
    const rec = this.local;
    if (!rec) return;
    this.local = null;
    this.call.signaling.recording(false);
    this.update();
    const blob = await rec.stop();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: recordingFileName(this.call.room, new Date()), hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    toast(L('recording.saved'));
  }

  /** The tiles in the grid's order, as the recorder draws and mixes them. @private */
  sources() {
    const tiles = this.call.ui?.tiles.tiles;
    if (!tiles) return [];
    return [...tiles.values()].map((t) => ({
      id: t.id, name: t.name, video: t.video,
      showsVideo: t.media.video || t.media.screen, audio: t.levelTrack,
    }));
  }

  /** Leaving: a recording under way is saved. */
  destroy() {
    this.call.model.removeEventListener('role', this.onRole);
    this.call.signaling.removeEventListener('server_error', this.onError);
    this.offLanguage();
    if (this.local) void this.save();
  }
}
