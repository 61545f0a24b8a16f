import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlatTable } from './flat-table.ts';
import { addPrincipalBinding, principalBindings, removePrincipalBinding, SEVERAL } from './principal-bindings.ts';

test('one binding is a plain value; a second makes a list; a repeat is listed once', () => {
  const t = new FlatTable<number[]>();
  addPrincipalBinding(t, 0, 4, 7);
  assert.equal(t.value(t.find(0, 4, 0, 0, 0)), 7);
  addPrincipalBinding(t, 0, 4, 7);
  assert.deepEqual(principalBindings(t, 0, 4), [7]);
  addPrincipalBinding(t, 0, 4, 9);
  addPrincipalBinding(t, 0, 4, 9);
  assert.equal(t.value(t.find(0, 4, 0, 0, 0)), SEVERAL);
  assert.deepEqual(principalBindings(t, 0, 4), [7, 9]);
  assert.deepEqual(principalBindings(t, 1, 4), []);
});

test('removal: a list of one goes back to a plain value, the last removal empties the entry, an unknown id changes nothing', () => {
  const t = new FlatTable<number[]>();
  for (const id of [1, 2, 3]) addPrincipalBinding(t, 2, 5, id);
  removePrincipalBinding(t, 2, 5, 8);
  assert.deepEqual(principalBindings(t, 2, 5), [1, 2, 3]);
  removePrincipalBinding(t, 2, 5, 2);
  removePrincipalBinding(t, 2, 5, 1);
  assert.equal(t.value(t.find(2, 5, 0, 0, 0)), 3);
  removePrincipalBinding(t, 2, 5, 3);
  assert.equal(t.find(2, 5, 0, 0, 0), -1);
  removePrincipalBinding(t, 2, 5, 3);
  assert.deepEqual(principalBindings(t, 2, 5), []);
});
