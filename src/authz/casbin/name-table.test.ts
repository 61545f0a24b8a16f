import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashName, NameTable } from './name-table.ts';

const record = (n: number) => [n, -1, n % 3, 1, n * 10, -1];

test('NameTable: every name finds its own record, through probe chains; other names find nothing', () => {
  const names = Array.from({ length: 300 }, (_, i) => (i % 2 ? `user-${i}` : `system:serviceaccount:ns-${i}:sa`));
  const t = new NameTable(names.length);
  names.forEach((n, i) => t.add(n, record(i)));
  names.forEach((n, i) => {
    const at = t.find(n);
    assert.ok(at >= 0, n);
    assert.deepEqual([...t.slots.subarray(at, at + 6)], record(i), n);
    // A fresh string with the same characters (as a request carries) finds it too.
    assert.equal(t.find([...n].join('')), at);
  });
  for (const n of ['', 'user-1x', 'user-', 'system:authenticated', 'User-1']) assert.equal(t.find(n), -1, n);
  assert.throws(() => t.add('user-1', record(1)), /added twice/);
  assert.throws(() => t.add('x', [-1, 0, 0, 0, 0, -1]), /bad record/);
});

test('NameTable: two names with the same hash are told apart by the name', () => {
  // A 32-bit hash collision among generated names (birthday bound: ~100k names).
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair; i++) {
    const n = `n${i}`;
    const h = hashName(n);
    const other = seen.get(h);
    if (other !== undefined) pair = [other, n];
    else seen.set(h, n);
  }
  const t = new NameTable(4);
  t.add(pair[0], record(1));
  assert.equal(t.find(pair[1]), -1, `${pair[1]} shares ${pair[0]}'s hash but is not in the table`);
  t.add(pair[1], record(2));
  assert.equal(t.slots[t.find(pair[0])], 1);
  assert.equal(t.slots[t.find(pair[1])], 2);
});
