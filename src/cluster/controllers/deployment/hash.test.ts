import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHash, fnv32a, safeEncodeString } from './hash.ts';

test('fnv32a matches the FNV-1a reference vectors', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(fnv32a(enc('')), 0x811c9dc5);
  assert.equal(fnv32a(enc('a')), 0xe40c292c);
  assert.equal(fnv32a(enc('foobar')), 0xbf9cf968);
});

test('safeEncodeString maps each byte b to alphanums[b mod 27] (no vowels, no 0/1/3)', () => {
  // 'a' = 97 = 3*27 + 16 -> alphanums[16] = 'v'; '0' = 48 = 27 + 21 -> '4'; '9' = 57 = 2*27 + 3 -> 'f'.
  assert.equal(safeEncodeString('ab'), 'vw');
  assert.equal(safeEncodeString('09'), '4f');
  assert.match(safeEncodeString('1234567890'), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test('computeHash: stable across key order, changes with the template and the collision count', () => {
  const t1 = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const t2 = { spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { tier: 'fe', app: 'web' } } };
  assert.equal(computeHash(t1), computeHash(t2));
  assert.notEqual(computeHash(t1), computeHash({ ...t1, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }));
  assert.notEqual(computeHash(t1), computeHash(t1, 1));
  assert.match(computeHash(t1), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
});
