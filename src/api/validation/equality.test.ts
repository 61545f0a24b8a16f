import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { jsonEqual, quantitiesEqual, semanticEqual, TYPES } from './equality.ts';
import { validatePodUpdate } from './core/pod.ts';
import { validateControllerRevisionUpdate } from './apps/controller-revision.ts';
import { validateStorageClassUpdate } from './storage/storage-class.ts';

test('Semantic.DeepEqual: quantities by value only where the type is resource.Quantity', () => {
  const spec = (args: string[], cpu: string) => ({ containers: [{ name: 'c', image: 'i', args, resources: { limits: { cpu } }, env: [{ name: 'N', value: args[0] }] }] });
  assert.ok(semanticEqual(spec(['1000'], '1000m'), spec(['1000'], '1'), TYPES.podSpec), 'a limit is a Quantity');
  assert.ok(!semanticEqual(spec(['1000'], '1'), spec(['1k'], '1'), TYPES.podSpec), 'args are strings');
  assert.ok(!semanticEqual(spec(['1.0'], '1'), spec(['1'], '1'), TYPES.podSpec));
  assert.ok(!semanticEqual('1000', '1k'), 'untyped: strings exact');
  // Empty and absent stay equal, as Go's zero values and nil/empty slices.
  assert.ok(semanticEqual({ containers: [{ name: 'c', args: [] }] }, { containers: [{ name: 'c' }] }, TYPES.podSpec));
  assert.ok(quantitiesEqual({ limits: { memory: '1Gi' } }, { limits: { memory: '1024Mi' } }));
  assert.ok(!jsonEqual({ a: '' }, {}) && !jsonEqual({ a: '1.0' }, { a: '1' }) && jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
});

test('immutable fields a tenant can reach: numeric-looking strings are not quantities', () => {
  const pod = (arg: string, cpu = '1'): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', resourceVersion: '1' },
    spec: { containers: [{ name: 'c', image: 'busybox', args: [arg], resources: { requests: { cpu }, limits: { cpu } }, terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
  });
  assert.ok(validatePodUpdate(pod('1k'), pod('1000')).some((e) => e.type === 'FieldValueForbidden'), 'a container arg changed 1000 -> 1k');
  assert.deepEqual(validatePodUpdate(pod('x', '1'), pod('x', '1000m')).filter((e) => e.field === 'spec'), [], 'the same cpu by value');
  const cr = (data: unknown) => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r', namespace: 'ns', resourceVersion: '1' }, revision: 1, data });
  const crErrs = validateControllerRevisionUpdate(cr({ spec: { template: { spec: { containers: [{ args: ['1k'] }] } } } }), cr({ spec: { template: { spec: { containers: [{ args: ['1000'] }] } } } }));
  assert.deepEqual(crErrs.map((e) => [e.field, e.detail]), [['data', 'field is immutable']]);
  assert.deepEqual(validateControllerRevisionUpdate(cr({ a: 1 }), cr({ a: 1 })), []);
  const sc = (v: string): StorageClass => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's', resourceVersion: '1' }, provisioner: 'p', parameters: { iops: v } });
  assert.ok(validateStorageClassUpdate(sc('1.0'), sc('1')).some((e) => e.field === 'parameters'), 'parameters: reflect.DeepEqual');
});
