import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SortedKeys } from './sorted-keys.ts';

test('keys stay sorted in code point order without duplicates', () => {
  const s = new SortedKeys();
  for (const k of ['/b', '/a/😀', '/a/\uffff', '/a', '/b', '/a/x']) s.insert(k);
  assert.deepEqual(s.slice(0, s.size), ['/a', '/a/x', '/a/\uffff', '/a/😀', '/b']);
  s.remove('/a/x');
  s.remove('/missing');
  assert.deepEqual(s.slice(0, s.size), ['/a', '/a/\uffff', '/a/😀', '/b']);
  assert.equal(s.lowerBound('/a/'), 1);
  assert.equal(s.endIndex('/a0'), 3);
  assert.equal(s.endIndex(undefined), 4);
});

test('order holds as keys above U+FFFF come and go (the engine order is used only while none is held)', () => {
  const s = new SortedKeys();
  for (const k of ['/k/\uffff', '/k/a', '/k/\ue000']) s.insert(k);
  assert.equal(s.lowerBound('/k/😀'), 3, 'a surrogate probe sorts after every BMP key');
  s.insert('/k/😀');
  s.insert('/k/\ud7ff');
  assert.deepEqual(s.slice(0, s.size), ['/k/a', '/k/\ud7ff', '/k/\ue000', '/k/\uffff', '/k/😀']);
  s.remove('/k/😀');
  s.insert('/k/\uff00');
  assert.deepEqual(s.slice(0, s.size), ['/k/a', '/k/\ud7ff', '/k/\ue000', '/k/\uff00', '/k/\uffff']);
  assert.equal(s.lowerBound('/k/\ue001'), 3);
  assert.equal(s.lowerBound('/k/😀'), 5);
});

test('chunked: random inserts and removals across many chunks agree with a sorted array, by index and by range', () => {
  // A fixed-seed generator (tests must not depend on Math.random).
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const s = new SortedKeys();
  const ref = new Set<string>();
  const sorted = () => [...ref].sort();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3000; i++) {
      const k = `/registry/core/pods/ns${rand(7)}/p${rand(5000)}`;
      s.insert(k);
      ref.add(k);
    }
    // Remove most of them, so chunks shrink, empty and merge.
    for (const k of [...ref]) {
      if (rand(10) < 8) {
        s.remove(k);
        ref.delete(k);
      }
    }
    s.remove('/registry/core/pods/absent');
    const want = sorted();
    assert.equal(s.size, want.length);
    assert.deepEqual(s.slice(0, s.size), want);
    for (let j = 0; j < 50; j++) {
      const i = rand(want.length);
      assert.equal(s.at(i), want[i]);
      const probe = `/registry/core/pods/ns${rand(7)}/`;
      const lb = want.findIndex((k) => k >= probe);
      assert.equal(s.lowerBound(probe), lb === -1 ? want.length : lb, probe);
      assert.deepEqual([...s.range(i, i + 700)], want.slice(i, i + 700));
    }
  }
  assert.equal(s.at(s.size), undefined);
  assert.deepEqual([...s.range(5, 5)], []);
});
