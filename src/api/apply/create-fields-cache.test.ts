import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { createManagedFields, shapeKey } from './create-fields-cache.ts';
import { updateManagedFields } from './update.ts';

type Obj = Record<string, any>;
const schema = loadSchema();
const podType = schema.typeNameForKind({ group: '', version: 'v1', kind: 'Pod' })!;
const opts = { resetFields: ['status'], apiVersion: 'v1' };
const T = '2026-01-02T03:04:05Z';

/** A pod as the scale bench's template makes them, after defaulting: name, labels and uid vary. */
function pod(i: number, extra: (p: Obj) => void = () => {}): Obj {
  const p: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: 'ns', uid: `uid-${i}`, creationTimestamp: T, labels: { app: 'scale', group: `g${i % 7}` } },
    spec: {
      containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '100m' } }, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
  extra(p);
  return p;
}

const slow = (o: Obj, manager = 'kubectl') => updateManagedFields(schema, podType, undefined, structuredClone(o), manager, 'Update', '', T, opts);
const fast = (o: Obj, manager = 'kubectl') => createManagedFields(schema, podType, structuredClone(o), manager, T, opts);

test('a create through the shape cache records byte for byte what the full computation does, first and cached', () => {
  const variants: Array<(p: Obj) => void> = [
    () => {},
    (p) => (p.metadata.annotations = { a: 'x' }),
    (p) => p.spec.containers.push({ name: 'd', image: 'busybox', args: ['sleep', '1'] }),
    (p) => (p.spec.containers[0].name = 'other'),
    (p) => (p.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 81, protocol: 'UDP' }]),
    (p) => (p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: `owner-${p.metadata.name}`, controller: true }]),
    (p) => (p.metadata.finalizers = ['a/b', 'c/d']),
    (p) => (p.spec.nodeSelector = { zone: 'z1' }),
    (p) => (p.spec.nodeSelector = null),
    (p) => delete p.spec.tolerations,
    (p) => (p.spec.terminationGracePeriodSeconds = 'thirty'),
  ];
  for (const [v, variant] of variants.entries()) {
    for (let i = 0; i < 3; i++) {
      const o = pod(i, variant);
      for (const manager of ['kubectl', 'kube-controller-manager', '']) {
        assert.equal(JSON.stringify(fast(o, manager)), JSON.stringify(slow(o, manager)), `variant ${v}, pod ${i}, manager ${JSON.stringify(manager)}`);
      }
    }
  }
});

test('the cached FieldsV1 is shared and frozen; entries are new each time', () => {
  const a = fast(pod(1));
  const b = fast(pod(2));
  assert.notEqual(a, b);
  assert.notEqual(a[0], b[0]);
  assert.equal(a[0]!.fieldsV1, b[0]!.fieldsV1);
  assert.ok(Object.isFrozen(a[0]!.fieldsV1));
  assert.throws(() => ((a[0]!.fieldsV1 as Obj)['f:spec'] = {}));
});

test('managedFields the client sent are decoded as before, not taken from the cache', () => {
  const sent = [{ manager: 'someone', operation: 'Update', apiVersion: 'v1', time: T, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } }];
  const o = pod(3, (p) => (p.metadata.managedFields = sent));
  assert.deepEqual(fast(o), slow(o));
  // (A create adds every field, so the sent manager loses them all; what matters is the same outcome.)
  assert.deepEqual(fast(o, 'x').map((e) => e.manager), ['x']);
});

test('shapeKey: map members by type, lists whole; what is not plain JSON has no key', () => {
  assert.equal(shapeKey({ a: 'x', b: 1, c: true, d: null, e: { f: 'y' } }), shapeKey({ a: 'other', b: 2, c: false, d: null, e: { f: 'z' } }));
  assert.notEqual(shapeKey({ a: 'x' }), shapeKey({ a: 1 }));
  assert.notEqual(shapeKey({ a: 'x' }), shapeKey({ b: 'x' }));
  assert.notEqual(shapeKey({ a: null }), shapeKey({ a: 'x' }));
  assert.notEqual(shapeKey({ a: {} }), shapeKey({ a: 'x' }));
  assert.notEqual(shapeKey({ l: [{ name: 'a' }] }), shapeKey({ l: [{ name: 'b' }] }));
  // A key that would read as the separator cannot join two members into one.
  assert.notEqual(shapeKey({ 'a":s,"b': 'x' }), shapeKey({ a: 'x', b: 'y' }));
  assert.equal(shapeKey({ a: undefined }), undefined);
  assert.equal(shapeKey({ a: new Date(0) }), undefined);
  assert.equal(shapeKey({ big: [('x'.repeat(20_000))] }), undefined);
});

test('creates that alternate shapes, or differ only inside a list, a scalar type or key order, each record what the full computation does', () => {
  const shapes: Array<(p: Obj) => void> = [
    () => {},
    (p) => (p.spec.containers[0].name = 'other'),
    (p) => (p.spec.containers[0].resources.requests.cpu = 1),
    (p) => (p.spec.tolerations[0].tolerationSeconds = 301),
    (p) => (p.metadata = { labels: p.metadata.labels, name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid, creationTimestamp: p.metadata.creationTimestamp }),
    (p) => (p.spec.restartPolicy = null),
    (p) => (p.spec.containers = [...p.spec.containers, ...p.spec.containers.map((c: Obj) => ({ ...c, name: 'side' }))]),
    (p) => (p.status = {}),
    (p) => (p.metadata.labels = { group: 'g', app: 'a' }),
    () => {},
    // One key renamed, all else as the shape before.
    (p) => (p.metadata.labels = { app: 'a', zone: 'z' }),
    () => {},
    // A value the schema refuses records nothing: the same keys with another scalar type are another shape.
    (p) => (p.spec.terminationGracePeriodSeconds = 'thirty'),
  ];
  for (let round = 0; round < 3; round++) {
    for (const [v, shape] of shapes.entries()) {
      for (const i of [round, round + 10]) {
        const o = pod(i, shape);
        assert.equal(JSON.stringify(fast(o)), JSON.stringify(slow(o)), `round ${round}, shape ${v}, pod ${i}`);
        // Another type (or other reset fields) never takes this one's.
        const other = { ...structuredClone(o), kind: 'ConfigMap' };
        const cmType = schema.typeNameForKind({ group: '', version: 'v1', kind: 'ConfigMap' })!;
        assert.equal(
          JSON.stringify(createManagedFields(schema, cmType, structuredClone(other), 'm', T, { resetFields: [], apiVersion: 'v1' })),
          JSON.stringify(updateManagedFields(schema, cmType, undefined, structuredClone(other), 'm', 'Update', '', T, { resetFields: [], apiVersion: 'v1' })),
        );
      }
    }
  }
  // A member that is not JSON data (undefined) or a list that JSON would change still goes the long way.
  const odd = pod(1, (p) => (p.spec.containers[0].args = ['a', undefined]));
  assert.equal(JSON.stringify(fast(odd)), JSON.stringify(slow(odd)));
  assert.equal(JSON.stringify(fast(pod(2))), JSON.stringify(slow(pod(2))));
});
