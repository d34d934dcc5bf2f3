// Unit tests of the browser tests' own address checks (ice-addresses.js): what counts as loopback, which
// addresses a candidate line carries, and what nonLoopback() reports, so the hermetic spec cannot pass on a
// check that sees nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, candidateAddresses, nonLoopback } from '../ice-addresses.js';

test('loopback: 127.0.0.0/8 and ::1, nothing else', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopback(a), true, a);
  for (const a of ['192.0.2.2', '10.0.0.1', 'fd00::2', '0.0.0.0', '::', '1271.0.0.1', 'abc.local', '', 'undefined']) assert.equal(isLoopback(a), false, a);
});

test('a candidate line carries its address and its related address, unless withheld', () => {
  assert.deepEqual(candidateAddresses('candidate:0 1 UDP 2122187007 127.0.0.1 34192 typ host'), ['127.0.0.1']);
  assert.deepEqual(candidateAddresses('a=candidate:1 1 udp 1 203.0.113.9 5000 typ srflx raddr 192.0.2.2 rport 4000'), ['203.0.113.9', '192.0.2.2']);
  assert.deepEqual(candidateAddresses('candidate:3 1 udp 58663167 127.0.0.1 59834 typ relay raddr 0.0.0.0 rport 0 generation 0'), ['127.0.0.1']);
});

test('nonLoopback reports every non-loopback address, and an empty report as a problem', () => {
  const lo = { type: 'host', address: '127.0.0.1', protocol: 'udp' };
  const ok = { connections: 1, pairs: [{ local: lo, remote: lo }], candidates: [lo], gathered: ['candidate:0 1 UDP 1 127.0.0.1 1 typ host'] };
  assert.deepEqual(nonLoopback(ok), []);
  const eth = { type: 'host', address: '192.0.2.2', protocol: 'udp' };
  const bad = { connections: 1, pairs: [{ local: eth, remote: lo }], candidates: [lo, eth], gathered: ['candidate:0 1 UDP 1 192.0.2.2 1 typ host', 'candidate:1 1 UDP 1 fd00::2 1 typ host'] };
  assert.equal(nonLoopback(bad).length, 4);
  assert.deepEqual(nonLoopback({ connections: 1, pairs: [], candidates: [], gathered: [] }), ['no nominated candidate pair in 1 connection(s)', 'no candidate gathered']);
});
