/**
 * The Eviction API deletes the pod through the registry (upstream 1.33 eviction.go:
 * r.store.Delete(ctx, name, rest.ValidateAllObjectFunc, options)), not through the DELETE
 * handler: admission sees the CREATE of pods/eviction, never a DELETE of the pod. A policy or
 * webhook that refuses pod DELETEs refuses `kubectl delete pod`, not an eviction (upstream's users
 * guard evictions with a pods/eviction CREATE rule); the grace-period's final delete is the node's
 * own DELETE, which admission sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { retryUntil as eventually } from '../helpers/retry-until.ts';

const c = clusterPerFile();
const NS = '/api/v1/namespaces/default';
const ADM = '/apis/admissionregistration.k8s.io/v1';

async function runningPod(name: string) {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  assert.equal(r.status, 201, r.text);
  const s = await c.admin.patch(`${NS}/pods/${name}/status`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
}

test('a policy refusing pod DELETEs does not refuse an eviction (admission sees its CREATE of pods/eviction only)', async () => {
  const p = await c.admin.post(`${ADM}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'no-pod-deletes' },
    spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['pods'] }] }, validations: [{ expression: 'false', message: 'pods are not deleted here' }] },
  });
  assert.equal(p.status, 201, p.text);
  const b = await c.admin.post(`${ADM}/validatingadmissionpolicybindings`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'no-pod-deletes' }, spec: { policyName: 'no-pod-deletes', validationActions: ['Deny'] } });
  assert.equal(b.status, 201, b.text);
  await runningPod('kept');
  const refused = await eventually(() => c.admin.delete(`${NS}/pods/kept`), (r) => r.status !== 200);
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.body.message, /pods are not deleted here/);

  await runningPod('evicted');
  const r = await c.admin.post(`${NS}/pods/evicted/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evicted', namespace: 'default' } });
  assert.equal(r.status, 201, r.text);
  // Not bound to a node: deleted at once.
  const after = await c.admin.get(`${NS}/pods/evicted`);
  assert.equal(after.status, 404, after.text);
});
