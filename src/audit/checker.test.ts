/** Table tests after upstream's policy/checker_test.go: the same requests, rules and expectations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyChecker, type AuditAttributes } from './checker.ts';
import type { Level, Policy, PolicyRule, Stage } from './types.ts';

const tim = { username: 'tim@k8s.io', groups: ['humans', 'developers'] };
const base = { isResourceRequest: true, apiGroup: '', namespace: '', resource: '', subresource: '', name: '', verb: 'get' };
const requests: Record<string, AuditAttributes> = {
  namespaced: { ...base, user: tim, namespace: 'default', resource: 'pods', name: 'busybox', path: '/api/v1/namespaces/default/pods/busybox' },
  cluster: { ...base, user: tim, apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'edit', path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit' },
  nonResource: { ...base, user: tim, isResourceRequest: false, path: '/logs/kubelet.log' },
  subresource: { ...base, user: tim, namespace: 'default', resource: 'pods', subresource: 'log', name: 'busybox', path: '/api/v1/namespaces/default/pods/busybox' },
  Unauthorized: { ...base, namespace: 'default', resource: 'pods', name: 'busybox', path: '/api/v1/namespaces/default/pods/busybox' },
};

const rules: Record<string, PolicyRule> = {
  default: { level: 'Metadata' },
  create: { level: 'Request', verbs: ['create'] },
  tims: { level: 'Metadata', users: ['tim@k8s.io'] },
  humans: { level: 'Metadata', userGroups: ['humans'] },
  serviceAccounts: { level: 'Request', userGroups: ['system:serviceaccounts'] },
  getPods: { level: 'RequestResponse', verbs: ['get'], resources: [{ resources: ['pods'] }] },
  getPodLogs: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/log'] }] },
  getPodWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*'] }] },
  getPodResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*/log'] }] },
  getPodSubResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/*'] }] },
  getClusterRoles: { level: 'RequestResponse', verbs: ['get'], resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'] }], namespaces: [''] },
  getLogs: { level: 'RequestResponse', verbs: ['get'], nonResourceURLs: ['/logs*'] },
  getMetrics: { level: 'Request', verbs: ['get'], nonResourceURLs: ['/metrics'] },
  clusterRoleEdit: { level: 'Request', resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'], resourceNames: ['edit'] }] },
  'omit RequestReceived': { level: 'Request', omitStages: ['RequestReceived'] },
  'only audit panic': { level: 'Request', omitStages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete'] },
};

function check(req: string, level: Level, policyStages: Stage[] | undefined, omit: Stage[], ...names: string[]): void {
  const policy: Policy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: names.map((n) => rules[n]!) };
  if (policyStages) policy.omitStages = policyStages;
  const got = new PolicyChecker(policy).evaluate(requests[req]!);
  assert.equal(got.level, level, `request ${req} rules ${names.join(',')}`);
  assert.deepEqual([...new Set(got.omitStages)].sort(), [...new Set(omit)].sort(), `stages of ${req} rules ${names.join(',')}`);
}

// [request, level, rules...]
const levelCases: Array<[string, Level, ...string[]]> = [
  ['namespaced', 'Metadata', 'default'], ['namespaced', 'None', 'create'], ['namespaced', 'Metadata', 'tims'],
  ['namespaced', 'Metadata', 'humans'], ['namespaced', 'None', 'serviceAccounts'], ['namespaced', 'RequestResponse', 'getPods'],
  ['namespaced', 'None', 'getClusterRoles'], ['namespaced', 'None', 'getLogs'], ['namespaced', 'None', 'getMetrics'],
  ['namespaced', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'], ['namespaced', 'RequestResponse', 'getMetrics', 'getPods', 'default'],
  ['namespaced', 'RequestResponse', 'getPodLogs', 'getPods'],
  ['cluster', 'Metadata', 'default'], ['cluster', 'None', 'create'], ['cluster', 'Metadata', 'tims'], ['cluster', 'Metadata', 'humans'],
  ['cluster', 'None', 'serviceAccounts'], ['cluster', 'None', 'getPods'], ['cluster', 'RequestResponse', 'getClusterRoles'],
  ['cluster', 'Request', 'clusterRoleEdit', 'getClusterRoles'], ['cluster', 'None', 'getLogs'], ['cluster', 'None', 'getMetrics'],
  ['cluster', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'], ['cluster', 'RequestResponse', 'getMetrics', 'getClusterRoles', 'default'],
  ['cluster', 'None', 'getPodLogs', 'getPods'],
  ['nonResource', 'Metadata', 'default'], ['nonResource', 'None', 'create'], ['nonResource', 'Metadata', 'tims'], ['nonResource', 'Metadata', 'humans'],
  ['nonResource', 'None', 'serviceAccounts'], ['nonResource', 'None', 'getPods'], ['nonResource', 'None', 'getClusterRoles'],
  ['nonResource', 'RequestResponse', 'getLogs'], ['nonResource', 'None', 'getMetrics'], ['nonResource', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'],
  ['nonResource', 'RequestResponse', 'getLogs', 'getClusterRoles', 'default'], ['nonResource', 'None', 'getPodLogs', 'getPods'],
  ['subresource', 'Request', 'getPodLogs', 'getPods'], ['subresource', 'Request', 'getPodWildcardMatching'],
  ['subresource', 'Request', 'getPodResourceWildcardMatching'], ['subresource', 'Request', 'getPodSubResourceWildcardMatching'],
  ['Unauthorized', 'None', 'tims'], ['Unauthorized', 'Metadata', 'tims', 'default'], ['Unauthorized', 'None', 'humans'], ['Unauthorized', 'Metadata', 'humans', 'default'],
];

for (const stages of [undefined, ['RequestReceived', 'ResponseStarted'] as Stage[]]) {
  test(`levels per request and rules (policy omitStages ${JSON.stringify(stages ?? [])})`, () => {
    for (const [req, level, ...names] of levelCases) check(req, level, stages, stages ?? [], ...names);
  });
}

test('rule omitStages are unioned with the policy-wide ones', () => {
  for (const req of ['namespaced', 'cluster']) {
    check(req, 'Request', undefined, ['RequestReceived'], 'omit RequestReceived', 'getPods', 'default');
    check(req, 'Request', undefined, ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], 'only audit panic', 'getPods', 'default');
    check(req, 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted'], 'omit RequestReceived', 'getPods', 'default');
    check(req, 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], 'only audit panic', 'getPods', 'default');
  }
  check('nonResource', 'Metadata', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted'], 'default', 'omit RequestReceived', 'getPods');
});

test('omitManagedFields: the rule overrides the policy when set', () => {
  const a: AuditAttributes = { ...base, isResourceRequest: false, path: '/' };
  const rule: PolicyRule = { level: 'RequestResponse', verbs: ['get'] };
  const eval1 = (policyOmit: boolean, ruleOmit?: boolean) => new PolicyChecker({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitManagedFields: policyOmit, rules: [ruleOmit === undefined ? rule : { ...rule, omitManagedFields: ruleOmit }] }).evaluate(a).omitManagedFields;
  assert.equal(eval1(false), false);
  assert.equal(eval1(true), true);
  assert.equal(eval1(true, false), false);
  assert.equal(eval1(false, true), true);
});

test('the first matching rule is reported for explain; no match is rule -1 and level None', () => {
  const c = new PolicyChecker({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [rules.create!, rules.getPods!] });
  assert.equal(c.evaluate(requests.namespaced!).rule, 1);
  assert.deepEqual(c.evaluate(requests.nonResource!), { level: 'None', omitStages: [], omitManagedFields: false, rule: -1 });
});
