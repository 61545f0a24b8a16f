import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { builtinResources } from '../../api/registry/builtin.ts';
import { ResourceRegistry } from '../../api/registry/registry.ts';
import { MastersAuthorizer } from '../../authz/masters.ts';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { createWatchCache } from '../../storage/watch-cache.ts';
import type { AdmissionAttributes } from '../types.ts';
import { ValidatingAdmissionPolicyPlugin } from './validating-admission-policy.ts';

const AR = '/registry/admissionregistration.k8s.io';

function request(name: string): AdmissionAttributes {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team' } };
  return {
    operation: 'CREATE',
    object,
    oldObject: undefined,
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    subresource: '',
    namespace: 'team',
    name,
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
  };
}

// Bindings of one policy that select the same params share one evaluation per request; those with
// other params must still be evaluated with theirs, and every binding acts by its own actions.
test('bindings of one policy: each is decided with its own params and actions, shared or not', async () => {
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  await store.create('/registry/core/namespaces/team', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'ns' } });
  for (const [name, forbidden] of [['forbid-a', 'a'], ['forbid-b', 'b']]) {
    await store.create(`/registry/core/configmaps/team/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team', uid: `cm-${name}` }, data: { forbidden } });
  }
  await store.create(`${AR}/validatingadmissionpolicies/names`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'names', uid: 'p', generation: 1 },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      validations: [{ expression: "params == null ? object.metadata.name != 'c' : object.metadata.name != params.data.forbidden", messageExpression: "'name ' + object.metadata.name + ' is forbidden'" }],
    },
  });
  const bindings: Array<[string, Record<string, unknown>]> = [
    ['1-warn-no-params', { validationActions: ['Warn'] }],
    ['2-warn-no-params', { validationActions: ['Warn'] }],
    ['3-deny-a', { validationActions: ['Deny'], paramRef: { name: 'forbid-a', parameterNotFoundAction: 'Deny' } }],
    ['4-deny-b', { validationActions: ['Deny'], paramRef: { name: 'forbid-b', parameterNotFoundAction: 'Deny' } }],
  ];
  for (const [name, spec] of bindings) {
    await store.create(`${AR}/validatingadmissionpolicybindings/${name}`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name, uid: name }, spec: { policyName: 'names', ...spec } });
  }
  const plugin = new ValidatingAdmissionPolicyPlugin({ store, authorizer: new MastersAuthorizer(), now: () => new Date(), random: Math.random, newUid: () => 'uid', log: pino({ level: 'silent' }) }, new ResourceRegistry(builtinResources()));
  try {
    const a = await plugin.validate(request('a'));
    assert.equal(a.allowed, false);
    assert.match(a.reason ?? '', /ValidatingAdmissionPolicy 'names' with binding '3-deny-a' denied request: name a is forbidden$/);
    const b = await plugin.validate(request('b'));
    assert.equal(b.allowed, false);
    assert.match(b.reason ?? '', /with binding '4-deny-b' denied request: name b is forbidden$/);
    const c = await plugin.validate(request('c'));
    assert.equal(c.allowed, true);
    assert.deepEqual(c.warnings, [
      "Validation failed for ValidatingAdmissionPolicy 'names' with binding '1-warn-no-params': name c is forbidden",
      "Validation failed for ValidatingAdmissionPolicy 'names' with binding '2-warn-no-params': name c is forbidden",
    ]);
    const d = await plugin.validate(request('d'));
    assert.equal(d.allowed, true);
    assert.deepEqual(d.warnings, []);
  } finally {
    plugin.close();
    await store.close();
  }
});

test('the policy index: only policies whose resourceRules may select the request kind are candidates', async () => {
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  const rule = (resources: string[], extra: Record<string, unknown> = {}) => ({ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources, ...extra });
  const policies: Array<[string, Record<string, unknown>]> = [
    ['any', {}],
    ['configmaps', { resourceRules: [rule(['configmaps'])] }],
    ['named-configmap', { resourceRules: [rule(['configmaps'], { resourceNames: ['other'] })] }],
    ['secrets', { resourceRules: [rule(['secrets'])] }],
    ['configmaps-update', { resourceRules: [{ ...rule(['configmaps']), operations: ['UPDATE'] }] }],
    ['cluster-scoped', { resourceRules: [rule(['configmaps'], { scope: 'Cluster' })] }],
    ['v2-equivalent', { matchPolicy: 'Equivalent', resourceRules: [{ ...rule(['configmaps']), apiVersions: ['v2'] }] }],
    ['v2-exact', { matchPolicy: 'Exact', resourceRules: [{ ...rule(['configmaps']), apiVersions: ['v2'] }] }],
    ['hpa-v1-equivalent', { matchPolicy: 'Equivalent', resourceRules: [{ ...rule(['horizontalpodautoscalers']), apiGroups: ['autoscaling'] }] }],
  ];
  for (const [name, matchConstraints] of policies) {
    await store.create(`${AR}/validatingadmissionpolicies/${name}`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name, uid: name, generation: 1 }, spec: { failurePolicy: 'Fail', matchConstraints, validations: [{ expression: 'true' }] }, status: { observedGeneration: 1 } });
    await store.create(`${AR}/validatingadmissionpolicybindings/${name}`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name, uid: `b-${name}` }, spec: { policyName: name, validationActions: ['Deny'] } });
  }
  const plugin = new ValidatingAdmissionPolicyPlugin({ store, authorizer: new MastersAuthorizer(), now: () => new Date(), random: Math.random, newUid: () => 'uid', log: pino({ level: 'silent' }) }, new ResourceRegistry(builtinResources()));
  try {
    await plugin.source.ready();
    const names = (a: AdmissionAttributes) => plugin.source.candidates(a).map((h) => h.name);
    // resourceNames and selectors are decided by matching, not by the index; no v2 is served here.
    assert.deepEqual(names(request('x')), ['any', 'configmaps', 'named-configmap']);
    assert.deepEqual(names({ ...request('x'), operation: 'UPDATE' }), ['any', 'configmaps-update']);
    assert.deepEqual(names({ ...request('x'), namespace: '' }), ['any', 'cluster-scoped', 'configmaps', 'named-configmap']);
    assert.equal(plugin.source.candidates(request('y')), plugin.source.candidates(request('x')), 'one list per request kind');
    // matchPolicy Equivalent: an autoscaling/v2 request is selected by a v1 rule of the same resource.
    const hpa = (version: string): AdmissionAttributes => ({ ...request('h'), resource: { group: 'autoscaling', version, resource: 'horizontalpodautoscalers' }, kind: { group: 'autoscaling', version, kind: 'HorizontalPodAutoscaler' } });
    assert.deepEqual(names(hpa('v2')), ['any', 'hpa-v1-equivalent']);
    assert.equal((await plugin.validate(request('x'))).allowed, true);
  } finally {
    plugin.close();
    await store.close();
  }
});

// Outcomes of request-only expressions are shared between policies per matched resource: the same
// text read under matchPolicy Equivalent sees the version that policy matched as, not another's.
test('a request-only expression shared by two policies sees each policy its own matched resource', async () => {
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  await store.create('/registry/core/namespaces/team', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'ns' } });
  const rule = (version: string) => ({ apiGroups: ['autoscaling'], apiVersions: [version], operations: ['CREATE'], resources: ['horizontalpodautoscalers'] });
  for (const [name, version] of [['a-exact-v2', 'v2'], ['b-equivalent-v1', 'v1']] as const) {
    await store.create(`${AR}/validatingadmissionpolicies/${name}`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, uid: name, generation: 1 },
      spec: { failurePolicy: 'Fail', matchConstraints: { matchPolicy: 'Equivalent', resourceRules: [rule(version)] }, validations: [{ expression: "request.resource.version == 'v2'", message: 'matched as another version' }] },
    });
    await store.create(`${AR}/validatingadmissionpolicybindings/${name}`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name, uid: `b-${name}` }, spec: { policyName: name, validationActions: ['Deny'] } });
  }
  const plugin = new ValidatingAdmissionPolicyPlugin({ store, authorizer: new MastersAuthorizer(), now: () => new Date(), random: Math.random, newUid: () => 'uid', log: pino({ level: 'silent' }) }, new ResourceRegistry(builtinResources()));
  try {
    const hpa: AdmissionAttributes = { ...request('h'), object: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'team' } }, resource: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' }, kind: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' } };
    const v = await plugin.validate(hpa);
    assert.equal(v.allowed, false);
    assert.match(v.reason ?? '', /ValidatingAdmissionPolicy 'b-equivalent-v1' with binding 'b-equivalent-v1' denied request: matched as another version$/);
  } finally {
    plugin.close();
    await store.close();
  }
});
