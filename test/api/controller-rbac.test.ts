/**
 * Controllers act through the API as their own ServiceAccounts (kube-controller-manager
 * --use-service-account-credentials), so the bootstrap system:controller:* roles are what limits
 * them: a controller may do what its role grants and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapPolicy } from '../../src/authz/rbac/bootstrap.ts';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:kube-system'];

test('every controller role and its binding to kube-system/<name> is reconciled at start', async () => {
  const policy = loadBootstrapPolicy();
  const controllerRoles = policy.clusterRoles.filter((r) => r.metadata.name.startsWith('system:controller:'));
  assert.ok(controllerRoles.length >= 30, `${controllerRoles.length} controller roles`);
  const roles = await c.admin.get('/apis/rbac.authorization.k8s.io/v1/clusterroles');
  const bindings = await c.admin.get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings');
  const roleNames = new Set(roles.body.items.map((r: any) => r.metadata.name));
  const bindingByName = new Map(bindings.body.items.map((b: any) => [b.metadata.name, b]));
  for (const role of controllerRoles) {
    const name = role.metadata.name;
    assert.ok(roleNames.has(name), name);
    const b: any = bindingByName.get(name);
    assert.ok(b, `binding ${name}`);
    assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
    assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: name.slice('system:controller:'.length), namespace: 'kube-system' }]);
    assert.equal(b.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.equal(b.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
  }
  for (const n of ['deployment-controller', 'replicaset-controller', 'disruption-controller', 'generic-garbage-collector', 'horizontal-pod-autoscaler', 'service-cidrs-controller', 'legacy-service-account-token-cleaner', 'validatingadmissionpolicy-status-controller']) {
    assert.ok(roleNames.has(`system:controller:${n}`), n);
  }
});

test('RBAC lets the deployment controller create ReplicaSets and refuses it Secrets', async () => {
  const dc = c.as('system:serviceaccount:kube-system:deployment-controller', SA_GROUPS);
  const rs = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-1' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
  const ok = await dc.post('/apis/apps/v1/namespaces/default/replicasets', rs);
  assert.equal(ok.status, 201, ok.text);

  const denied = await dc.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' } });
  assert.equal(denied.status, 403, denied.text);
  assert.deepEqual(denied.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'secrets is forbidden: User "system:serviceaccount:kube-system:deployment-controller" cannot create resource "secrets" in API group "" in the namespace "default"',
    reason: 'Forbidden',
    details: { kind: 'secrets' },
    code: 403,
  });
  // Its role grants replicasets but not their scale subresource.
  const scale = await dc.get('/apis/apps/v1/namespaces/default/replicasets/web-1/scale');
  assert.equal(scale.status, 403, scale.text);
  assert.equal(scale.body.message, 'replicasets.apps "web-1" is forbidden: User "system:serviceaccount:kube-system:deployment-controller" cannot get resource "replicasets/scale" in API group "apps" in the namespace "default"');
});

test('another controller with the same groups gets only its own role', async () => {
  // The ServiceAccount groups alone grant nothing here: the grant is per ServiceAccount.
  const rsc = c.as('system:serviceaccount:kube-system:replicaset-controller', SA_GROUPS);
  const r = await rsc.post('/apis/apps/v1/namespaces/default/replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
  assert.equal(r.status, 403, r.text);
  const pods = await rsc.get('/api/v1/namespaces/default/pods');
  assert.equal(pods.status, 200, pods.text);
});
