import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  difference,
  equalSets,
  fromFieldsV1,
  FieldsV1Error,
  intersection,
  isEmpty,
  recursiveDifference,
  setFromPaths,
  setPaths,
  toFieldsV1,
  union,
  type FieldSet,
} from './field-set.ts';
import { fieldPE, keyPE, parsePE, pathToString, serializePE, type PathElement } from './path-element.ts';
import { toFieldSet } from './to-field-set.ts';
import { rootRef } from './shape.ts';
import { DEPLOYMENT, fixtureSchema } from './fixture-schema.ts';

const f = fieldPE;
const p = (...names: string[]): PathElement[] => names.map(f);
const fromJson = (s: string): FieldSet => fromFieldsV1(JSON.parse(s));

describe('path elements', () => {
  const cases: Array<[string, PathElement, string, string]> = [
    ['field', f('spec'), 'f:spec', '.spec'],
    ['key, sorted by field name', keyPE([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}', '[containerPort=80,protocol="TCP"]'],
    ['value', { kind: 'value', value: 'a<b' }, 'v:"a\\u003cb"', '[="a<b"]'],
    ['index', { kind: 'index', index: 3 }, 'i:3', '[3]'],
  ];
  for (const [name, pe, wire, text] of cases) {
    test(name, () => {
      assert.equal(serializePE(pe), wire);
      assert.equal(pathToString([pe]), text);
      assert.equal(serializePE(parsePE(wire)), wire);
    });
  }

  test('a key written with unsorted fields and spaces gets the canonical identity', () => {
    const s = fromFieldsV1({ 'k:{"protocol": "TCP", "containerPort": 80}': {} });
    assert.deepEqual([...s.members], ['k:{"containerPort":80,"protocol":"TCP"}']);
  });

  test('path string as used in conflict messages', () => {
    assert.equal(pathToString([...p('spec', 'template', 'spec', 'containers'), keyPE([['name', 'nginx']]), f('image')]), '.spec.template.spec.containers[name="nginx"].image');
  });
});

describe('set operations', () => {
  const a = setFromPaths([p('a'), p('b', 'c'), p('b', 'd')]);
  const b = setFromPaths([p('b', 'c'), p('e')]);
  const cases: Array<[string, FieldSet, string[]]> = [
    ['union', union(a, b), ['.a', '.b.c', '.b.d', '.e']],
    ['difference', difference(a, b), ['.a', '.b.d']],
    ['intersection', intersection(a, b), ['.b.c']],
    ['difference keeps children of a removed member', difference(a, setFromPaths([p('b')])), ['.a', '.b.c', '.b.d']],
    ['recursive difference removes them', recursiveDifference(a, setFromPaths([p('b')])), ['.a']],
  ];
  for (const [name, got, want] of cases) {
    test(name, () => assert.deepEqual(setPaths(got).map(pathToString), want));
  }
  test('empty', () => {
    assert.equal(isEmpty(difference(a, a)), true);
    assert.equal(isEmpty(a), false);
  });
});

describe('FieldsV1', () => {
  test('serialises members, children and "." in upstream order', () => {
    const s = setFromPaths([
      [f('spec'), f('containers'), keyPE([['name', 'b']])],
      [f('spec'), f('containers'), keyPE([['name', 'b']]), f('image')],
      [f('spec'), f('containers'), keyPE([['name', 'a']])],
      [f('metadata'), f('labels'), f('app')],
      [f('metadata'), f('labels')],
      [f('spec'), f('finalizers'), { kind: 'value', value: 'x' }],
      [f('spec'), f('finalizers'), { kind: 'value', value: 2 }],
    ]);
    assert.equal(
      JSON.stringify(toFieldsV1(s)),
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{},"k:{\\"name\\":\\"b\\"}":{".":{},"f:image":{}}},"f:finalizers":{"v:2":{},"v:\\"x\\"":{}}}}',
    );
  });

  test('round trip', () => {
    const wire =
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}';
    const s = fromJson(wire);
    assert.equal(JSON.stringify(toFieldsV1(s)), wire);
    assert.ok(equalSets(fromFieldsV1(toFieldsV1(s)), s));
  });

  test('rejects what is not FieldsV1', () => {
    assert.throws(() => fromFieldsV1({ 'x:y': {} }), FieldsV1Error);
    assert.throws(() => fromFieldsV1({ 'f:a': 1 }), FieldsV1Error);
    assert.throws(() => fromFieldsV1([]), FieldsV1Error);
  });
});

describe('toFieldSet', () => {
  const ref = rootRef(fixtureSchema, DEPLOYMENT);
  test('an applied Deployment', () => {
    const config = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a/b'] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1', args: ['-g'], ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
            ],
          },
        },
      },
    };
    assert.deepEqual(toFieldsV1(toFieldSet(fixtureSchema, ref, config)), {
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} }, 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:args': {},
                'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                'f:image': {},
                'f:name': {},
                // protocol has a default, so a port without one is keyed with "TCP"
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  test('without a schema, objects are granular maps and lists atomic', () => {
    const s = toFieldSet(undefined, rootRef(undefined, undefined), { spec: { a: { b: 1 }, l: [1, 2] } });
    assert.deepEqual(toFieldsV1(s), { 'f:spec': { '.': {}, 'f:a': { '.': {}, 'f:b': {} }, 'f:l': {} } });
  });

  test('an item without its key is rejected with its path', () => {
    assert.throws(
      () => toFieldSet(fixtureSchema, ref, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
      /^Error: \.spec\.template\.spec\.containers: element 0: associative list with keys has an element that omits key field "name" \(and doesn't have default value\)$/,
    );
  });

  test('duplicate keys are rejected when asked', () => {
    const cfg = { metadata: { finalizers: ['a', 'a'] } };
    assert.doesNotThrow(() => toFieldSet(fixtureSchema, ref, cfg));
    assert.throws(() => toFieldSet(fixtureSchema, ref, cfg, { rejectDuplicates: true }), /duplicate entries for key \[="a"\]/);
  });
});

describe('toFieldsV1 output', () => {
  test('is deep-frozen (the store shares it rather than copying), and sorts list-item keys the same on every call', () => {
    const wire = '{"f:status":{"f:conditions":{".":{},"k:{\\"type\\":\\"Ready\\"}":{".":{},"f:status":{}},"k:{\\"type\\":\\"Initialized\\"}":{"f:type":{}}},"f:podIPs":{"k:{\\"ip\\":\\"10.0.0.2\\"}":{},"k:{\\"ip\\":\\"10.0.0.10\\"}":{}}}}';
    const s = fromJson(wire);
    const want = '{"f:status":{"f:conditions":{".":{},"k:{\\"type\\":\\"Initialized\\"}":{"f:type":{}},"k:{\\"type\\":\\"Ready\\"}":{".":{},"f:status":{}}},"f:podIPs":{"k:{\\"ip\\":\\"10.0.0.10\\"}":{},"k:{\\"ip\\":\\"10.0.0.2\\"}":{}}}}';
    // The second and third encodings sort with the remembered parsed keys.
    for (let i = 0; i < 3; i++) {
      const out = toFieldsV1(s);
      assert.equal(JSON.stringify(out), want);
      const stack: unknown[] = [out];
      while (stack.length > 0) {
        const o = stack.pop() as Record<string, unknown>;
        assert.ok(Object.isFrozen(o));
        assert.equal(Object.getPrototypeOf(o), Object.prototype);
        stack.push(...Object.values(o));
      }
      assert.throws(() => {
        (out['f:status'] as Record<string, unknown>)['f:x'] = {};
      }, TypeError);
    }
  });
});
