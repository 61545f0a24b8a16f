import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frozenJsonCopy } from './frozen-json-copy.ts';
import { deepFreeze } from './deep-freeze.ts';

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function assertDeepFrozen(v: unknown): void {
  if (v === null || typeof v !== 'object') return;
  assert.ok(Object.isFrozen(v), 'frozen');
  for (const k of Object.keys(v)) assertDeepFrozen((v as Record<string, unknown>)[k]);
}

test('plain data is copied as JSON would give it back, deep-frozen, key order kept', () => {
  const cases: unknown[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { b: '1', a: '2' }, annotations: {} }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } },
    { '2': 'two', b: 1, '1': 'one', a: [true, false, null, 0, -1.5, 1e21, '', 'x'] },
    { z: -0, nested: [[[]], [{}], [{ k: [-0] }]] },
    { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: 'yes' },
    Object.assign(Object.create(null) as object, { a: 1 }),
    [],
    { s: 'unicode \u2028 \ud83d\ude00 "quoted" \\ back' },
  ];
  for (const v of cases) {
    const c = frozenJsonCopy(v);
    assert.deepStrictEqual(c, viaJson(v));
    assert.equal(JSON.stringify(c), JSON.stringify(v));
    assert.deepEqual(Object.keys(c as object), Object.keys(viaJson(v) as object));
    assertDeepFrozen(c);
    assert.notEqual(c, v);
  }
  assert.ok(Object.is((frozenJsonCopy({ z: -0 }) as { z: number }).z, 0), '-0 is written as 0');
});

test('anything whose JSON form is not a plain copy is left to the parse', () => {
  class Thing {
    a = 1;
  }
  const proto = JSON.parse('{"__proto__": {"x": 1}}') as object;
  const deep: Record<string, unknown> = {};
  let cur = deep;
  for (let i = 0; i < 600; i++) cur = (cur.n = {}) as Record<string, unknown>;
  const cases: unknown[] = [
    { when: new Date(0) },
    { toJSON: () => 'x' },
    { b: Buffer.from('hi') },
    { t: new Thing() },
    { a: [1, undefined] },
    { a: [() => 1] },
    // eslint-disable-next-line no-sparse-arrays
    { a: [1, , 3] },
    { n: NaN },
    { n: Infinity },
    { m: new Map() },
    proto,
    deep,
  ];
  for (const v of cases) assert.equal(frozenJsonCopy(v), undefined, JSON.stringify(v)?.slice(0, 60));
});

test('a value changed after the copy does not change the copy', () => {
  const v = { spec: { a: [1] } };
  const c = frozenJsonCopy(v) as { spec: { a: number[] } };
  v.spec.a.push(2);
  assert.deepEqual(c.spec.a, [1]);
});

test('deep-frozen plain JSON members are shared, not copied; the root is always new', () => {
  const spec = deepFreeze({ containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], tolerations: [] });
  const fields = deepFreeze({ 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } });
  const v = { metadata: { name: 'p', managedFields: [{ manager: 'm', fieldsV1: fields }] }, spec };
  const c = frozenJsonCopy(v) as typeof v;
  assert.deepStrictEqual(c, viaJson(v));
  assert.equal(c.spec, spec, 'a frozen spec is shared');
  assert.equal(c.metadata.managedFields[0]!.fieldsV1, fields);
  assert.notEqual(c.metadata, v.metadata, 'a mutable member is copied');
  const frozenRoot = deepFreeze({ a: { b: 1 } });
  const r = frozenJsonCopy(frozenRoot) as typeof frozenRoot;
  assert.notEqual(r, frozenRoot, 'the root is a new object');
  assert.equal(r.a, frozenRoot.a);
});

test('a frozen member that JSON would not give back unchanged is copied', () => {
  const shallow = Object.freeze({ inner: { x: 1 } }); // frozen, but its member is not
  const undef = Object.freeze({ a: undefined, b: 1 });
  const negZero = Object.freeze({ z: -0 });
  const nullProto = Object.freeze(Object.assign(Object.create(null) as object, { a: 1 }));
  const v = { shallow, undef, negZero, nullProto };
  const c = frozenJsonCopy(v) as Record<string, unknown>;
  assert.deepStrictEqual(c, viaJson(v));
  for (const k of Object.keys(v)) assert.notEqual(c[k], (v as Record<string, unknown>)[k], k);
  assertDeepFrozen(c);
  // The copy of the shallow-frozen member does not change with its mutable part.
  shallow.inner.x = 2;
  assert.deepEqual(c.shallow, { inner: { x: 1 } });
});

test('empty objects and arrays below the root are one shared frozen instance', () => {
  const a = frozenJsonCopy({ x: {}, y: [{}, []], z: { w: [] } }) as { x: object; y: [object, unknown[]]; z: { w: unknown[] } };
  assert.equal(a.x, a.y[0]);
  assert.equal(a.y[1], a.z.w);
  const b = frozenJsonCopy({ x: {} }) as { x: object };
  assert.equal(a.x, b.x);
  assert.ok(Object.isFrozen(a.x) && Object.isFrozen(a.z.w));
  const root = {};
  assert.notEqual(frozenJsonCopy(root), frozenJsonCopy({}), 'an empty root is still a new object');
});
