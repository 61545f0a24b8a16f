import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isExemptAdmissionConfigurationResource, ruleMatches } from './rules.ts';
import { podAttrs } from './test-support.ts';
import type { RuleWithOperations } from './types.ts';

const all: RuleWithOperations = { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] };
const exec = podAttrs({ operation: 'CONNECT', subresource: 'exec', object: undefined });
const ns = podAttrs({ resource: { group: '', version: 'v1', resource: 'namespaces' }, namespace: 'x', name: 'x' });
const deploy = podAttrs({ resource: { group: 'apps', version: 'v1', resource: 'deployments' } });

const cases: [string, RuleWithOperations, ReturnType<typeof podAttrs>, boolean][] = [
  ['* matches main resources', all, podAttrs(), true],
  ['* does not match subresources', all, exec, false],
  ['*/* matches subresources', { ...all, resources: ['*/*'] }, exec, true],
  ['pods/* matches pods', { ...all, resources: ['pods/*'] }, podAttrs(), true],
  ['pods/* matches pods/exec', { ...all, resources: ['pods/*'] }, exec, true],
  ['pods/exec matches only exec', { ...all, resources: ['pods/exec'] }, podAttrs(), false],
  ['*/exec matches pods/exec', { ...all, resources: ['*/exec'] }, exec, true],
  ['operation list', { ...all, operations: ['UPDATE'] }, podAttrs(), false],
  ['group list', { ...all, apiGroups: ['apps'] }, deploy, true],
  ['group mismatch', { ...all, apiGroups: [''] }, deploy, false],
  ['version mismatch', { ...all, apiVersions: ['v1beta1'] }, podAttrs(), false],
  ['Namespaced scope on a pod', { ...all, scope: 'Namespaced' }, podAttrs(), true],
  ['Namespaced scope on a namespace', { ...all, scope: 'Namespaced' }, ns, false],
  ['Cluster scope on a namespace', { ...all, scope: 'Cluster' }, ns, true],
  ['Cluster scope on a pod', { ...all, scope: 'Cluster' }, podAttrs(), false],
  ['empty lists match nothing', {}, podAttrs(), false],
];

for (const [what, rule, attrs, want] of cases) {
  test(`rule: ${what}`, () => assert.equal(ruleMatches(rule, attrs), want));
}

test('only admissionregistration configuration objects are exempt', () => {
  assert.equal(isExemptAdmissionConfigurationResource(podAttrs({ resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations' } })), true);
  assert.equal(isExemptAdmissionConfigurationResource(podAttrs({ resource: { group: 'example.com', version: 'v1', resource: 'mutatingwebhookconfigurations' } })), false);
  assert.equal(isExemptAdmissionConfigurationResource(podAttrs()), false);
});
