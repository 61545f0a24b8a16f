import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { OwnerReferencesPermissionEnforcement } from './owner-references-permission-enforcement.ts';
import { podAttrs, testDeps } from '../webhook/test-support.ts';
import type { Authorizer, AuthzAttributes } from '../../authz/types.ts';

/** Allows exactly the listed "verb resource/subresource" checks; records every check. */
function authz(allowed: string[]): Authorizer & { seen: AuthzAttributes[] } {
  const seen: AuthzAttributes[] = [];
  return {
    name: 'test',
    seen,
    authorize: async (x) => {
      seen.push(x);
      const key = `${x.verb} ${x.resource}${x.subresource ? `/${x.subresource}` : ''}`;
      return allowed.includes(key) ? { decision: 'allow', reason: '' } : { decision: 'no-opinion', reason: 'no RBAC policy matched' };
    },
  };
}

const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true };
const withRefs = (refs: unknown[]) => ({ metadata: { name: 'p', ownerReferences: refs }, spec: {} });

const cases: [string, Parameters<typeof podAttrs>[0], string[], string | undefined][] = [
  ['no owner references', { object: { metadata: { name: 'p' } } }, [], undefined],
  ['unchanged references on update', { operation: 'UPDATE', object: withRefs([rs]), oldObject: withRefs([rs]) }, [], undefined],
  ['setting a reference needs delete', { object: withRefs([rs]) }, [], "cannot set an ownerRef on a resource you can't delete: no RBAC policy matched, <nil>"],
  ['with delete it is fine', { object: withRefs([rs]) }, ['delete pods'], undefined],
  ['blockOwnerDeletion needs the owner finalizers', { object: withRefs([{ ...rs, blockOwnerDeletion: true }]) }, ['delete pods'],
    "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: no RBAC policy matched, <nil>"],
  ['blockOwnerDeletion with finalizers on the owner', { object: withRefs([{ ...rs, blockOwnerDeletion: true }]) }, ['delete pods', 'update replicasets/finalizers'], undefined],
  ['blockOwnerDeletion already set before', { operation: 'UPDATE', object: withRefs([{ ...rs, blockOwnerDeletion: true }, { ...rs, uid: 'u2', name: 'x' }]), oldObject: withRefs([{ ...rs, blockOwnerDeletion: true }]) }, ['delete pods'], undefined],
  ['an unknown owner kind', { object: withRefs([{ apiVersion: 'example.com/v1', kind: 'Thing', name: 't', uid: 'u', blockOwnerDeletion: true }]) }, ['delete pods'],
    'cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion example.com/v1 Kind Thing: no matches for kind "Thing" in version "example.com/v1"'],
];

for (const [what, over, allowed, want] of cases) {
  test(what, async () => {
    const a = authz(allowed);
    const plugin = new OwnerReferencesPermissionEnforcement({ ...testDeps(), authorizer: a });
    const run = new AdmissionChain([], [plugin]).validate(podAttrs(over), emptyOutcome());
    if (want) await assert.rejects(run, { code: 403, message: `pods "p" is forbidden: ${want}` });
    else await run;
  });
}

test('the owner finalizers check names the owner in the dependent namespace', async () => {
  const a = authz(['delete pods', 'update replicasets/finalizers']);
  await new OwnerReferencesPermissionEnforcement({ ...testDeps(), authorizer: a }).validate(podAttrs({ object: withRefs([{ ...rs, blockOwnerDeletion: true }]) }));
  const fin = a.seen.find((x) => x.resource === 'replicasets')!;
  assert.deepEqual([fin.verb, fin.apiGroup, fin.subresource, fin.name, fin.namespace], ['update', 'apps', 'finalizers', 'rs', 'ns']);
});

test('pod status writes are exempt', () => {
  const plugin = new OwnerReferencesPermissionEnforcement(testDeps());
  assert.equal(plugin.handles(podAttrs({ subresource: 'status', object: withRefs([rs]) })), false);
});
