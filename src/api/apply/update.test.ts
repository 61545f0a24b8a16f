import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPLOYMENT, fixtureSchema } from './fixture-schema.ts';
import type { ManagedFieldsEntry } from './managed-fields.ts';
import { updateManagedFields } from './update.ts';

type Obj = Record<string, any>;
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:01:00Z';

function created(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: T0, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
    },
    status: { replicas: 0 },
  };
}

const update = (old: Obj | undefined, next: Obj, manager: string, time = T1, sub: '' | 'status' = '', resetFields?: string[]): ManagedFieldsEntry[] =>
  updateManagedFields(fixtureSchema, DEPLOYMENT, old, next, manager, 'Update', sub, time, resetFields ? { resetFields } : {});

const withMF = (o: Obj, mf: ManagedFieldsEntry[]): Obj => ({ ...o, metadata: { ...o.metadata, managedFields: mf } });
const find = (mf: ManagedFieldsEntry[], manager: string) => mf.find((e) => e.manager === manager);

describe('updateManagedFields', () => {
  test('create: the creator owns what it set, as upstream records a kubectl create', () => {
    const mf = update(undefined, created(), 'kubectl-create', T0, '', ['status']);
    assert.deepEqual(mf, [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            // Upstream also gives rollingUpdate a ".": it is a pointer there, which the schema
            // does not tell; structs are taken to be always present.
            'f:strategy': { 'f:rollingUpdate': { 'f:maxSurge': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} } },
              },
            },
          },
        },
      },
    ]);
  });

  test('a write that changes nothing records nothing for a new manager', () => {
    const old = withMF(created(), update(undefined, created(), 'creator', T0));
    const mf = update(old, structuredClone(old), 'noop');
    assert.equal(find(mf, 'noop'), undefined);
    assert.equal(find(mf, 'creator')?.time, T0);
  });

  test('another manager takes changed and removed fields; emptied entries disappear', () => {
    const mf0 = update(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, 'a', T0);
    const old = withMF({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, mf0);
    const next = structuredClone(old);
    next.spec.replicas = 2;
    const mf = update(old, next, 'b');
    assert.equal(find(mf, 'a'), undefined);
    assert.deepEqual(find(mf, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });

    const removed = structuredClone(withMF(old, mf0));
    delete removed.spec.replicas;
    removed.spec.paused = true;
    const mf2 = update(withMF(old, mf0), removed, 'c');
    assert.equal(find(mf2, 'a'), undefined, 'a lost the removed field');
  });

  test('the same manager accumulates its fields and gets the new time', () => {
    const c = created();
    const old = withMF(c, update(undefined, c, 'm', T0));
    const next = structuredClone(old);
    next.metadata.annotations = { note: 'x' };
    const mf = update(old, next, 'm', T1);
    assert.equal(mf.length, 1);
    assert.equal(mf[0]?.time, T1);
    assert.deepEqual((mf[0]?.fieldsV1 as Obj)['f:metadata']['f:annotations'], { '.': {}, 'f:note': {} });
    assert.ok((mf[0]?.fieldsV1 as Obj)['f:spec'], 'kept the earlier fields');
  });

  test('entries are keyed by manager, operation, subresource and (for Update) version', () => {
    const c = created();
    const old = withMF(c, update(undefined, c, 'm', T0, '', ['status']));
    const next = structuredClone(old);
    next.status.replicas = 1;
    next.spec.replicas = 5; // ignored on /status: spec is reset there
    const mf = update(old, next, 'm', T1, 'status', ['spec']);
    assert.deepEqual(
      mf.map((e) => [e.manager, e.subresource ?? '', Object.keys(e.fieldsV1 ?? {})]),
      [
        ['m', '', ['f:metadata', 'f:spec']],
        ['m', 'status', ['f:status']],
      ],
    );
    const v2 = structuredClone(old);
    v2.apiVersion = 'apps/v2';
    v2.spec.paused = true;
    const mf2 = update(old, v2, 'm', T1);
    assert.deepEqual(mf2.map((e) => e.apiVersion), ['apps/v1', 'apps/v2']);
  });

  test('managedFields sent by the client replace the stored ones, [{}] clears them, garbage is ignored', () => {
    const c = created();
    const stored = update(undefined, c, 'creator', T0);
    const old = withMF(c, stored);
    const edited = update(old, withMF(c, [{ ...stored[0], manager: 'renamed' } as ManagedFieldsEntry]), 'x');
    assert.deepEqual(edited.map((e) => e.manager), ['renamed']);
    assert.deepEqual(update(old, withMF(c, [{} as ManagedFieldsEntry]), 'x'), []);
    const garbage = update(old, withMF(c, [{ manager: 'z', operation: 'Bogus' } as ManagedFieldsEntry]), 'x');
    assert.deepEqual(garbage.map((e) => e.manager), ['creator']);
    const viaStatus = updateManagedFields(fixtureSchema, DEPLOYMENT, old, withMF(c, [{} as ManagedFieldsEntry]), 'x', 'Update', 'status', T1);
    assert.deepEqual(viaStatus.map((e) => e.manager), ['creator'], 'a subresource cannot rewrite managedFields');
  });

  test('an entry the write leaves alone is written back as stored; one it changes, or one a client sent, is encoded anew', () => {
    const c = created();
    const stored = update(undefined, c, 'creator', T0, '', ['status']);
    const old = withMF(c, stored);
    const next = structuredClone(old);
    next.status.replicas = 1;
    const mf = update(old, next, 'kubelet', T1, 'status', ['spec']);
    assert.equal(find(mf, 'creator')?.fieldsV1, stored[0]?.fieldsV1, 'the stored FieldsV1 object, not a new encoding');
    assert.deepEqual(find(mf, 'kubelet')?.fieldsV1, { 'f:status': { 'f:replicas': {} } });
    // A client's PUT that sends back what it read keeps the stored entries too.
    const put = structuredClone(old);
    put.spec.paused = true;
    const mf2 = update(old, put, 'other');
    assert.deepEqual(find(mf2, 'creator')?.fieldsV1, stored[0]?.fieldsV1);
    assert.deepEqual(find(mf2, 'other')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
    // The same manager writing only fields it owns keeps its stored encoding, with the new time.
    const again = structuredClone(withMF(next, mf));
    again.status.replicas = 2;
    const mf4 = update(withMF(next, mf), again, 'kubelet', '2024-05-01T10:02:00Z', 'status', ['spec']);
    assert.equal(find(mf4, 'kubelet')?.fieldsV1, find(mf, 'kubelet')?.fieldsV1);
    assert.equal(find(mf4, 'kubelet')?.time, '2024-05-01T10:02:00Z');
    // Entries a client edited are decoded and encoded again: keys in upstream's order whatever it sent.
    const unordered = [{ ...stored[0], fieldsV1: { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} } } } } as ManagedFieldsEntry];
    const mf3 = update(old, withMF(c, unordered), 'x');
    assert.deepEqual(JSON.stringify(find(mf3, 'creator')?.fieldsV1), JSON.stringify({ 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } }));
  });

  test('more than ten Update managers fold the oldest into ancient-changes', () => {
    let obj: Obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations: {} }, spec: {} };
    for (let i = 0; i < 11; i++) {
      const next = structuredClone(obj);
      next.metadata.annotations[`k${i}`] = 'v';
      const time = `2024-05-01T10:${String(i).padStart(2, '0')}:00Z`;
      obj = withMF(next, update(obj, next, `m${i}`, time));
    }
    const mf = obj.metadata.managedFields as ManagedFieldsEntry[];
    assert.equal(mf.length, 10);
    const ancient = find(mf, 'ancient-changes');
    assert.deepEqual(Object.keys((ancient?.fieldsV1 as Obj)['f:metadata']['f:annotations']).sort(), ['f:k0', 'f:k1']);
    assert.equal(ancient?.time, '2024-05-01T10:01:00Z');
    assert.equal(find(mf, 'm0'), undefined);
    assert.equal(find(mf, 'm1'), undefined);
  });
});
