import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerdictCache } from './verdict-cache.ts';

test('allows are kept for allowTtl, denials for denyTtl', () => {
  let now = 0;
  const c = new VerdictCache({ now: () => now, allowTtlMs: 1000, denyTtlMs: 100 });
  c.set('a', { allowed: true, authority: 'k' });
  c.set('d', { allowed: false, code: 'UNSIGNED', message: 'no' });
  now = 99;
  assert.deepEqual(c.get('d'), { allowed: false, code: 'UNSIGNED', message: 'no' });
  now = 100;
  assert.equal(c.get('d'), undefined);
  assert.deepEqual(c.get('a'), { allowed: true, authority: 'k' });
  now = 1000;
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
});

test('bounded: the least recently used entry goes first', () => {
  const c = new VerdictCache({ now: () => 0, maxEntries: 2 });
  c.set('1', { allowed: true });
  c.set('2', { allowed: true });
  assert.ok(c.get('1'));
  c.set('3', { allowed: true });
  assert.equal(c.size, 2);
  assert.equal(c.get('2'), undefined);
  assert.ok(c.get('1'));
  assert.ok(c.get('3'));
});

test('a TTL of 0 caches nothing; bad options are refused', () => {
  const c = new VerdictCache({ now: () => 0, denyTtlMs: 0 });
  c.set('d', { allowed: false, code: 'UNSIGNED' });
  assert.equal(c.get('d'), undefined);
  assert.throws(() => new VerdictCache({ now: () => 0, maxEntries: -1 }), /maxEntries/);
});
