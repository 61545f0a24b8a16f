import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicy } from '../../../admission/cel/compile-policy.ts';
import type { PolicyException } from '../../../admission/cel/exceptions/policy-exception.ts';
import { resources } from '../../client/resources.ts';
import { bindingMatch, evaluateObject, type EvalContext } from './evaluate-object.ts';

const policy = (extra: Record<string, unknown> = {}): ValidatingAdmissionPolicy => ({
  metadata: { name: 'no-latest', uid: 'u', generation: 1 },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
    validations: [{ expression: "object.kind == 'Pod' && object.spec.containers.all(c, !c.image.endsWith(':latest'))", message: 'no latest' }],
    ...extra,
  } as never,
});
const binding = (name: string, validationActions: string[], matchResources?: Record<string, unknown>): ValidatingAdmissionPolicyBinding => ({ metadata: { name }, spec: { policyName: 'no-latest', validationActions, ...(matchResources ? { matchResources } : {}) } as never });
const pod = (image: string) => ({ metadata: { name: 'web', namespace: 'a', uid: 'pod-uid' }, spec: { containers: [{ name: 'c', image }] } });
const under = (p: ValidatingAdmissionPolicy, bs: ValidatingAdmissionPolicyBinding[]) => ({ policy: p, compiled: compilePolicy(p), bindings: bs.map((b) => ({ binding: b, match: bindingMatch(b) })) });
const ctx = (exceptions: PolicyException[] = []): EvalContext => ({ namespace: (n) => ({ metadata: { name: n, labels: { env: n } } }), user: { username: 'system:serviceaccount:kube-system:policy-reports-controller', groups: [] }, exceptions: () => exceptions, now: new Date('2026-01-01T00:00:00Z') });

test('one result per selecting binding: fail under Deny/Audit, warn under Warn only, pass', async () => {
  const p = under(policy(), [binding('audit', ['Audit']), binding('warn', ['Warn']), binding('prod-only', ['Deny'], { namespaceSelector: { matchLabels: { env: 'prod' } } })]);
  const bad = await evaluateObject(p, resources.pods, pod('nginx:latest'), ctx());
  assert.deepEqual(bad.map((x) => [x.rule, x.result, x.message]), [['audit', 'fail', 'no latest'], ['warn', 'warn', 'no latest']]);
  assert.deepEqual(bad[0]!.resources, [{ apiVersion: 'v1', kind: 'Pod', namespace: 'a', name: 'web', uid: 'pod-uid' }]);
  const good = await evaluateObject(p, resources.pods, pod('nginx:1.27'), ctx());
  assert.deepEqual(good.map((x) => x.result), ['pass', 'pass']);
  // Not selected by the policy's rules: no result.
  assert.deepEqual(await evaluateObject(p, resources.configmaps, { metadata: { name: 'x', namespace: 'a' } }, ctx()), []);
});

test('skip: an active exception covering the object (named), and policies with params', async () => {
  const p = under(policy(), [binding('audit', ['Audit'])]);
  const ex = (expiresAt: string): PolicyException => ({ metadata: { name: 'legacy' }, spec: { policyName: 'no-latest', expiresAt, match: { namespaces: ['a'] } } });
  const [skipped] = await evaluateObject(p, resources.pods, pod('nginx:latest'), ctx([ex('2027-01-01T00:00:00Z')]));
  assert.equal(skipped!.result, 'skip');
  assert.equal(skipped!.properties?.exception, 'legacy');
  const [expired] = await evaluateObject(p, resources.pods, pod('nginx:latest'), ctx([ex('2025-01-01T00:00:00Z')]));
  assert.equal(expired!.result, 'fail');
  const withParams = under(policy({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } }), [binding('audit', ['Audit'])]);
  const [r] = await evaluateObject(withParams, resources.pods, pod('nginx:latest'), ctx());
  assert.equal(r!.result, 'skip');
  assert.equal(r!.message, 'policies with paramKind are not evaluated in the background');
});

test('an expression error is reported as error', async () => {
  const p = under(policy({ validations: [{ expression: 'object.spec.nothere == 1', message: 'x' }] }), [binding('audit', ['Audit'])]);
  const [r] = await evaluateObject(p, resources.pods, pod('a'), ctx());
  assert.equal(r!.result, 'error');
  assert.match(r!.message ?? '', /nothere/);
});
