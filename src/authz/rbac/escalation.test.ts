import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../../authn/types.ts';
import { RbacAuthorizer } from './authorizer.ts';
import { compactRules, compactString, covers, ruleCovers } from './covers.ts';
import type { EscalationRequest } from './escalation.ts';
import { binding, clusterRoleRef, role, roleRef, user } from './testing.ts';
import type { PolicyRule } from './types.ts';

const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };

describe('ruleCovers (upstream policy_comparator_test cases)', () => {
  const cases: [string, PolicyRule[], PolicyRule[], boolean][] = [
    ['exact', [r(['get'], [''], ['pods'])], [r(['get'], [''], ['pods'])], true],
    ['more verbs requested', [r(['get'], [''], ['pods'])], [r(['get', 'list'], [''], ['pods'])], false],
    ['star verb', [r(['*'], [''], ['pods'])], [r(['get', 'delete'], [''], ['pods'])], true],
    ['star group', [r(['get'], ['*'], ['pods'])], [r(['get'], ['apps', ''], ['pods'])], true],
    ['star resource', [r(['get'], [''], ['*'])], [r(['get'], [''], ['pods', 'pods/log'])], true],
    ['*/subresource covers resource/subresource', [r(['get'], [''], ['*/log'])], [r(['get'], [''], ['pods/log'])], true],
    ['*/subresource does not cover the resource', [r(['get'], [''], ['*/log'])], [r(['get'], [''], ['pods'])], false],
    ['names: unrestricted owner covers named', [r(['get'], [''], ['pods'])], [r(['get'], [''], ['pods'], ['a'])], true],
    ['names: named owner does not cover unrestricted', [r(['get'], [''], ['pods'], ['a'])], [r(['get'], [''], ['pods'])], false],
    ['names: subset', [r(['get'], [''], ['pods'], ['a', 'b'])], [r(['get'], [''], ['pods'], ['b'])], true],
    ['split across owner rules', [r(['get'], [''], ['pods']), r(['list'], [''], ['pods'])], [r(['get', 'list'], [''], ['pods'])], true],
    ['urls: prefix', [{ verbs: ['get'], nonResourceURLs: ['/api/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/api/v1', '/api/v1/x'] }], true],
    ['urls: not a prefix of itself', [{ verbs: ['get'], nonResourceURLs: ['/api/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/api'] }], false],
    ['urls: star', [{ verbs: ['*'], nonResourceURLs: ['*'] }], [{ verbs: ['get'], nonResourceURLs: ['/anything'] }], true],
  ];
  for (const [name, owner, requested, want] of cases) {
    test(name, () => assert.equal(covers(owner, requested).covered, want));
  }
  test('ruleCovers on single broken-down rules', () => {
    assert.equal(ruleCovers(r(['*'], ['*'], ['*']), r(['get'], ['x'], ['y'], ['z'])), true);
    assert.equal(ruleCovers(r(['get'], ['x'], ['y']), { verbs: ['get'], nonResourceURLs: ['/x'] }), false);
  });
  test('compactRules merges the verbs of one group/resource; compactString prints as Go', () => {
    const missing = covers([], [r(['get', 'list'], [''], ['pods']), { verbs: ['get'], nonResourceURLs: ['/healthz'] }]).missing;
    assert.deepEqual(compactRules(missing).map(compactString), ['{NonResourceURLs:["/healthz"], Verbs:["get"]}', '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}']);
  });
});

function setup(): RbacAuthorizer {
  const a = new RbacAuthorizer();
  const idx = a.index;
  idx.setClusterRole(role('pod-reader', [r(['get', 'list'], [''], ['pods'])]));
  idx.setClusterRole(role('secret-admin', [r(['*'], [''], ['secrets'])]));
  idx.setClusterRole(role('rbac-writer', [r(['create', 'update'], ['rbac.authorization.k8s.io'], ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'])]));
  idx.setClusterRole(role('escalator', [r(['escalate'], ['rbac.authorization.k8s.io'], ['roles'])]));
  idx.setClusterRole(role('binder', [r(['bind'], ['rbac.authorization.k8s.io'], ['clusterroles'], ['secret-admin'])]));
  idx.setBinding('RoleBinding', binding('alice', clusterRoleRef('pod-reader'), [user('alice')], 'ns1'));
  idx.setBinding('RoleBinding', binding('esc', clusterRoleRef('escalator'), [user('erin')], 'ns1'));
  idx.setBinding('RoleBinding', binding('bind', clusterRoleRef('binder'), [user('bea')], 'ns1'));
  return a;
}

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated', 'dev'] };

describe('checkEscalation', () => {
  const roleReq = (rules: PolicyRule[], ns = 'ns1'): EscalationRequest => ({ kind: 'Role', verb: 'create', namespace: ns, object: role('r', rules, ns) });
  const cases: { name: string; user: UserInfo; req: EscalationRequest; want: undefined | { code: string; message: string } }[] = [
    { name: 'a Role within the creator\'s rules', user: alice, req: roleReq([r(['get'], [''], ['pods'])]), want: undefined },
    {
      name: 'a Role beyond them, with upstream\'s message',
      user: alice,
      req: roleReq([r(['get', 'delete'], [''], ['pods', 'secrets'])]),
      want: {
        code: 'Forbidden',
        message:
          'user "alice" (groups=["system:authenticated" "dev"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
      },
    },
    { name: 'the creator\'s rules are those of the target namespace', user: alice, req: roleReq([r(['get'], [''], ['pods'])], 'ns2'), want: { code: 'Forbidden', message: 'user "alice" (groups=["system:authenticated" "dev"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}' } },
    { name: 'escalate on roles allows anything', user: { username: 'erin', groups: [] }, req: roleReq([r(['*'], ['*'], ['*'])]), want: undefined },
    { name: 'system:masters is never checked', user: { username: 'root', groups: ['system:masters'] }, req: { kind: 'ClusterRole', verb: 'create', object: role('x', [r(['*'], ['*'], ['*'])]) }, want: undefined },
    {
      name: 'a ClusterRole with an aggregationRule needs cluster-admin',
      user: alice,
      req: { kind: 'ClusterRole', verb: 'create', object: { metadata: { name: 'agg' }, rules: [], aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } } },
      want: { code: 'Forbidden', message: 'must have cluster-admin privileges to use the aggregationRule' },
    },
    { name: 'a RoleBinding to a role the user holds', user: alice, req: { kind: 'RoleBinding', verb: 'create', namespace: 'ns1', object: binding('b', clusterRoleRef('pod-reader'), [user('bob')], 'ns1') }, want: undefined },
    {
      name: 'a RoleBinding to a role the user does not hold',
      user: alice,
      req: { kind: 'RoleBinding', verb: 'create', namespace: 'ns1', object: binding('b', clusterRoleRef('secret-admin'), [user('alice')], 'ns1') },
      want: { code: 'Forbidden', message: 'user "alice" (groups=["system:authenticated" "dev"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}' },
    },
    { name: 'bind on that ClusterRole by name allows the binding', user: { username: 'bea', groups: [] }, req: { kind: 'RoleBinding', verb: 'create', namespace: 'ns1', object: binding('b', clusterRoleRef('secret-admin'), [user('x')], 'ns1') }, want: undefined },
    { name: 'bind in ns1 does not reach ns2', user: { username: 'bea', groups: [] }, req: { kind: 'RoleBinding', verb: 'create', namespace: 'ns2', object: binding('b', clusterRoleRef('secret-admin'), [user('x')], 'ns2') }, want: { code: 'Forbidden', message: 'user "bea" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}' } },
    { name: 'a binding to a missing role is NotFound', user: alice, req: { kind: 'RoleBinding', verb: 'create', namespace: 'ns1', object: binding('b', roleRef('nope'), [user('x')], 'ns1') }, want: { code: 'NotFound', message: 'roles.rbac.authorization.k8s.io "nope" not found' } },
    {
      name: 'an update touching only finalizers is not a grant',
      user: alice,
      req: { kind: 'Role', verb: 'update', namespace: 'ns1', object: { metadata: { name: 'r', namespace: 'ns1', finalizers: ['x'] }, rules: [r(['*'], ['*'], ['*'])] }, oldObject: { metadata: { name: 'r', namespace: 'ns1' }, rules: [r(['*'], ['*'], ['*'])] } },
      want: undefined,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const got = await setup().checkEscalation(c.user, c.req);
      assert.deepEqual(got && { code: got.code, message: got.message }, c.want);
    });
  }
});
