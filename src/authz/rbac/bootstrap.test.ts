import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../../authn/types.ts';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { startClusterRoleAggregation } from './aggregation.ts';
import { startRbacAuthorizer } from './authorizer.ts';
import { loadBootstrapPolicy } from './bootstrap.ts';
import { reconcileBootstrap } from './reconcile.ts';
import { pathAttrs, resourceAttrs } from './testing.ts';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_LABEL, RBAC_PREFIX, type BindingObject, type RoleObject } from './types.ts';

const now = () => new Date('2025-01-02T03:04:05.678Z');
const uids = () => {
  let n = 0;
  return () => `uid-${++n}`;
};

describe('loadBootstrapPolicy', () => {
  const p = loadBootstrapPolicy();
  test('has the upstream roles and bindings, labelled and auto-updated', () => {
    const names = p.clusterRoles.map((r) => r.metadata.name);
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:node-bootstrapper', 'system:service-account-issuer-discovery']) {
      assert.ok(names.includes(n), n);
    }
    for (const o of [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings]) {
      assert.equal(o.metadata.labels?.[BOOTSTRAP_LABEL], 'rbac-defaults', o.metadata.name);
      assert.equal(o.metadata.annotations?.[AUTOUPDATE_ANNOTATION], 'true', o.metadata.name);
    }
    // every binding refers to a bootstrap role
    for (const b of p.clusterRoleBindings) assert.ok(names.includes(b.roleRef.name), b.metadata.name);
    for (const b of p.roleBindings) {
      const kinds = b.roleRef.kind === 'Role' ? p.roles.filter((r) => r.metadata.namespace === b.metadata.namespace) : p.clusterRoles;
      assert.ok(kinds.some((r) => r.metadata.name === b.roleRef.name), b.metadata.name);
    }
  });
  test('kube-system has upstream\'s extension-apiserver-authentication-reader Role, bound to the controller manager and the scheduler', () => {
    const role = p.roles.find((r) => r.metadata.name === 'extension-apiserver-authentication-reader');
    assert.equal(role?.metadata.namespace, 'kube-system');
    assert.deepEqual(role?.rules, [{ apiGroups: [''], resourceNames: ['extension-apiserver-authentication'], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
    const binding = p.roleBindings.find((b) => b.metadata.name === 'system::extension-apiserver-authentication-reader');
    assert.equal(binding?.metadata.namespace, 'kube-system');
    assert.deepEqual(binding?.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' });
    assert.deepEqual(binding?.subjects?.map((s) => s.name), ['system:kube-controller-manager', 'system:kube-scheduler']);
  });
  test('the namespaced Roles and RoleBindings are upstream\'s NamespaceRoles / NamespaceRoleBindings, in its order', () => {
    // Transcribed from kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/namespace-roles.yaml
    // and namespace-role-bindings.yaml (v1.33 era: the leader-locking Roles include leasecandidates).
    const lease = ['create', 'get', 'list', 'update', 'watch'];
    const events = { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] };
    const leaderLocking = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: lease }, { apiGroups: ['coordination.k8s.io'], resources: ['leasecandidates'], verbs: lease }];
    const upstreamRoles = [
      ['kube-public', 'system:controller:bootstrap-signer', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }, { apiGroups: [''], resourceNames: ['cluster-info'], resources: ['configmaps'], verbs: ['update'] }, events]],
      ['kube-system', 'extension-apiserver-authentication-reader', [{ apiGroups: [''], resourceNames: ['extension-apiserver-authentication'], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]],
      ['kube-system', 'system::leader-locking-kube-controller-manager', leaderLocking],
      ['kube-system', 'system::leader-locking-kube-scheduler', leaderLocking],
      ['kube-system', 'system:controller:bootstrap-signer', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]],
      ['kube-system', 'system:controller:cloud-provider', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'watch'] }]],
      ['kube-system', 'system:controller:token-cleaner', [{ apiGroups: [''], resources: ['secrets'], verbs: ['delete', 'get', 'list', 'watch'] }, events]],
    ];
    assert.deepEqual(p.roles.map((r) => [r.metadata.namespace, r.metadata.name, r.rules]), upstreamRoles);
    const user = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
    const sa = (name: string) => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });
    const upstreamBindings = [
      ['kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [sa('bootstrap-signer')]],
      ['kube-system', 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')]],
      ['kube-system', 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), sa('kube-controller-manager'), sa('leader-election-controller')]],
      ['kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), sa('kube-scheduler')]],
      ['kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [sa('bootstrap-signer')]],
      ['kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', [sa('cloud-provider')]],
      ['kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', [sa('token-cleaner')]],
    ];
    assert.deepEqual(p.roleBindings.map((b) => [b.metadata.namespace, b.metadata.name, b.roleRef.name, b.subjects]), upstreamBindings);
    for (const b of p.roleBindings) assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: b.roleRef.name }, b.metadata.name);
  });
  test('admin, edit and view aggregate as upstream', () => {
    const byName = new Map(p.clusterRoles.map((r) => [r.metadata.name, r]));
    assert.deepEqual(byName.get('admin')!.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }] });
    assert.equal(byName.get('edit')!.metadata.labels!['rbac.authorization.k8s.io/aggregate-to-admin'], 'true');
    assert.equal(byName.get('view')!.metadata.labels!['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
  });
});

describe('bootstrap policy through reconcile, aggregation and the authorizer', () => {
  test('grants system:masters everything, system:authenticated only discovery, basic-user and public info', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const report = await reconcileBootstrap(store, now, uids());
    const policy = loadBootstrapPolicy();
    assert.equal(report.created.length, policy.clusterRoles.length + policy.clusterRoleBindings.length + policy.roles.length + policy.roleBindings.length);
    assert.ok(report.created.includes('role/kube-system/extension-apiserver-authentication-reader'));
    assert.ok(report.created.includes('rolebinding/kube-system/system::extension-apiserver-authentication-reader'));
    const agg = startClusterRoleAggregation(store);
    const h = startRbacAuthorizer(store);
    try {
      await Promise.all([agg.ready, h.ready]);
      const allow = async (a: Parameters<typeof h.authorizer.authorize>[0]) => (await h.authorizer.authorize(a)).decision === 'allow';
      const master: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
      const someone: UserInfo = { username: 'jane', groups: ['system:authenticated'] };
      const anon: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
      const table: [string, UserInfo, Parameters<typeof allow>[0], boolean][] = [
        ['masters: delete nodes', master, resourceAttrs(master, 'delete', '', 'nodes', { name: 'n1' }), true],
        ['masters: any verb on any path', master, pathAttrs(master, 'post', '/logs/x'), true],
        ['authenticated: discovery', someone, pathAttrs(someone, 'get', '/apis/apps/v1'), true],
        ['authenticated: version', someone, pathAttrs(someone, 'get', '/version'), true],
        ['authenticated: selfsubjectaccessreviews', someone, resourceAttrs(someone, 'create', 'authorization.k8s.io', 'selfsubjectaccessreviews'), true],
        ['authenticated: selfsubjectreviews', someone, resourceAttrs(someone, 'create', 'authentication.k8s.io', 'selfsubjectreviews'), true],
        ['authenticated: no pods', someone, resourceAttrs(someone, 'list', '', 'pods', { namespace: 'default' }), false],
        ['authenticated: no secrets', someone, resourceAttrs(someone, 'get', '', 'secrets', { namespace: 'default', name: 's' }), false],
        ['authenticated: no metrics', someone, pathAttrs(someone, 'get', '/metrics'), false],
        ['authenticated: no post on discovery', someone, pathAttrs(someone, 'post', '/api'), false],
        ['unauthenticated: healthz', anon, pathAttrs(anon, 'get', '/healthz'), true],
        ['unauthenticated: no discovery', anon, pathAttrs(anon, 'get', '/api'), false],
        ['scheduler: bind pods', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'create', '', 'pods', { namespace: 'x', subresource: 'binding' }), true],
        ['scheduler: its lease by name only outside kube-system', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'update', 'coordination.k8s.io', 'leases', { namespace: 'default', name: 'other' }), false],
        ['scheduler: any lease in kube-system (upstream\'s leader-locking Role)', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'update', 'coordination.k8s.io', 'leases', { namespace: 'kube-system', name: 'other' }), true],
        ['controller manager\'s ServiceAccount: leasecandidates in kube-system', { username: 'system:serviceaccount:kube-system:kube-controller-manager', groups: [] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:kube-controller-manager', groups: [] }, 'create', 'coordination.k8s.io', 'leasecandidates', { namespace: 'kube-system', name: 'x' }), true],
        ['bootstrap signer: the cluster-info ConfigMap in kube-public only', { username: 'system:serviceaccount:kube-system:bootstrap-signer', groups: [] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:bootstrap-signer', groups: [] }, 'update', '', 'configmaps', { namespace: 'kube-public', name: 'other' }), false],
        ['bootstrap signer: updates cluster-info in kube-public', { username: 'system:serviceaccount:kube-system:bootstrap-signer', groups: [] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:bootstrap-signer', groups: [] }, 'update', '', 'configmaps', { namespace: 'kube-public', name: 'cluster-info' }), true],
        ['scheduler: the authentication ConfigMap in kube-system', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'get', '', 'configmaps', { namespace: 'kube-system', name: 'extension-apiserver-authentication' }), true],
        ['scheduler: no other ConfigMap in kube-system', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'get', '', 'configmaps', { namespace: 'kube-system', name: 'other' }), false],
        ['scheduler: that ConfigMap name in another namespace', { username: 'system:kube-scheduler', groups: [] }, resourceAttrs({ username: 'system:kube-scheduler', groups: [] }, 'get', '', 'configmaps', { namespace: 'default', name: 'extension-apiserver-authentication' }), false],
        ['token cleaner: delete a Secret in kube-system', { username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, 'delete', '', 'secrets', { namespace: 'kube-system', name: 'bootstrap-token-abcdef' }), true],
        ['token cleaner: no Secrets elsewhere', { username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, 'delete', '', 'secrets', { namespace: 'default', name: 'bootstrap-token-abcdef' }), false],
        ['token cleaner: no Secret writes', { username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, resourceAttrs({ username: 'system:serviceaccount:kube-system:token-cleaner', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, 'update', '', 'secrets', { namespace: 'kube-system', name: 'bootstrap-token-abcdef' }), false],
        ['service accounts: OIDC discovery', { username: 'system:serviceaccount:a:b', groups: ['system:serviceaccounts'] }, pathAttrs({ username: 'system:serviceaccount:a:b', groups: ['system:serviceaccounts'] }, 'get', '/openid/v1/jwks'), true],
      ];
      for (const [name, , a, want] of table) assert.equal(await allow(a), want, name);
      const reason = (await h.authorizer.authorize(resourceAttrs(master, 'get', '', 'pods'))).reason;
      assert.equal(reason, 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"');

      // aggregation converges over a few passes (view → edit → admin): wait for the outcome
      const admin = async () => (await store.get<RoleObject>(`${RBAC_PREFIX}clusterroles/admin`))!.value.rules ?? [];
      const has = (rules: { resources?: string[] }[], res: string) => rules.some((r) => r.resources?.includes(res));
      for (let i = 0; i < 500; i++) {
        const rs = await admin();
        if (has(rs, 'rolebindings') && has(rs, 'pods/exec') && has(rs, 'endpointslices')) break;
        await new Promise((r) => setImmediate(r));
      }
      const rules = await admin();
      assert.ok(rules.some((r) => r.resources?.includes('rolebindings')), 'admin has aggregate-to-admin');
      assert.ok(rules.some((r) => r.resources?.includes('pods/exec')), 'admin has edit\'s rules');
      assert.ok(rules.some((r) => r.resources?.includes('endpointslices')), 'admin has view\'s rules');
    } finally {
      agg.stop();
      h.stop();
      await store.close();
    }
  });

  test('reconcile is idempotent, restores missing rules and subjects, respects autoupdate=false', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await reconcileBootstrap(store, now, uids());
    const again = await reconcileBootstrap(store, now, uids());
    assert.deepEqual(again, { created: [], updated: [], recreated: [], skipped: [] });

    const k = `${RBAC_PREFIX}clusterroles/system:discovery`;
    const cur = (await store.get<RoleObject>(k))!;
    assert.equal(cur.value.metadata.creationTimestamp, '2025-01-02T03:04:05Z');
    await store.update(k, { ...cur.value, rules: [{ verbs: ['get'], nonResourceURLs: ['/api'] }, { verbs: ['list'], nonResourceURLs: ['/x'] }] }, cur.modRevision);
    const bk = `${RBAC_PREFIX}clusterrolebindings/system:basic-user`;
    const b = (await store.get<BindingObject>(bk))!;
    await store.update(bk, { ...b.value, subjects: [{ kind: 'User', name: 'extra' }], metadata: { ...b.value.metadata, labels: { mine: 'x' } } }, b.modRevision);
    const pk = `${RBAC_PREFIX}clusterroles/system:public-info-viewer`;
    const p = (await store.get<RoleObject>(pk))!;
    await store.update(pk, { ...p.value, rules: [], metadata: { ...p.value.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } } }, p.modRevision);
    const ck = `${RBAC_PREFIX}clusterrolebindings/system:monitoring`;
    const c = (await store.get<BindingObject>(ck))!;
    await store.update(ck, { ...c.value, roleRef: { ...c.value.roleRef, name: 'view' } }, c.modRevision);

    const r = await reconcileBootstrap(store, now, uids());
    assert.deepEqual(r, { created: [], updated: ['clusterrole/system:discovery', 'clusterrolebinding/system:basic-user'], recreated: ['clusterrolebinding/system:monitoring'], skipped: ['clusterrole/system:public-info-viewer'] });
    const rules = (await store.get<RoleObject>(k))!.value.rules!;
    assert.deepEqual(rules.slice(0, 2), [{ verbs: ['get'], nonResourceURLs: ['/api'] }, { verbs: ['list'], nonResourceURLs: ['/x'] }], 'extra rules are kept');
    assert.deepEqual(rules.slice(2, 4), [{ nonResourceURLs: ['/api/*'], verbs: ['get'] }, { nonResourceURLs: ['/apis'], verbs: ['get'] }], 'missing ones are appended broken down');
    const nb = (await store.get<BindingObject>(bk))!.value;
    assert.deepEqual(nb.subjects!.map((s) => s.name), ['extra', 'system:authenticated']);
    assert.deepEqual(nb.metadata.labels, { [BOOTSTRAP_LABEL]: 'rbac-defaults', mine: 'x' });
    assert.equal((await store.get<BindingObject>(ck))!.value.roleRef.name, 'system:monitoring');
    assert.deepEqual((await store.get<RoleObject>(pk))!.value.rules, []);
    await store.close();
  });
});
