import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from './schema.ts';
import type { FieldSchema, TypeRef } from './types.ts';

const CORE = 'k8s.io.api.core.v1';
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

function field(type: string, name: string): FieldSchema {
  const t = loadSchema().type(type);
  assert.ok(t, `type ${type} missing`);
  const f = t.fields[name];
  assert.ok(f, `${type}.${name} missing`);
  return f;
}

describe('loadSchema', () => {
  test('is memoised', () => {
    assert.equal(loadSchema(), loadSchema());
  });

  const kinds: [string, string, string, string | undefined][] = [
    ['', 'v1', 'Pod', `${CORE}.Pod`],
    ['', 'v1', 'PodList', `${CORE}.PodList`],
    ['', 'v1', 'Namespace', `${CORE}.Namespace`],
    ['apps', 'v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
    ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'k8s.io.api.rbac.v1.ClusterRole'],
    ['networking.k8s.io', 'v1', 'Ingress', 'k8s.io.api.networking.v1.Ingress'],
    ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview'],
    ['authentication.k8s.io', 'v1', 'SelfSubjectReview', 'k8s.io.api.authentication.v1.SelfSubjectReview'],
    ['batch', 'v1', 'CronJob', 'k8s.io.api.batch.v1.CronJob'],
    ['', 'v1', 'PodTemplate', `${CORE}.PodTemplate`],
    // Embedded templates carry ObjectMeta but are not kinds.
    ['', 'v1', 'PodTemplateSpec', undefined],
    ['', 'v1', 'PersistentVolumeClaimTemplate', undefined],
    ['batch', 'v1', 'JobTemplateSpec', undefined],
    // Wrong group for the kind.
    ['apps', 'v1', 'Pod', undefined],
    ['', 'v1', 'Deployment', undefined],
    ['example.com', 'v1', 'Widget', undefined],
  ];
  for (const [group, version, kind, want] of kinds) {
    test(`kind ${group}/${version} ${kind} -> ${want}`, () => {
      assert.equal(loadSchema().typeNameForKind({ group, version, kind }), want);
    });
  }

  test('Pod spec.containers is a list map keyed by name, patch strategy merge', () => {
    assert.deepEqual(field(`${CORE}.PodSpec`, 'containers').type, {
      kind: 'list',
      item: { kind: 'object', type: `${CORE}.Container` },
      list: { listType: 'map', mapKeys: ['name'], patchStrategy: 'merge', patchMergeKey: 'name' },
    } satisfies TypeRef);
  });

  test('Container.ports: SSA keys containerPort+protocol, SMP merge key containerPort', () => {
    const t = field(`${CORE}.Container`, 'ports').type;
    assert.equal(t.kind, 'list');
    assert.deepEqual(t.kind === 'list' && t.list, {
      listType: 'map',
      mapKeys: ['containerPort', 'protocol'],
      patchStrategy: 'merge',
      patchMergeKey: 'containerPort',
    });
  });

  test('Service spec.ports keyed by port+protocol', () => {
    const t = field(`${CORE}.ServiceSpec`, 'ports').type;
    assert.deepEqual(t.kind === 'list' && t.list.mapKeys, ['port', 'protocol']);
  });

  test('ObjectMeta: finalizers set, ownerReferences keyed by uid, labels map of string', () => {
    const fin = field(`${META}.ObjectMeta`, 'finalizers').type;
    assert.deepEqual(fin.kind === 'list' && fin.list, { listType: 'set', patchStrategy: 'merge' });
    const own = field(`${META}.ObjectMeta`, 'ownerReferences').type;
    assert.deepEqual(own.kind === 'list' && own.list.mapKeys, ['uid']);
    assert.deepEqual(field(`${META}.ObjectMeta`, 'labels').type, { kind: 'map', value: { kind: 'scalar', scalar: 'string' } });
    assert.deepEqual(field(`${META}.ObjectMeta`, 'creationTimestamp').type, { kind: 'time' });
  });

  test('well-known types and scalars', () => {
    const cases: [string, string, TypeRef, string][] = [
      ['k8s.io.api.apps.v1.DeploymentSpec', 'replicas', { kind: 'scalar', scalar: 'integer' }, 'int32'],
      ['k8s.io.api.apps.v1.RollingUpdateDeployment', 'maxSurge', { kind: 'int-or-string' }, 'k8s.io.apimachinery.pkg.util.intstr.IntOrString'],
      [`${CORE}.ResourceRequirements`, 'limits', { kind: 'map', value: { kind: 'quantity' } }, 'k8s.io.apimachinery.pkg.api.resource.Quantity'],
      [`${CORE}.Secret`, 'data', { kind: 'map', value: { kind: 'scalar', scalar: 'bytes' } }, 'bytes'],
      [`${META}.ManagedFieldsEntry`, 'fieldsV1', { kind: 'any' }, `${META}.FieldsV1`],
      ['k8s.io.api.apps.v1.ControllerRevision', 'data', { kind: 'any' }, 'k8s.io.apimachinery.pkg.runtime.RawExtension'],
      [`${META}.ObjectMeta`, 'generation', { kind: 'scalar', scalar: 'integer' }, 'int64'],
      [`${CORE}.Container`, 'stdin', { kind: 'scalar', scalar: 'boolean' }, 'bool'],
      ['k8s.io.api.coordination.v1.LeaseSpec', 'renewTime', { kind: 'time' }, `${META}.MicroTime`],
    ];
    for (const [type, name, want, proto] of cases) {
      const f = field(type, name);
      assert.deepEqual(f.type, want, `${type}.${name}`);
      assert.equal(f.protoType, proto, `${type}.${name}`);
    }
  });

  test('list wrappers (ExtraValue, Verbs) are lists in JSON', () => {
    const extra = field('k8s.io.api.authentication.v1.UserInfo', 'extra');
    assert.deepEqual(extra.type, {
      kind: 'map',
      value: { kind: 'list', item: { kind: 'scalar', scalar: 'string' }, list: { listType: 'atomic' } },
    });
    assert.equal(loadSchema().type(extra.protoType!)?.listWrapper, true);
    assert.equal(field(`${META}.APIResource`, 'verbs').type.kind, 'list');
  });

  test('JSON names differing from proto names', () => {
    const webhooks = field('k8s.io.api.admissionregistration.v1.ValidatingWebhookConfiguration', 'webhooks');
    assert.equal(webhooks.number, 2);
    assert.equal(field(`${CORE}.DaemonEndpoint`, 'Port').number, 1);
    assert.equal(field('k8s.io.api.admissionregistration.v1.Validation', 'expression').number, 1);
  });

  test('struct and map markers', () => {
    assert.equal(loadSchema().type(`${CORE}.LocalObjectReference`)?.atomic, true);
    assert.equal(loadSchema().type(`${CORE}.PodSpec`)?.atomic, undefined);
    assert.equal(field(`${CORE}.PersistentVolumeSpec`, 'claimRef').structType, 'granular');
    assert.equal(field(`${CORE}.PodSpec`, 'nodeSelector').mapType, 'atomic');
    assert.equal(field(`${CORE}.Container`, 'image').optional, true);
    assert.equal(field(`${CORE}.Container`, 'name').optional, undefined);
  });
});
