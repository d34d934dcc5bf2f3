// call-host.js — host controls in the call and the server's answers: sending `moderate` (ban and end ask
// first), the refusals of what we sent (by `req`), other server errors as toasts, and being muted by a
// host. The rules of who may do what are in roles.js; the server checks them again.

import { toast } from './toast.js';
import { L } from '../i18n.js';
import { confirmDialog } from './dialogs.js';
import { updateControls } from './call-local.js';

/** @typedef {import('./call.js').Call} Call */
/** @typedef {import('../signaling.js').Role} Role */

/**
 * Use a host control (the server checks it again). Ban and end ask first.
 * @param {Call} call @param {string} action @param {string} [target] @param {Role} [role]
 */
export async function moderate(call, action, target, role) {
  const model = call.model;
  const name = target ? model.people.get(target)?.name ?? model.waiting.find((w) => w.id === target)?.name : undefined;
  if (action === 'ban') {
    const ok = await confirmDialog({
      title: name ? L('ban.title', { name }) : L('ban.title_anon'), id: 'ban-dialog', confirm: L('ban.confirm'),
      text: name ? L('ban.text', { name }) : L('ban.text_anon'),
    });
    if (!ok) return;
  }
  if (action === 'end') {
    const ok = await confirmDialog({
      title: L('end.title'), id: 'end-dialog', confirm: L('end.confirm'),
      text: L('end.text'),
    });
    if (!ok) return;
  }
  if (call.phase !== 'in-call') return;
  const req = call.signaling.moderate(action, target, role);
  if (!req) { toast(L('host.not_connected'), { kind: 'error' }); return; }
  call.requests.set(req, { action, target, name });
  while (call.requests.size > 64) call.requests.delete(call.requests.keys().next().value ?? 0);
}

/**
 * A host control we sent was refused.
 * @param {Call} call @param {{ action: string, target?: string, name?: string }} asked @param {string} code @param {string} message
 */
function onRefused(call, asked, code, message) {
  const lobbyAction = asked.action === 'admit' || asked.action === 'deny';
  if (code === 'forbidden') toast(L('refused.forbidden', { message }), { kind: 'error' });
  else if (code === 'unknown_peer' && lobbyAction) {
    if (asked.target) call.model.dropKnock(asked.target);
    toast(asked.name ? L('refused.not_waiting', { name: asked.name }) : L('refused.not_waiting_anon'));
  } else if (code === 'unknown_peer') toast(asked.name ? L('refused.gone', { name: asked.name }) : L('refused.gone_anon'));
  else if (code === 'room_full') toast(L('refused.room_full'), { kind: 'error' });
  else toast(L('refused.other', { message }), { kind: 'error' });
}

/** An `error` from the server outside a request's answer, or the refusal of a host control. @param {Call} call
 * @param {string} code @param {string} message @param {number} [req] */
export function onServerError(call, code, message, req) {
  const asked = req === undefined ? undefined : call.requests.get(req);
  if (asked) {
    call.requests.delete(req ?? 0);
    onRefused(call, asked, code, message);
    return;
  }
  switch (code) {
    case 'unknown_peer': return; // a race with peer_left; harmless
    case 'sfu_unavailable': return; // an SFU message (tiles, layers) that crossed the room's move back to mesh
    case 'forbidden':
      // a viewer's negotiation caught in the moment its role changed: the transport renegotiates recvonly
      if (call.model.role === 'viewer') { console.info('ruang: refused while becoming a viewer:', message); return; }
      toast(L('error.forbidden', { message }), { kind: 'error' });
      return;
    case 'rate_limited': toast(L('error.rate_limited'), { kind: 'error' }); return;
    case 'field_too_large': toast(L('error.field_too_large'), { kind: 'error' }); return;
    case 'too_many_reactions': toast(L('reaction.too_many')); return;
    case 'internal': toast(L('error.internal'), { kind: 'error' }); return;
    default:
      console.warn('ruang: server error', code, message);
      toast(L('error.other', { message }), { kind: 'error' });
  }
}

/** A host or moderator muted us: the microphone goes off at once; only we can turn it on again. @param {Call} call @param {string | null} by */
export async function onMuted(call, by) {
  const who = by ? call.model.people.get(by)?.name : undefined;
  if (call.media.micOn) {
    try { await call.media.setMicEnabled(false); } catch { /* no microphone */ }
  }
  updateControls(call);
  toast(who ? L('toast.muted_by', { name: who }) : L('toast.muted_by_host'), { ms: 6000 });
}
