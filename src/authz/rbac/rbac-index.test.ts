import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import { RbacIndex } from './rbac-index.ts';
import { ruleAllows } from './rule-match.ts';
import { binding, clusterRoleRef, group, pathAttrs, resourceAttrs, role, roleRef, serviceAccount, user } from './testing.ts';
import type { BindingObject, PolicyRule, RoleObject } from './types.ts';

interface Case {
  name: string;
  roles?: RoleObject[];
  clusterRoles?: RoleObject[];
  roleBindings?: BindingObject[];
  clusterRoleBindings?: BindingObject[];
  pass: AuthzAttributes[];
  fail: AuthzAttributes[];
}

const u = (username: string, ...groups: string[]): UserInfo => ({ username, groups });
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function build(c: Omit<Case, 'name' | 'pass' | 'fail'>): RbacIndex {
  const idx = new RbacIndex();
  for (const r of c.roles ?? []) idx.setRole(r);
  for (const r of c.clusterRoles ?? []) idx.setClusterRole(r);
  for (const b of c.roleBindings ?? []) idx.setBinding('RoleBinding', b);
  for (const b of c.clusterRoleBindings ?? []) idx.setBinding('ClusterRoleBinding', b);
  return idx;
}

/** One ClusterRole with one rule, bound cluster-wide to user "u": upstream's TestRuleMatches through the index. */
function oneRule(r: PolicyRule): Omit<Case, 'name' | 'pass' | 'fail'> {
  return { clusterRoles: [role('r', [r])], clusterRoleBindings: [binding('b', clusterRoleRef('r'), [user('u')])] };
}
const ru = u('u');

const cases: Case[] = [
  {
    name: 'RoleBinding to a ClusterRole applies only in its namespace',
    clusterRoles: [role('admin', [rule(['*'], ['*'], ['*'])])],
    roleBindings: [binding('rb', clusterRoleRef('admin'), [user('admin'), group('admins')], 'ns1')],
    pass: [
      resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns1' }),
      resourceAttrs(u('admin', 'group1'), 'watch', '', 'foobar', { namespace: 'ns1' }),
      resourceAttrs(u('joe', 'group1', 'admins'), 'watch', '', 'foobar', { namespace: 'ns1' }),
    ],
    fail: [
      resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns2' }),
      resourceAttrs(u('admin'), 'get', '', 'nodes'),
      resourceAttrs(u('admin', 'admins'), 'get', '', 'nodes'),
      pathAttrs(u('admin'), 'get', '/api'),
    ],
  },
  {
    name: 'non-resource URLs: exact, verb wildcard, prefix',
    clusterRoles: [role('getter', [urls(['get'], ['/apis'])]), role('any', [urls(['*'], ['/apis'])]), role('prefix', [urls(['get'], ['/apis/*'])])],
    clusterRoleBindings: [
      binding('getter', clusterRoleRef('getter'), [user('foo'), group('bar')]),
      binding('any', clusterRoleRef('any'), [user('admin')]),
      binding('prefix', clusterRoleRef('prefix'), [group('prefixed')]),
    ],
    pass: [
      pathAttrs(u('foo'), 'get', '/apis'),
      pathAttrs(u('', 'bar'), 'get', '/apis'),
      pathAttrs(u('admin'), 'watch', '/apis'),
      pathAttrs(u('x', 'prefixed'), 'get', '/apis/v1'),
      pathAttrs(u('x', 'prefixed'), 'get', '/apis/v1/foobar'),
    ],
    fail: [
      pathAttrs(u('foo'), 'watch', '/apis'),
      pathAttrs(u('foo'), 'get', '/api/v1'),
      pathAttrs(u('admin'), 'get', '/api/v1'),
      pathAttrs(u('x', 'prefixed'), 'get', '/apis'),
      pathAttrs(u('x', 'prefixed'), 'get', '/api/v1'),
    ],
  },
  {
    name: 'a resource rule does not cover its subresources',
    clusterRoles: [role('admin', [rule(['*'], ['*'], ['pods'])])],
    roleBindings: [binding('rb', clusterRoleRef('admin'), [user('admin')], 'ns1')],
    pass: [resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns1' })],
    fail: [resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns1', subresource: 'status' })],
  },
  {
    name: 'a subresource rule does not cover its resource',
    clusterRoles: [role('admin', [rule(['*'], ['*'], ['pods/status'])])],
    roleBindings: [binding('rb', clusterRoleRef('admin'), [user('admin')], 'ns1')],
    pass: [resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns1', subresource: 'status' })],
    fail: [resourceAttrs(u('admin'), 'get', '', 'pods', { namespace: 'ns1' })],
  },
  {
    name: 'star verb, exact group and resource',
    ...oneRule(rule(['*'], ['group1'], ['resource1'])),
    pass: [resourceAttrs(ru, 'verb1', 'group1', 'resource1'), resourceAttrs(ru, 'verb2', 'group1', 'resource1')],
    fail: [resourceAttrs(ru, 'verb1', 'group2', 'resource1'), resourceAttrs(ru, 'verb1', 'group1', 'resource2')],
  },
  {
    name: 'star group',
    ...oneRule(rule(['verb1'], ['*'], ['resource1'])),
    pass: [resourceAttrs(ru, 'verb1', 'group1', 'resource1'), resourceAttrs(ru, 'verb1', 'group2', 'resource1')],
    fail: [resourceAttrs(ru, 'verb2', 'group1', 'resource1'), resourceAttrs(ru, 'verb1', 'group1', 'resource2')],
  },
  {
    name: 'star resource covers subresources too',
    ...oneRule(rule(['verb1'], ['group1'], ['*'])),
    pass: [resourceAttrs(ru, 'verb1', 'group1', 'resource1'), resourceAttrs(ru, 'verb1', 'group1', 'resource2', { subresource: 'status' })],
    fail: [resourceAttrs(ru, 'verb1', 'group2', 'resource1'), resourceAttrs(ru, 'verb2', 'group1', 'resource1')],
  },
  {
    name: 'tuple expansion',
    ...oneRule(rule(['verb1', 'verb2'], ['group1', 'group2'], ['resource1', 'resource2'])),
    pass: [resourceAttrs(ru, 'verb2', 'group2', 'resource1'), resourceAttrs(ru, 'verb1', 'group1', 'resource2')],
    fail: [resourceAttrs(ru, 'verb3', 'group1', 'resource1'), resourceAttrs(ru, 'verb1', 'group3', 'resource1')],
  },
  {
    name: 'subresource rule',
    ...oneRule(rule(['*'], ['*'], ['resource1/subresource1'])),
    pass: [resourceAttrs(ru, 'verb1', 'group1', 'resource1', { subresource: 'subresource1' })],
    fail: [
      resourceAttrs(ru, 'verb1', 'group1', 'resource1', { subresource: 'subresource2' }),
      resourceAttrs(ru, 'verb1', 'group1', 'resource2', { subresource: 'subresource1' }),
    ],
  },
  {
    name: '*/subresource matches that subresource of any resource',
    ...oneRule(rule(['get'], ['*'], ['*/scale'])),
    pass: [resourceAttrs(ru, 'get', 'apps', 'deployments', { subresource: 'scale' }), resourceAttrs(ru, 'get', '', 'replicationcontrollers', { subresource: 'scale' })],
    fail: [resourceAttrs(ru, 'get', 'apps', 'deployments'), resourceAttrs(ru, 'get', 'apps', 'deployments', { subresource: 'status' })],
  },
  {
    name: 'resource/* is not a wildcard upstream: it matches only a subresource named *',
    ...oneRule(rule(['get'], [''], ['pods/*'])),
    pass: [resourceAttrs(ru, 'get', '', 'pods', { subresource: '*' })],
    fail: [resourceAttrs(ru, 'get', '', 'pods', { subresource: 'log' }), resourceAttrs(ru, 'get', '', 'pods')],
  },
  {
    name: 'resourceNames: only a request naming one of them',
    ...oneRule(rule(['get', 'list', 'create', 'update'], [''], ['configmaps'], ['a', 'b'])),
    pass: [resourceAttrs(ru, 'get', '', 'configmaps', { name: 'a' }), resourceAttrs(ru, 'update', '', 'configmaps', { name: 'b' })],
    fail: [resourceAttrs(ru, 'get', '', 'configmaps', { name: 'c' }), resourceAttrs(ru, 'list', '', 'configmaps'), resourceAttrs(ru, 'create', '', 'configmaps')],
  },
  {
    name: 'star nonresource URL matches every path',
    ...oneRule(urls(['verb1'], ['*'])),
    pass: [pathAttrs(ru, 'verb1', '/foo'), pathAttrs(ru, 'verb1', '/foo/bar/one')],
    fail: [pathAttrs(ru, 'verb2', '/foo')],
  },
  {
    name: 'nonresource prefix /foo/* does not match /foo',
    ...oneRule(urls(['verb1'], ['/foo/*'])),
    pass: [pathAttrs(ru, 'verb1', '/foo/bar'), pathAttrs(ru, 'verb1', '/foo/baz/one')],
    fail: [pathAttrs(ru, 'verb1', '/foo'), pathAttrs(ru, 'verb1', '/notfoo/bar')],
  },
  {
    name: 'a resource rule never matches a non-resource request and vice versa',
    ...oneRule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
    pass: [resourceAttrs(ru, 'get', 'x', 'y')],
    fail: [pathAttrs(ru, 'get', '/healthz')],
  },
  {
    name: 'Role bound in its namespace; a RoleBinding cannot reach another namespace\'s Role',
    roles: [role('reader', [rule(['get'], [''], ['pods'])], 'ns1'), role('reader', [rule(['get'], [''], ['secrets'])], 'ns2')],
    roleBindings: [binding('rb', roleRef('reader'), [user('alice')], 'ns1')],
    pass: [resourceAttrs(u('alice'), 'get', '', 'pods', { namespace: 'ns1' })],
    fail: [resourceAttrs(u('alice'), 'get', '', 'secrets', { namespace: 'ns1' }), resourceAttrs(u('alice'), 'get', '', 'secrets', { namespace: 'ns2' })],
  },
  {
    name: 'ServiceAccount subjects: namespace defaults to the RoleBinding\'s, none in a ClusterRoleBinding',
    clusterRoles: [role('view', [rule(['get'], [''], ['pods'])]), role('nodes', [rule(['get'], [''], ['nodes'])]), role('ev', [rule(['get'], [''], ['events'])])],
    roleBindings: [binding('rb', clusterRoleRef('view'), [serviceAccount('builder')], 'ns1')],
    clusterRoleBindings: [
      binding('crb', clusterRoleRef('nodes'), [serviceAccount('agent', 'kube-system')]),
      binding('crb-nons', clusterRoleRef('ev'), [serviceAccount('agent')]),
    ],
    pass: [
      resourceAttrs(u('system:serviceaccount:ns1:builder'), 'get', '', 'pods', { namespace: 'ns1' }),
      resourceAttrs(u('system:serviceaccount:kube-system:agent'), 'get', '', 'nodes'),
    ],
    fail: [
      resourceAttrs(u('system:serviceaccount:ns2:builder'), 'get', '', 'pods', { namespace: 'ns1' }),
      resourceAttrs(u('builder'), 'get', '', 'pods', { namespace: 'ns1' }),
      resourceAttrs(u('system:serviceaccount:kube-system:agent'), 'get', '', 'events'),
    ],
  },
  {
    name: 'a ClusterRoleBinding grants cluster-scoped and every namespace',
    clusterRoles: [role('view', [rule(['get'], [''], ['pods'])])],
    clusterRoleBindings: [binding('crb', clusterRoleRef('view'), [group('viewers')])],
    pass: [resourceAttrs(u('x', 'viewers'), 'get', '', 'pods'), resourceAttrs(u('x', 'viewers'), 'get', '', 'pods', { namespace: 'any' })],
    fail: [resourceAttrs(u('viewers'), 'get', '', 'pods')],
  },
];

describe('RbacIndex decisions (upstream rbac_test.go cases)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const idx = build(c);
      for (const a of c.pass) {
        const r = idx.authorize(a);
        assert.equal(r.decision, 'allow', `should allow ${JSON.stringify(a)}`);
        assert.ok(r.grant && ruleAllows(a, r.grant.rule), 'the reported rule allows the request');
      }
      for (const a of c.fail) assert.equal(idx.authorize(a).decision, 'no-opinion', `should not allow ${JSON.stringify(a)}`);
    });
  }
});

describe('RbacIndex reasons', () => {
  test('an allow names binding, role and subject as upstream', () => {
    const idx = build({
      clusterRoles: [role('view', [rule(['get'], [''], ['pods'])])],
      roles: [role('r', [rule(['list'], [''], ['pods'])], 'ns1')],
      clusterRoleBindings: [binding('viewers', clusterRoleRef('view'), [user('other'), group('team')])],
      roleBindings: [binding('rb', roleRef('r'), [serviceAccount('sa')], 'ns1')],
    });
    const crb = idx.authorize(resourceAttrs(u('bob', 'team'), 'get', '', 'pods'));
    assert.equal(crb.reason, 'RBAC: allowed by ClusterRoleBinding "viewers" of ClusterRole "view" to Group "team"');
    assert.deepEqual(crb.grant?.binding, { kind: 'ClusterRoleBinding', name: 'viewers' });
    assert.deepEqual(crb.grant?.rule, rule(['get'], [''], ['pods']));
    const rb = idx.authorize(resourceAttrs(u('system:serviceaccount:ns1:sa'), 'list', '', 'pods', { namespace: 'ns1' }));
    assert.equal(rb.reason, 'RBAC: allowed by RoleBinding "rb/ns1" of Role "r" to ServiceAccount "sa/ns1"');
  });

  test('no opinion, never deny; a missing role is reported', () => {
    const idx = build({ clusterRoleBindings: [binding('b', clusterRoleRef('gone'), [user('bob')])] });
    assert.deepEqual(idx.authorize(resourceAttrs(u('alice'), 'get', '', 'pods')), { decision: 'no-opinion', reason: '' });
    const r = idx.authorize(resourceAttrs(u('bob'), 'get', '', 'pods'));
    assert.equal(r.decision, 'no-opinion');
    assert.equal(r.reason, 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
  });

  test('missing roles: each message once (utilerrors.NewAggregate drops repeats), several in brackets', () => {
    const idx = build({
      clusterRoleBindings: [
        binding('b1', clusterRoleRef('gone'), [user('bob')]),
        binding('b2', clusterRoleRef('gone'), [user('bob')]),
        binding('b3', clusterRoleRef('lost'), [user('carol')]),
        binding('b4', clusterRoleRef('gone'), [user('carol')]),
      ],
    });
    assert.equal(idx.authorize(resourceAttrs(u('bob'), 'get', '', 'pods')).reason, 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
    const carol = idx.authorize(resourceAttrs(u('carol'), 'get', '', 'pods')).reason;
    assert.match(carol, /^RBAC: \[clusterrole\.rbac\.authorization\.k8s\.io "(gone|lost)" not found, clusterrole\.rbac\.authorization\.k8s\.io "(gone|lost)" not found\]$/);
    assert.ok(carol.includes('"gone"') && carol.includes('"lost"'));
  });

  test('the first rule of the role is reported when several allow', () => {
    const idx = build(oneRule(rule(['*'], ['*'], ['*'])));
    idx.setClusterRole(role('r', [rule(['get'], [''], ['pods']), rule(['*'], ['*'], ['*']), rule(['get'], ['*'], ['pods'])]));
    assert.deepEqual(idx.authorize(resourceAttrs(ru, 'get', '', 'pods')).grant?.rule, rule(['get'], [''], ['pods']));
    assert.deepEqual(idx.authorize(resourceAttrs(ru, 'get', 'apps', 'pods')).grant?.rule, rule(['*'], ['*'], ['*']));
  });
});

describe('RbacIndex updates', () => {
  test('deleting a binding or role removes access at once; re-adding restores it', () => {
    const idx = build({
      clusterRoles: [role('view', [rule(['get'], [''], ['pods'])])],
      roleBindings: [binding('rb', clusterRoleRef('view'), [user('alice'), group('g')], 'ns1')],
    });
    const a = resourceAttrs(u('alice'), 'get', '', 'pods', { namespace: 'ns1' });
    assert.equal(idx.authorize(a).decision, 'allow');
    idx.deleteBinding('RoleBinding', 'ns1', 'rb');
    assert.equal(idx.authorize(a).decision, 'no-opinion');
    idx.setBinding('RoleBinding', binding('rb', clusterRoleRef('view'), [user('alice')], 'ns1'));
    assert.equal(idx.authorize(a).decision, 'allow');
    idx.deleteClusterRole('view');
    assert.equal(idx.authorize(a).decision, 'no-opinion');
    idx.setClusterRole(role('view', [rule(['get'], [''], ['pods'])]));
    assert.equal(idx.authorize(a).decision, 'allow');
  });

  test('replacing a binding drops subjects it no longer names', () => {
    const idx = build({
      clusterRoles: [role('view', [rule(['get'], [''], ['pods'])])],
      clusterRoleBindings: [binding('b', clusterRoleRef('view'), [user('alice'), user('bob')])],
    });
    idx.setBinding('ClusterRoleBinding', binding('b', clusterRoleRef('view'), [user('bob')]));
    assert.equal(idx.authorize(resourceAttrs(u('alice'), 'get', '', 'pods')).decision, 'no-opinion');
    assert.equal(idx.authorize(resourceAttrs(u('bob'), 'get', '', 'pods')).decision, 'allow');
    assert.equal(idx.size.bindings, 1);
  });

  test('rulesFor lists cluster-wide rules, then the namespace\'s, each binding once', () => {
    const idx = build({
      clusterRoles: [role('a', [rule(['get'], [''], ['pods'])]), role('b', [urls(['get'], ['/healthz'])])],
      roles: [role('c', [rule(['list'], [''], ['secrets'])], 'ns1')],
      clusterRoleBindings: [binding('a', clusterRoleRef('a'), [user('u'), group('g')]), binding('b', clusterRoleRef('b'), [group('g')])],
      roleBindings: [binding('c', roleRef('c'), [user('u')], 'ns1')],
    });
    assert.deepEqual(idx.rulesFor(u('u', 'g'), 'ns1').rules, [rule(['get'], [''], ['pods']), urls(['get'], ['/healthz']), rule(['list'], [''], ['secrets'])]);
    assert.deepEqual(idx.rulesFor(u('u', 'g'), '').rules, [rule(['get'], [''], ['pods']), urls(['get'], ['/healthz'])]);
  });
});
