import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildTable } from './child-table.ts';

test('ChildTable finds every edge it was given and no other, through collisions', () => {
  const edges = new Map<string, number>();
  const t = new ChildTable(5000);
  let child = 0;
  for (let node = 0; node < 100; node++) for (let id = 0; id < 50; id++) if ((node * 7 + id) % 3 === 0) {
    t.set(node, id, child);
    edges.set(`${node}/${id}`, child++);
  }
  for (let node = 0; node < 101; node++) for (let id = 0; id < 51; id++) assert.equal(t.get(node, id), edges.get(`${node}/${id}`) ?? -1, `${node}/${id}`);
  // A small table (16 slots) full to its load bound still answers.
  const small = new ChildTable(8);
  for (let i = 0; i < 8; i++) small.set(0, i, 100 + i);
  for (let i = 0; i < 8; i++) assert.equal(small.get(0, i), 100 + i);
  assert.equal(small.get(1, 0), -1);
});
