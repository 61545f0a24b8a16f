import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { NodeRestriction, nodeIdentity } from './node-restriction.ts';
import { podAttrs, testDeps } from '../webhook/test-support.ts';
import type { AdmissionAttributes } from '../types.ts';
import type { PluginDeps } from '../plugin-deps.ts';

const nodeUser = (name: string) => ({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const res = (group: string, resource: string) => ({ resource: { group, version: 'v1', resource }, kind: { group, version: 'v1', kind: '' } });
const nodeObj = (labels: Record<string, string> = {}, taints: unknown[] = []) => ({ metadata: { name: 'a', uid: 'node-uid', labels }, spec: { taints } });
const mirror = (over: Record<string, any> = {}) => ({
  metadata: {
    name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'node-uid', controller: true }],
    ...over.metadata,
  },
  spec: { nodeName: 'a', containers: [{ name: 'c', image: 'i' }], ...over.spec },
});

let deps: PluginDeps;
before(async () => {
  deps = testDeps();
  await deps.store.create('/registry/core/nodes/a', nodeObj());
  await deps.store.create('/registry/core/pods/ns/mine', { metadata: { name: 'mine', uid: 'pod-uid' }, spec: { nodeName: 'a' } });
  await deps.store.create('/registry/core/pods/ns/theirs', { metadata: { name: 'theirs', uid: 'other-uid' }, spec: { nodeName: 'b' } });
});

const as = (over: Partial<AdmissionAttributes>): AdmissionAttributes => podAttrs({ user: nodeUser('a'), ...over });
const pod = (over: Partial<AdmissionAttributes>) => as({ ...res('', 'pods'), ...over });
const node = (over: Partial<AdmissionAttributes>) => as({ ...res('', 'nodes'), namespace: '', name: 'a', ...over });

const cases: [string, AdmissionAttributes, string | undefined, number?][] = [
  ['own node update', node({ operation: 'UPDATE', object: nodeObj({ 'kubernetes.io/hostname': 'a' }), oldObject: nodeObj() }), undefined],
  ['another node', node({ operation: 'UPDATE', name: 'b', object: nodeObj(), oldObject: nodeObj() }), 'node "a" is not allowed to modify node "b"'],
  ['removing own taints', node({ operation: 'UPDATE', object: nodeObj(), oldObject: nodeObj({}, [{ key: 'k', effect: 'NoSchedule' }]) }), 'node "a" is not allowed to modify taints'],
  ['node-restriction label on update', node({ operation: 'UPDATE', object: nodeObj({ 'node-restriction.kubernetes.io/pool': 'x' }), oldObject: nodeObj() }),
    'is not allowed to modify labels: node-restriction.kubernetes.io/pool'],
  ['unknown kubernetes.io labels on create', node({ operation: 'CREATE', object: nodeObj({ 'foo.kubernetes.io/x': '1', 'node-role.kubernetes.io/master': '', 'example.com/ok': '1', 'node.kubernetes.io/ok': '1' }) }),
    'node "a" is not allowed to set the following labels: foo.kubernetes.io/x, node-role.kubernetes.io/master'],
  ['kubelet labels on create', node({ operation: 'CREATE', object: nodeObj({ 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': 'z', 'kubelet.kubernetes.io/x': '1' }) }), undefined],
  ['configSource on create', node({ operation: 'CREATE', object: { ...nodeObj(), spec: { configSource: {} } } }), 'node "a" is not allowed to create pods with a non-nil configSource'],
  ['mirror pod', pod({ name: 'm', object: mirror() }), undefined],
  ['a pod that is not a mirror pod', pod({ name: 'm', object: { ...mirror(), metadata: { name: 'm' } } }),
    'pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods'],
  ['a mirror pod for another node', pod({ name: 'm', object: mirror({ spec: { nodeName: 'b' } }) }), 'node "a" can only create pods with spec.nodeName set to itself'],
  ['a mirror pod owned by another uid', pod({ name: 'm', object: mirror({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'x', controller: true }] } }) }),
    'node a UID mismatch: expected x got node-uid'],
  ['a mirror pod without controller', pod({ name: 'm', object: mirror({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'node-uid' }] } }) }),
    'node "a" can only create pods with a controller owner reference set to itself'],
  ['a mirror pod with a secret', pod({ name: 'm', object: mirror({ spec: { volumes: [{ name: 'v', secret: { secretName: 's' } }] } }) }), 'node "a" can not create pods that reference secrets'],
  ['a mirror pod with a configmap env', pod({ name: 'm', object: mirror({ spec: { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] }] } }) }),
    'node "a" can not create pods that reference configmaps'],
  ['a mirror pod with a service account', pod({ name: 'm', object: mirror({ spec: { serviceAccountName: 'sa' } }) }), 'node "a" can not create pods that reference a service account'],
  ['a mirror pod with a PVC', pod({ name: 'm', object: mirror({ spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }] } }) }),
    'node "a" can not create pods that reference persistentvolumeclaims'],
  ['updating a pod', pod({ operation: 'UPDATE', name: 'mine', object: {}, oldObject: {} }), 'unexpected operation "UPDATE", node "a" can only create and delete mirror pods'],
  ['deleting its own pod', pod({ operation: 'DELETE', name: 'mine', object: undefined }), undefined],
  ['deleting another node\'s pod', pod({ operation: 'DELETE', name: 'theirs', object: undefined }), 'node "a" can only delete pods with spec.nodeName set to itself'],
  ['deleting a missing pod', pod({ operation: 'DELETE', name: 'gone', object: undefined }), 'pods "gone" not found', 404],
  ['status of its own pod', pod({ operation: 'UPDATE', subresource: 'status', name: 'mine', object: { metadata: {}, spec: { nodeName: 'a' } }, oldObject: { metadata: {}, spec: { nodeName: 'a' } } }), undefined],
  ['status of another node\'s pod', pod({ operation: 'UPDATE', subresource: 'status', name: 'theirs', object: { spec: { nodeName: 'b' } }, oldObject: { spec: { nodeName: 'b' } } }),
    'node "a" can only update pod status for pods with spec.nodeName set to itself'],
  ['labels through pod status', pod({ operation: 'UPDATE', subresource: 'status', name: 'mine', object: { metadata: { labels: { x: '1' } }, spec: { nodeName: 'a' } }, oldObject: { metadata: {}, spec: { nodeName: 'a' } } }),
    'node "a" cannot update labels through pod status'],
  ['another pod subresource', pod({ operation: 'CREATE', subresource: 'binding', name: 'mine' }), 'unexpected pod subresource "binding", only \'status\' and \'eviction\' are allowed'],
  ['evicting its own pod', pod({ subresource: 'eviction', name: 'mine', object: { metadata: { name: 'mine' } } }), undefined],
  ['evicting another node\'s pod', pod({ subresource: 'eviction', name: 'theirs', object: { metadata: { name: 'theirs' } } }), 'node a can only evict pods with spec.nodeName set to itself'],
  ['own lease', as({ ...res('coordination.k8s.io', 'leases'), namespace: 'kube-node-lease', name: 'a', operation: 'UPDATE', object: {}, oldObject: {} }), undefined],
  ['another lease', as({ ...res('coordination.k8s.io', 'leases'), namespace: 'kube-node-lease', operation: 'CREATE', name: 'b', object: { metadata: { name: 'b' } } }),
    'can only access node lease with the same name as the requesting node'],
  ['a lease elsewhere', as({ ...res('coordination.k8s.io', 'leases'), namespace: 'ns', name: 'a' }), 'can only access leases in the "kube-node-lease" system namespace'],
  ['another CSINode', as({ ...res('storage.k8s.io', 'csinodes'), namespace: '', operation: 'UPDATE', name: 'b', object: {}, oldObject: {} }),
    'can only access CSINode with the same name as the requesting node'],
  ['a PVC spec', as({ ...res('', 'persistentvolumeclaims'), operation: 'UPDATE', name: 'c', object: {}, oldObject: {} }), 'may only update PVC status'],
  ['PVC capacity', as({ ...res('', 'persistentvolumeclaims'), subresource: 'status', operation: 'UPDATE', name: 'c',
    object: { metadata: { resourceVersion: '2' }, status: { capacity: { storage: '2Gi' } } }, oldObject: { metadata: { resourceVersion: '1' }, status: {} } }), undefined],
  ['PVC labels', as({ ...res('', 'persistentvolumeclaims'), subresource: 'status', operation: 'UPDATE', name: 'c',
    object: { metadata: { labels: { a: 'b' } } }, oldObject: { metadata: {} } }), 'node "a" is not allowed to update fields other than status.capacity and status.conditions: changed metadata.labels'],
  ['token for its pod', as({ ...res('', 'serviceaccounts'), subresource: 'token', name: 'sa', object: { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'pod-uid' } } } }), undefined],
  ['token for another node\'s pod', as({ ...res('', 'serviceaccounts'), subresource: 'token', name: 'sa', object: { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'theirs', uid: 'other-uid' } } } }),
    'node requested token bound to a pod scheduled on a different node'],
  ['an unbound token', as({ ...res('', 'serviceaccounts'), subresource: 'token', name: 'sa', object: { spec: {} } }), 'node requested token not bound to a pod'],
  ['secrets are not this plugin\'s business', as({ ...res('', 'secrets'), name: 's' }), undefined],
];

for (const [what, attrs, want, code] of cases) {
  test(what, async () => {
    const plugin = new NodeRestriction(deps);
    assert.equal(plugin.handles(attrs), true);
    const run = new AdmissionChain([], [plugin]).validate(attrs, emptyOutcome());
    if (!want) return run;
    await assert.rejects(run, (err: any) => {
      assert.equal(err.code, code ?? 403);
      assert.ok(err.message.endsWith(want), `${err.message}\n  does not end with\n${want}`);
      return true;
    });
  });
}

test('only node users are restricted', () => {
  const plugin = new NodeRestriction(deps);
  assert.equal(plugin.handles(podAttrs()), false);
  assert.equal(plugin.handles(podAttrs({ user: { username: 'system:node:a', groups: [] } })), false);
  assert.equal(nodeIdentity(nodeUser('x')), 'x');
});
