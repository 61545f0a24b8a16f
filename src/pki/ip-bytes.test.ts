import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToBytes } from './ip-bytes.ts';
import { PkiError } from './errors.ts';

test('IPv4 encodes as four network-order bytes', () => {
  assert.deepEqual([...ipToBytes('10.96.0.1')], [10, 96, 0, 1]);
});

test('IPv6 shorthand expands to sixteen bytes', () => {
  assert.equal(ipToBytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(ipToBytes('::').toString('hex'), '0'.repeat(32));
  assert.equal(ipToBytes('fe80::1:2').toString('hex'), 'fe800000000000000000000000010002');
  assert.equal(ipToBytes('2001:db8::').toString('hex'), '20010db8' + '0'.repeat(24));
  assert.equal(ipToBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
});

test('IPv4-mapped IPv6 keeps the IPv4 tail', () => {
  assert.equal(ipToBytes('::ffff:1.2.3.4').toString('hex'), '00000000000000000000ffff01020304');
});

test('malformed addresses and zone ids are refused', () => {
  for (const bad of ['1.2.3.999', '1.2.3', 'localhost', '', 'fe80::1%eth0', '1::2::3']) {
    assert.throws(() => ipToBytes(bad), (err: unknown) => err instanceof PkiError && err.code === 'InvalidOptions', bad);
  }
});
