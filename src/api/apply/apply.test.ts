import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { serverSideApply, type ApplyResult } from './apply.ts';
import { DEPLOYMENT, fixtureSchema } from './fixture-schema.ts';
import type { ManagedFieldsEntry } from './managed-fields.ts';
import { updateManagedFields } from './update.ts';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:01:00Z';
const T2 = '2024-05-01T10:02:00Z';

type Obj = Record<string, any>;

function deployment(spec: Obj, metadata: Obj = {}): Obj {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', ...metadata }, spec };
}

type Applied = Omit<ApplyResult, 'object'> & { object: Obj };

function apply(live: Obj | undefined, cfg: Obj, manager: string, force = false, time = T1): Applied {
  return serverSideApply(fixtureSchema, DEPLOYMENT, live, cfg, manager, force, time) as Applied;
}

/** What the store would add on create, so later steps see a realistic live object. */
function stored(r: Applied, rv: string): Obj {
  const o = structuredClone(r.object);
  o.metadata.resourceVersion = rv;
  o.metadata.uid = 'u-1';
  return o;
}

function entry(r: { managedFields: ManagedFieldsEntry[] } | ManagedFieldsEntry[], manager: string): ManagedFieldsEntry | undefined {
  const list = Array.isArray(r) ? r : r.managedFields;
  return list.find((e) => e.manager === manager);
}

function conflictOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected a conflict');
}

const container = (extra: Obj = {}): Obj => ({ name: 'nginx', image: 'nginx:1', ...extra });
const base = (replicas: number, extra: Obj = {}): Obj =>
  deployment({ replicas, template: { spec: { containers: [container()] } }, ...extra }, { labels: { app: 'web' } });

describe('serverSideApply', () => {
  test('first apply creates the object and records the applier', () => {
    const r = apply(undefined, base(2), 'kubectl', false, T0);
    assert.equal(r.changed, true);
    assert.equal(r.object.spec.replicas, 2);
    assert.deepEqual(r.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
          },
        },
      },
    ]);
    assert.deepEqual(r.object.metadata.managedFields, r.managedFields);
  });

  test('applying the same configuration again changes nothing', () => {
    const live = stored(apply(undefined, base(2), 'kubectl', false, T0), '5');
    const r = apply(live, base(2), 'kubectl', false, T1);
    assert.equal(r.changed, false);
    assert.deepEqual(r.object, live);
    assert.equal(entry(r, 'kubectl')?.time, T0);
  });

  test('another applier changing an owned field conflicts, with upstream wording', () => {
    const live = stored(apply(undefined, base(2), 'a'), '5');
    const err = conflictOf(() => apply(live, deployment({ replicas: 3 }), 'b'));
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "a": .spec.replicas');
    assert.deepEqual(err.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }] });
  });

  test('several conflicts are grouped by manager, and Update managers name their version', () => {
    const created = updateManagedFields(fixtureSchema, DEPLOYMENT, undefined, base(2), 'kubectl-client-side-apply', 'Update', '', T0);
    let live: Obj = { ...base(2), metadata: { ...base(2).metadata, managedFields: created } };
    live = stored(apply(live, deployment({ template: { spec: { containers: [{ name: 'nginx', args: ['x'] }] } } }), 'ops'), '6');
    const cfg = deployment(
      { replicas: 5, template: { spec: { containers: [container({ image: 'nginx:2', args: ['y'] })] } } },
      { labels: { app: 'other' } },
    );
    const err = conflictOf(() => apply(live, cfg, 'b'));
    assert.equal(
      err.message,
      'Apply failed with 4 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        '- .metadata.labels.app\n' +
        '- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="nginx"].image\n' +
        'conflicts with "ops":\n' +
        '- .spec.template.spec.containers[name="nginx"].args',
    );
    assert.deepEqual(
      err.details?.causes?.map((c) => [c.message, c.field]),
      [
        ['conflict with "kubectl-client-side-apply" using apps/v1', '.metadata.labels.app'],
        ['conflict with "kubectl-client-side-apply" using apps/v1', '.spec.replicas'],
        ['conflict with "kubectl-client-side-apply" using apps/v1', '.spec.template.spec.containers[name="nginx"].image'],
        ['conflict with "ops"', '.spec.template.spec.containers[name="nginx"].args'],
      ],
    );
  });

  test('force moves the field to the new applier', () => {
    const live = stored(apply(undefined, base(2), 'a'), '5');
    const r = apply(live, deployment({ replicas: 3 }), 'b', true, T2);
    assert.equal(r.object.spec.replicas, 3);
    assert.deepEqual(entry(r, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(entry(r, 'b')?.time, T2);
    const a = entry(r, 'a')?.fieldsV1 as Obj;
    assert.equal('f:replicas' in a['f:spec'], false);
    assert.ok(a['f:spec']['f:template'], 'a keeps the rest');
  });

  test('a field the applier stops applying is removed', () => {
    const live = stored(apply(undefined, base(2, { strategy: { type: 'Recreate' } }), 'a'), '5');
    assert.equal(live.spec.strategy.type, 'Recreate');
    const r = apply(live, base(2), 'a');
    assert.equal(r.changed, true);
    assert.equal(r.object.spec.strategy, undefined);
    assert.equal('f:strategy' in (entry(r, 'a')?.fieldsV1 as Obj)['f:spec'], false);
  });

  test('a dropped list item is removed, the others stay in order', () => {
    const two = deployment({ template: { spec: { containers: [container(), { name: 'side', image: 's:1' }] } } });
    const live = stored(apply(undefined, two, 'a'), '5');
    const r = apply(live, deployment({ template: { spec: { containers: [{ name: 'side', image: 's:1' }] } } }), 'a');
    assert.deepEqual(r.object.spec.template.spec.containers, [{ name: 'side', image: 's:1' }]);
  });

  test('a field shared with the same value does not conflict and stays when one applier lets go', () => {
    const live = stored(apply(undefined, base(2), 'a'), '5');
    const shared = apply(live, deployment({ replicas: 2 }), 'b');
    assert.equal(shared.changed, false);
    assert.deepEqual(entry(shared, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.ok((entry(shared, 'a')?.fieldsV1 as Obj)['f:spec']['f:replicas'], 'a still owns replicas');
    // b's entry is new and nothing changed: upstream gives it no time.
    assert.equal(entry(shared, 'b')?.time, undefined);

    const live2 = stored(shared, '6');
    const released = apply(live2, deployment({ template: { spec: { containers: [container()] } } }, { labels: { app: 'web' } }), 'a');
    assert.equal(released.object.spec.replicas, 2, 'b still owns it, so it is not removed');
    assert.equal('f:replicas' in (entry(released, 'a')?.fieldsV1 as Obj)['f:spec'], false);
  });

  test('an Update after an Apply takes the changed field away from the applier', () => {
    const live = stored(apply(undefined, base(2), 'kubectl', false, T0), '5');
    const edited = structuredClone(live);
    edited.spec.replicas = 7;
    const mf = updateManagedFields(fixtureSchema, DEPLOYMENT, live, edited, 'kube-controller-manager', 'Update', '', T2);
    assert.deepEqual(entry(mf, 'kube-controller-manager'), {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T2,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    assert.equal('f:replicas' in (entry(mf, 'kubectl')?.fieldsV1 as Obj)['f:spec'], false);
    // The applier applying its old value again now conflicts with the updater.
    const next = { ...edited, metadata: { ...edited.metadata, managedFields: mf } };
    const err = conflictOf(() => apply(next, base(2), 'kubectl'));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kube-controller-manager" using apps/v1: .spec.replicas');
  });

  test('map lists merge by key: a second applier adds an item and a field of an item', () => {
    const live = stored(apply(undefined, deployment({ template: { spec: { containers: [container({ ports: [{ containerPort: 80 }] })] } } }), 'a'), '5');
    const cfg = deployment({
      template: {
        spec: {
          containers: [
            { name: 'nginx', env: [{ name: 'MODE', value: 'x' }], ports: [{ containerPort: 443 }] },
            { name: 'sidecar', image: 'envoy:1' },
          ],
        },
      },
    });
    const r = apply(live, cfg, 'b');
    assert.deepEqual(r.object.spec.template.spec.containers, [
      {
        name: 'nginx',
        image: 'nginx:1',
        ports: [{ containerPort: 80 }, { containerPort: 443 }],
        env: [{ name: 'MODE', value: 'x' }],
      },
      { name: 'sidecar', image: 'envoy:1' },
    ]);
    const b = entry(r, 'b')?.fieldsV1 as Obj;
    assert.deepEqual(Object.keys(b['f:spec']['f:template']['f:spec']['f:containers']), ['k:{"name":"nginx"}', 'k:{"name":"sidecar"}']);
  });

  test('sets union, atomic lists are replaced', () => {
    const live = stored(apply(undefined, deployment({ template: { spec: { containers: [container({ args: ['a', 'b'] })] } } }, { finalizers: ['x'] }), 'a'), '5');
    const r = apply(live, deployment({}, { finalizers: ['y'] }), 'b');
    assert.deepEqual(r.object.metadata.finalizers, ['x', 'y']);
    const r2 = apply(live, deployment({ template: { spec: { containers: [{ name: 'nginx', args: ['c'] }] } } }), 'a');
    assert.deepEqual(r2.object.spec.template.spec.containers[0].args, ['c']);
  });

  test('an object without managedFields is first owned by before-first-apply', () => {
    const legacy = { ...base(2), metadata: { ...base(2).metadata, resourceVersion: '3' } };
    const err = conflictOf(() => apply(legacy, deployment({ replicas: 4 }), 'new'));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });

  test('status is not tracked when it is a reset field', () => {
    const cfg = { ...base(2), status: { replicas: 9 } };
    const r = serverSideApply(fixtureSchema, DEPLOYMENT, undefined, cfg, 'a', false, T0, { resetFields: ['status'] });
    assert.equal('f:status' in (entry(r, 'a')?.fieldsV1 as Obj), false);
  });

  test('the applied configuration may not carry managedFields', () => {
    const cfg = { ...base(2), metadata: { ...base(2).metadata, managedFields: [] } };
    const err = conflictOf(() => apply(undefined, cfg, 'a'));
    assert.equal(err.code, 400);
    assert.equal(err.message, 'metadata.managedFields must be nil');
  });

  test('an invalid configuration is refused with the typed-object message', () => {
    const err = conflictOf(() => apply(undefined, deployment({ template: { spec: { containers: [{ image: 'x' }] } } }), 'a'));
    assert.equal(err.code, 500);
    assert.match(err.message, /^failed to create typed patch object \(default\/web; apps\/v1, Kind=Deployment\): \.spec\.template\.spec\.containers: element 0: associative list with keys has an element that omits key field "name"/);
  });
});
