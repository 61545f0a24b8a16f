import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSharedValues } from './shared-values.ts';

test('equal values are one frozen object; different ones stay apart, however their keys could be confused', () => {
  const v = createSharedValues();
  const a = v.share({ x: ['a', 1, true, null], y: { z: 'q' } });
  const b = v.share(JSON.parse('{"x":["a",1,true,null],"y":{"z":"q"}}'));
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.x) && Object.isFrozen(a.y));
  const pairs: Array<[unknown, unknown]> = [
    [{ a: '1', b: '' }, { a: '', b: '1' }],
    [{ a: 's1:x' }, { a: 'x' }],
    [{ a: 1 }, { a: '1' }],
    [['a'], { 0: 'a' }],
    [{ a: null }, { a: 'z' }],
    [{ a: true }, { a: 't' }],
    [{ ab: 'c' }, { a: 'bc' }],
  ];
  for (const [x, y] of pairs) assert.notEqual(v.share(x), v.share(y), JSON.stringify([x, y]));
});

test('the argument is not changed; shareMembers leaves the object itself unfrozen and unshared', () => {
  const v = createSharedValues();
  const arg = { name: 'p', spec: { c: [{ n: 'c' }] } };
  const out = v.shareMembers(arg);
  assert.equal(Object.isFrozen(arg.spec), false);
  assert.notEqual(out.spec, arg.spec);
  assert.equal(Object.isFrozen(out), false);
  assert.equal(v.shareMembers({ name: 'q', spec: { c: [{ n: 'c' }] } }).spec, out.spec);
});

test('bounded: the table starts over at maxEntries, and a value with a key past maxKeyLength is not held', () => {
  const v = createSharedValues({ maxEntries: 10, maxKeyLength: 40 });
  for (let i = 0; i < 100; i++) v.share({ i });
  assert.ok(v.size <= 10);
  const long = { s: 'x'.repeat(60) };
  assert.notEqual(v.share(long), v.share({ s: 'x'.repeat(60) }));
  // Its parent is not held either: a member not shared makes the parent unique.
  assert.notEqual(v.share({ l: long }), v.share({ l: long }));
});
