// Unit tests of reactions.js: the protocol's set and the budget that mirrors the server's rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REACTIONS, ReactionBudget, isReaction, reactionLabel } from '../../../web/js/reactions.js';

test('the set is the protocol\'s six emoji, each with a spoken name', () => {
  assert.deepEqual(REACTIONS.map((r) => r.emoji), ['👍', '👏', '😂', '😮', '❤️', '🎉']);
  for (const r of REACTIONS) assert.ok(r.label.length > 0);
  assert.ok(isReaction('🎉'));
  assert.ok(!isReaction('❤'), 'the heart needs its variation selector');
  assert.ok(!isReaction('<b>'));
  assert.ok(!isReaction(undefined));
  assert.equal(reactionLabel('👏'), 'Applause');
});

test('the budget allows five at once, then one every two seconds, never more than five', () => {
  const budget = new ReactionBudget(0);
  assert.equal([...Array(8)].filter(() => budget.take(0)).length, 5);
  assert.equal(budget.take(1999), false);
  assert.equal(budget.take(2000), true);
  assert.equal(budget.take(2500), false);
  assert.equal(budget.take(4000), true, 'the refill under way is kept');
  assert.equal([...Array(8)].filter(() => budget.take(60_000)).length, 5);
});

test('the wire reads reaction and recording messages strictly, and who records from a welcome', async () => {
  const { roomEvent, readWelcome } = await import('../../../web/js/wire.js');
  const A = 'c0ffee0000000001';
  assert.deepEqual(roomEvent({ type: 'reaction', id: A, emoji: '🎉' }), { type: 'reaction', detail: { id: A, emoji: '🎉' } });
  assert.equal(roomEvent({ type: 'reaction', id: A, emoji: '<img src=x>' }), 'invalid');
  assert.equal(roomEvent({ type: 'reaction', emoji: '🎉' }), 'invalid');
  assert.deepEqual(roomEvent({ type: 'recording', id: A }), { type: 'recording', detail: { id: A } });
  assert.deepEqual(roomEvent({ type: 'recording', id: null }), { type: 'recording', detail: { id: null } });
  assert.equal(roomEvent({ type: 'recording', id: 'nope' }), 'invalid');
  const welcome = { type: 'welcome', you: A, room: 'r', peers: [], ice_servers: [] };
  assert.equal(readWelcome(welcome)?.recording, null);
  assert.equal(readWelcome({ ...welcome, recording: A })?.recording, A);
  assert.equal(readWelcome({ ...welcome, recording: 7 })?.recording, null);
});
