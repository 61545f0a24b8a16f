/**
 * The write path's cheap forms of managedFields tracking must record exactly what the generic
 * Update machinery records: a write with no managers to take fields from (every create) gathers
 * its changes into one set and strips it in place; FieldsV1 keys that are all field names are
 * sorted without parsing; the comparison walks a stack of serialised path elements.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { compareObjects } from './compare.ts';
import { difference, emptySet, insertPath, recursiveDifference, setFromPaths, subtractInPlace, toFieldsV1, union, type FieldSet } from './field-set.ts';
import { decodeManagedFields, type ManagedFieldsEntry } from './managed-fields.ts';
import { viewWithoutManagedFields } from './object-meta.ts';
import { filterComparison, resetFieldSet, stripMeta, withoutReset } from './ownership.ts';
import { fieldPE, keyPE, type PathElement } from './path-element.ts';
import { rootRef, TypedValueError } from './shape.ts';
import { updateManagedFields } from './update.ts';

type Obj = Record<string, any>;
const schema = loadSchema();
const T0 = '2024-05-01T10:00:00Z';

/** The generic Update of a create, spelled out step by step from the set operations. */
function genericCreateFields(typeName: string | undefined, obj: Obj, resetFields: string[]): ManagedFieldsEntry['fieldsV1'] | undefined {
  const reset = resetFieldSet(resetFields);
  let c;
  try {
    c = filterComparison(compareObjects(schema, rootRef(schema, typeName), {}, viewWithoutManagedFields(obj)), reset);
  } catch (e) {
    if (e instanceof TypedValueError) return undefined;
    throw e;
  }
  const taken = stripMeta(withoutReset(union(c.modified, c.added), reset));
  const v1 = toFieldsV1(taken);
  return Object.keys(v1).length === 0 ? undefined : v1;
}

const pod = (spec: Obj, extra: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u', creationTimestamp: T0 }, spec, ...extra });

const CASES: Array<{ name: string; gvk: { group: string; version: string; kind: string } | undefined; obj: Obj; reset?: string[] }> = [
  {
    name: 'ConfigMap with labels, annotations and data',
    gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
    obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', labels: { a: '1' }, annotations: { 'x/y': 'z' }, generation: 1 }, data: { k: 'v', 'a.b': 'c' }, binaryData: {} },
  },
  {
    name: 'Deployment: keyed ports (protocol defaulted), env, status reset',
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
    reset: ['status'],
    obj: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns', labels: { app: 'd' }, managedFields: 'undecodable' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'd' } },
        strategy: {},
        template: {
          metadata: { labels: { app: 'd' }, creationTimestamp: null },
          spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 443, protocol: 'TCP' }], env: [{ name: 'A', value: 'b' }], resources: {} }] },
        },
      },
      status: { replicas: 0 },
    },
  },
  {
    name: 'Pod: empty and null containers, a pointer struct set to {}, a scalar where a struct belongs',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    reset: ['status'],
    obj: pod({ containers: [], initContainers: null, securityContext: {}, dnsConfig: 'odd', volumes: [{ name: 'v', emptyDir: {} }], tolerations: [] }, { status: { phase: 'Pending' } }),
  },
  {
    name: 'Pod: duplicate list keys (first wins) and undefined-valued keys',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    obj: pod({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }], nodeName: undefined, hostname: 'h' }),
  },
  {
    name: 'Pod: a list item without its key field makes the bookkeeping give up',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    obj: pod({ containers: [{ image: 'x' }] }),
  },
  {
    name: 'Deployment on /status: spec reset',
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
    reset: ['spec'],
    obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] } },
  },
  {
    name: 'a dotted reset path',
    gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
    reset: ['metadata.labels', 'data'],
    obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' }, annotations: { b: '2' } }, data: { k: 'v' } },
  },
  {
    name: 'no schema (a custom resource without a structural schema): objects are maps, lists atomic',
    gvk: undefined,
    reset: ['status'],
    obj: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' }, spec: { size: 3, parts: [{ a: 1 }], nested: { deep: { x: null } }, empty: {} }, status: { ok: true } },
  },
  {
    name: 'only server-owned metadata: nothing to record',
    gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
    obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', uid: 'u', resourceVersion: '3' } },
  },
];

describe('managedFields of a create: the one-set path records what the generic Update records', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const typeName = c.gvk ? schema.typeNameForKind(c.gvk) : undefined;
      if (c.gvk) assert.equal(typeof typeName, 'string');
      const expected = genericCreateFields(typeName, c.obj, c.reset ?? []);
      // Sent managedFields that do not decode leave no managers either: the same path.
      const mf = updateManagedFields(schema, typeName, undefined, structuredClone(c.obj), 'creator', 'Update', '', T0, { resetFields: c.reset ?? [], apiVersion: 'v1' });
      if (expected === undefined) assert.deepEqual(mf, []);
      else {
        assert.equal(mf.length, 1);
        assert.deepEqual(mf[0]?.fieldsV1, expected);
        // Same key order too, as clients see the JSON.
        assert.equal(JSON.stringify(mf[0]?.fieldsV1), JSON.stringify(expected));
      }
    });
  }

  test('the reference itself is not vacuous: the ConfigMap records labels, annotations and data', () => {
    const mf = updateManagedFields(schema, schema.typeNameForKind({ group: '', version: 'v1', kind: 'ConfigMap' }), undefined, structuredClone(CASES[0]!.obj), 'm', 'Update', '', T0, { apiVersion: 'v1' });
    assert.deepEqual(mf[0]?.fieldsV1, {
      'f:binaryData': {},
      'f:data': { '.': {}, 'f:a.b': {}, 'f:k': {} },
      'f:metadata': { 'f:annotations': { '.': {}, 'f:x/y': {} }, 'f:labels': { '.': {}, 'f:a': {} } },
    });
  });
});

const f = (...names: string[]): PathElement[] => names.map(fieldPE);

describe('subtractInPlace', () => {
  const build = (): FieldSet =>
    setFromPaths([f('a'), f('a', 'b'), f('a', 'b', 'c'), f('metadata', 'name'), f('metadata', 'labels', 'x'), f('spec', 'x'), [fieldPE('l'), keyPE([['k', 1]])]]);
  const others = [
    setFromPaths([f('a'), f('metadata', 'name'), f('spec')]),
    setFromPaths([f('a', 'b'), f('metadata', 'labels', 'x'), f('zzz')]),
    setFromPaths([[fieldPE('l'), keyPE([['k', 1]])], f('spec', 'x')]),
    emptySet(),
  ];
  for (const [i, b] of others.entries()) {
    test(`equals difference and recursiveDifference on a freshly built set (${i})`, () => {
      const flat = build();
      subtractInPlace(flat, b, false);
      assert.deepEqual(toFieldsV1(flat), toFieldsV1(difference(build(), b)));
      assert.deepEqual(flat, difference(build(), b));
      const deep = build();
      subtractInPlace(deep, b, true);
      assert.deepEqual(deep, recursiveDifference(build(), b));
    });
  }
});

describe('toFieldsV1 order', () => {
  test('field names sort bytewise; mixed element kinds still sort fields < keys < values < indexes', () => {
    const s = emptySet();
    for (const n of ['b', 'B', 'a.b', 'a', '~', '_']) insertPath(s, f(n));
    assert.deepEqual(Object.keys(toFieldsV1(s)), ['f:B', 'f:_', 'f:a', 'f:a.b', 'f:b', 'f:~']);
    const m = emptySet();
    insertPath(m, [{ kind: 'index', index: 2 }]);
    insertPath(m, [{ kind: 'value', value: 'x' }]);
    insertPath(m, [keyPE([['name', 'a']])]);
    insertPath(m, f('z'));
    assert.deepEqual(Object.keys(toFieldsV1(m)), ['f:z', 'k:{"name":"a"}', 'v:"x"', 'i:2']);
  });
});

describe('compareObjects on shared subtrees', () => {
  test('a subtree both sides share (the stored spec of a status write) is not walked, and changes beside it are found', () => {
    const spec = { containers: [{ name: 'web', image: 'nginx' }] };
    // Reading the shared spec's fields would throw: the comparison must not look inside it.
    const untouchable = new Proxy(spec, {
      get: () => {
        throw new Error('walked the shared spec');
      },
    });
    const old = pod(untouchable, { status: { phase: 'Pending' } });
    const next = { ...old, status: { phase: 'Running', podIP: '10.0.0.1' } };
    const c = compareObjects(schema, rootRef(schema, schema.typeNameForKind({ group: '', version: 'v1', kind: 'Pod' })), old, next);
    assert.deepEqual(toFieldsV1(c.modified), { 'f:status': { 'f:phase': {} } });
    assert.deepEqual(toFieldsV1(c.added), { 'f:status': { 'f:podIP': {} } });
    assert.deepEqual(toFieldsV1(c.removed), {});
  });
});

describe('stored managedFields decoded once per text', () => {
  test('the same stored FieldsV1 text decodes to one shared set; a client-sent entry or another text does not', () => {
    const entry = (labels: string[]) => [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(labels.map((l) => [`f:${l}`, {}])) } } }];
    const a = [...decodeManagedFields(structuredClone(entry(['x', 'y'])), { stored: true }).values()][0]!;
    const b = [...decodeManagedFields(structuredClone(entry(['x', 'y'])), { stored: true }).values()][0]!;
    const c = [...decodeManagedFields(structuredClone(entry(['x', 'z'])), { stored: true }).values()][0]!;
    const sent = [...decodeManagedFields(structuredClone(entry(['x', 'y']))).values()][0]!;
    assert.equal(a.set, b.set, 'same text, same set');
    assert.notEqual(c.set, b.set);
    assert.notEqual(sent.set, b.set, 'a request\'s entries are decoded on their own');
    assert.deepEqual(toFieldsV1(b.set), entry(['x', 'y'])[0]!.fieldsV1);
    assert.deepEqual(toFieldsV1(c.set), entry(['x', 'z'])[0]!.fieldsV1);
  });

  test('updates through a shared decoded set leave it as it was', () => {
    const stored: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' } }, data: { k: 'v' } };
    stored.metadata.managedFields = updateManagedFields(schema, 'io.k8s.api.core.v1.ConfigMap', undefined, stored, 'creator', 'Update', '', T0);
    const before = JSON.stringify(stored.metadata.managedFields);
    for (let i = 0; i < 3; i++) {
      // Another manager takes the label and data each time, from a fresh copy of the same stored object.
      const old = JSON.parse(JSON.stringify(stored)) as Obj;
      const next = { ...old, metadata: { ...old.metadata, labels: { a: String(i + 2) } }, data: { k: `v${i}` } };
      const out = updateManagedFields(schema, 'io.k8s.api.core.v1.ConfigMap', old, next, 'other', 'Update', '', T0);
      assert.deepEqual(out.map((e) => e.manager), ['creator', 'other']);
      assert.deepEqual(out[0]!.fieldsV1, { 'f:data': {}, 'f:metadata': { 'f:labels': {} } });
      assert.deepEqual(out[1]!.fieldsV1, { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:labels': { 'f:a': {} } } });
    }
    assert.equal(JSON.stringify(stored.metadata.managedFields), before);
  });
});
