import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binding, clusterRoleRef, group, role, roleRef, serviceAccount, user } from './rbac/testing.ts';
import { ALWAYS_ALLOWED_GROUP, parseResourceArg, whoCan, type RbacObjects, type WhoCanQuery } from './who-can.ts';

const objects: RbacObjects = {
  clusterRoles: [
    role('cluster-admin', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }]),
    role('pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]),
    role('log-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]),
    role('scaler', [{ verbs: ['update', 'patch'], apiGroups: ['apps'], resources: ['*/scale'] }]),
    role('health', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez/*'] }]),
  ],
  roles: [
    role('one-config', [{ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'] }], 'team'),
    role('deployer', [{ verbs: ['*'], apiGroups: ['apps'], resources: ['deployments'] }], 'team'),
    role('deployer', [{ verbs: ['*'], apiGroups: ['apps'], resources: ['deployments'] }], 'other'),
  ],
  clusterRoleBindings: [
    binding('cluster-admin', clusterRoleRef('cluster-admin'), [group('system:masters')]),
    binding('readers', clusterRoleRef('pod-reader'), [user('auditor'), serviceAccount('nobody'), serviceAccount('monitor', 'ops'), { kind: 'Robot', name: 'r2' }]),
    binding('health', clusterRoleRef('health'), [group('system:unauthenticated')]),
    binding('dangling', clusterRoleRef('missing'), [user('ghost')]),
  ],
  roleBindings: [
    binding('team-logs', clusterRoleRef('log-reader'), [user('dev'), serviceAccount('ci')], 'team'),
    binding('team-deploy', roleRef('deployer'), [group('team-devs'), user('dev'), user('dev')], 'team'),
    binding('other-deploy', roleRef('deployer'), [user('outsider')], 'other'),
    binding('team-config', roleRef('one-config'), [user('configurator')], 'team'),
    binding('team-scale', clusterRoleRef('scaler'), [serviceAccount('hpa', 'kube-system')], 'team'),
  ],
};

const q = (verb: string, resourceArg: string, namespace: string, extra: Partial<WhoCanQuery> = {}): WhoCanQuery => ({ verb, ...parseResourceArg(resourceArg), namespace, ...extra });
const row = (e: ReturnType<typeof whoCan>[number]) => `${e.subject.kind}:${e.subject.namespace ? `${e.subject.namespace}/` : ''}${e.subject.name} via ${e.binding.kind}:${e.binding.namespace ? `${e.binding.namespace}/` : ''}${e.binding.name} -> ${e.role.kind}:${e.role.name}`;

test('whoCan', () => {
  const cases: Array<[string, WhoCanQuery, string[]]> = [
    ['cluster-wide list pods: cluster bindings only; SA without namespace and unknown kinds dropped', q('list', 'pods', ''), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'User:auditor via ClusterRoleBinding:readers -> ClusterRole:pod-reader',
      'ServiceAccount:ops/monitor via ClusterRoleBinding:readers -> ClusterRole:pod-reader',
    ]],
    ['pods/log in team: RoleBinding to a ClusterRole is scoped to its namespace; SA takes the binding namespace', q('get', 'pods/log', 'team'), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'User:dev via RoleBinding:team/team-logs -> ClusterRole:log-reader',
      'ServiceAccount:team/ci via RoleBinding:team/team-logs -> ClusterRole:log-reader',
    ]],
    ['pods/log elsewhere: the scoped binding does not apply', q('get', 'pods/log', 'other'), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
    ['reading pods cluster-wide does not grant pods/log', q('get', 'pods/log', ''), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
    ['deployments.apps in team, duplicate subjects once, Role in the binding namespace', q('delete', 'deployments.apps', 'team'), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'Group:team-devs via RoleBinding:team/team-deploy -> Role:deployer',
      'User:dev via RoleBinding:team/team-deploy -> Role:deployer',
    ]],
    ['deployments in the core group is a different resource', q('delete', 'deployments', 'team'), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
    ['*/scale wildcard matches deployments/scale', q('patch', 'deployments.apps/scale', 'team'), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'ServiceAccount:kube-system/hpa via RoleBinding:team/team-scale -> ClusterRole:scaler',
    ]],
    ['resourceNames: the named object', q('get', 'configmaps', 'team', { name: 'app-config' }), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'User:configurator via RoleBinding:team/team-config -> Role:one-config',
    ]],
    ['resourceNames: another object', q('get', 'configmaps', 'team', { name: 'other' }), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
    ['resourceNames: no name (a list) is not granted', q('list', 'configmaps', 'team'), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
    ['non-resource URL prefix', q('get', 'pods', '', { nonResourceURL: '/livez/etcd' }), [
      'Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin',
      'Group:system:unauthenticated via ClusterRoleBinding:health -> ClusterRole:health',
    ]],
    ['non-resource URL, wrong verb', q('post', 'pods', '', { nonResourceURL: '/healthz' }), ['Group:system:masters via ClusterRoleBinding:cluster-admin -> ClusterRole:cluster-admin']],
  ];
  for (const [name, query, want] of cases) assert.deepEqual(whoCan(objects, query).map(row), want, name);
});

test('whoCan reports the allowing rule and omits an empty namespace', () => {
  const [e] = whoCan(objects, q('get', 'configmaps', 'team', { name: 'app-config' })).slice(1);
  assert.deepEqual(e, {
    subject: { kind: 'User', name: 'configurator' },
    binding: { kind: 'RoleBinding', name: 'team-config', namespace: 'team' },
    role: { kind: 'Role', name: 'one-config' },
    rule: { verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'] },
  });
  assert.deepEqual(whoCan(objects, q('list', 'pods', ''))[0]?.binding, { kind: 'ClusterRoleBinding', name: 'cluster-admin' });
  assert.equal(ALWAYS_ALLOWED_GROUP, 'system:masters');
});

test('parseResourceArg', () => {
  const cases: Array<[string, ReturnType<typeof parseResourceArg> | RegExp]> = [
    ['pods', { group: '', resource: 'pods', subresource: '' }],
    ['deployments.apps', { group: 'apps', resource: 'deployments', subresource: '' }],
    ['pods/log', { group: '', resource: 'pods', subresource: 'log' }],
    ['ingresses.networking.k8s.io/status', { group: 'networking.k8s.io', resource: 'ingresses', subresource: 'status' }],
    ['pods/', /invalid resource/],
    ['/log', /invalid resource/],
    ['a/b/c', /invalid resource/],
  ];
  for (const [arg, want] of cases) {
    if (want instanceof RegExp) assert.throws(() => parseResourceArg(arg), want, arg);
    else assert.deepEqual(parseResourceArg(arg), want, arg);
  }
});
