import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlatTable } from './flat-table.ts';
import { seededRandom } from './testing.ts';

test('FlatTable: set, replace, find, delete', () => {
  const t = new FlatTable<string>();
  assert.equal(t.find(1, 2, 3, 4, 5), -1);
  t.set(1, 2, 3, 4, 5, 7, 'a');
  const e = t.find(1, 2, 3, 4, 5);
  assert.notEqual(e, -1);
  assert.equal(t.value(e), 7);
  assert.equal(t.payload(e), 'a');
  t.set(1, 2, 3, 4, 5, 8, 'b');
  assert.equal(t.size, 1);
  assert.equal(t.value(t.find(1, 2, 3, 4, 5)), 8);
  // Every part of the key counts.
  const others: [number, number, number, number, number][] = [[0, 2, 3, 4, 5], [1, 0, 3, 4, 5], [1, 2, 0, 4, 5], [1, 2, 3, 0, 5], [1, 2, 3, 4, -1]];
  for (const k of others) assert.equal(t.find(...k), -1);
  t.delete(1, 2, 3, 4, 5);
  assert.equal(t.find(1, 2, 3, 4, 5), -1);
  assert.equal(t.size, 0);
  t.delete(1, 2, 3, 4, 5); // absent: no-op
  assert.equal(t.size, 0);
});

/**
 * Against a Map as the model: random inserts, replaces and deletes on a small key space, from a
 * tiny table (growth, wrap-around probe runs, backward-shift deletion across the end).
 */
test('FlatTable agrees with a Map through 20k random operations', () => {
  const rand = seededRandom(7);
  const int = (n: number) => Math.floor(rand() * n);
  const t = new FlatTable<number>(16);
  const model = new Map<string, number>();
  for (let op = 0; op < 20_000; op++) {
    const k = [int(40), int(3), int(2), int(2), int(2) - 1] as const;
    const id = k.join(',');
    if (rand() < 0.55) {
      t.set(...k, op, op * 2);
      model.set(id, op);
    } else {
      t.delete(...k);
      model.delete(id);
    }
    if (op % 97 === 0) {
      assert.equal(t.size, model.size);
      for (let a = 0; a < 40; a++)
        for (let b = 0; b < 3; b++)
          for (let c = 0; c < 2; c++)
            for (let d = 0; d < 2; d++)
              for (let f = -1; f < 1; f++) {
              const e = t.find(a, b, c, d, f);
              const want = model.get(`${a},${b},${c},${d},${f}`);
              assert.equal(e === -1 ? undefined : t.value(e), want, `key ${a},${b},${c},${d},${f} after op ${op}`);
              if (want !== undefined) assert.equal(t.payload(e), want * 2);
            }
    }
  }
});

test('FlatTable.clear empties the table and it fills again', () => {
  const t = new FlatTable<undefined>();
  for (let i = 0; i < 5000; i++) t.set(i, 0, 0, 0, 0, i, undefined);
  assert.equal(t.size, 5000);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.find(10, 0, 0, 0, 0), -1);
  t.set(10, 0, 0, 0, 0, 1, undefined);
  assert.equal(t.value(t.find(10, 0, 0, 0, 0)), 1);
});
