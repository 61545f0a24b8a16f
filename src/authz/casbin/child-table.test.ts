import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildTable } from './child-table.ts';

test('ChildTable finds every edge it was given, with its record, and no other, through collisions', () => {
  const edges = new Map<string, number>();
  const t = new ChildTable(5000);
  let child = 0;
  for (let node = 0; node < 100; node++) for (let id = 0; id < 50; id++) if ((node * 7 + id) % 3 === 0) {
    t.slots.set([child, child + 1, child + 2, child + 3, -1], t.add(node, id));
    edges.set(`${node}/${id}`, child++);
  }
  const found = (node: number, id: number) => {
    const k = t.find(node, id);
    if (k < 0) return undefined;
    assert.deepEqual([...t.slots.subarray(k + 1, k + 5)], [t.slots[k]! + 1, t.slots[k]! + 2, t.slots[k]! + 3, -1]);
    return t.slots[k];
  };
  for (let node = 0; node < 101; node++) for (let id = 0; id < 51; id++) assert.equal(found(node, id), edges.get(`${node}/${id}`), `${node}/${id}`);
  // A small table (16 slots) full to its load bound still answers.
  const small = new ChildTable(8);
  for (let i = 0; i < 8; i++) small.slots[small.add(0, i)] = 100 + i;
  for (let i = 0; i < 8; i++) assert.equal(small.slots[small.find(0, i)], 100 + i);
  assert.equal(small.find(1, 0), -1);
  assert.throws(() => small.add(0, 3), /added twice/);
});
