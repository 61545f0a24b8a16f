import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpPool } from './ip-pool.ts';

test('ip pool: one stable address per owner, 253 at most, released ones reused', () => {
  const p = new IpPool('10.0.3.0/24');
  const a = p.allocate('ns/a');
  assert.equal(a, '10.0.3.2');
  assert.equal(p.allocate('ns/a'), a);
  for (let i = 1; i < 253; i++) assert.ok(p.allocate(`ns/p${i}`));
  assert.equal(p.allocate('ns/over'), undefined);
  p.release('ns/a');
  assert.equal(p.allocate('ns/over'), a);
  assert.equal(p.inUse, 253);
});

test('ip pool: an address from an earlier run is claimed back, a foreign one is not', () => {
  const p = new IpPool('10.0.3.0/24');
  assert.equal(p.claim('ns/a', '10.0.3.77'), true);
  assert.equal(p.allocate('ns/a'), '10.0.3.77');
  assert.equal(p.claim('ns/b', '10.0.3.77'), false);
  assert.equal(p.claim('ns/c', '10.9.9.9'), false);
  assert.throws(() => new IpPool('10.0.0.0/16'), /only x\.y\.z\.0\/24/);
});
