import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RbacAuthorizer } from './authorizer.ts';
import { binding, clusterRoleRef, role, user } from './testing.ts';

test('rulesReview splits resource and non-resource rules in upstream\'s shape', () => {
  const a = new RbacAuthorizer();
  a.index.setClusterRole(role('r', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }]));
  a.index.setBinding('RoleBinding', binding('b', clusterRoleRef('r'), [user('alice')], 'ns1'));
  a.index.setBinding('ClusterRoleBinding', binding('gone', clusterRoleRef('missing'), [user('alice')]));
  const u = { username: 'alice', groups: [] };
  assert.deepEqual(a.rulesReview(u, 'ns1'), {
    resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] }],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    incomplete: true,
    evaluationError: 'clusterrole.rbac.authorization.k8s.io "missing" not found',
  });
  assert.deepEqual(a.rulesReview(u, 'ns2'), { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'clusterrole.rbac.authorization.k8s.io "missing" not found' });
  assert.deepEqual(a.rulesReview({ username: 'bob', groups: [] }, 'ns1'), { resourceRules: [], nonResourceRules: [], incomplete: false });
});
