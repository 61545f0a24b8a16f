import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from './field-errors.ts';
import { validateObject, type GVK } from './index.ts';

type Obj = Record<string, any>;
const msgs = (gvk: GVK, obj: Obj, old: Obj, sub = 'status') => validateObject(gvk, obj, old, sub).map(errorString);
const meta = { name: 'x', namespace: 'default', uid: 'u', resourceVersion: '4', generation: 1 };
const T = '2026-01-01T00:00:00Z';

/** Per kind: stored specs today's rules refuse; status writes judged by the status rules only. */
const CASES: Record<string, { gvk: GVK; spec: Obj; good: Obj; bad: Obj; message: string[] }> = {
  PodDisruptionBudget: {
    gvk: { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
    spec: { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
    good: {
      observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: T, observedGeneration: 1 }],
    },
    bad: {
      disruptionsAllowed: -1, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0,
      conditions: [
        { type: 'DisruptionAllowed', status: 'Maybe', reason: 'bad reason', lastTransitionTime: T },
        { type: 'DisruptionAllowed', status: 'True', observedGeneration: -1 },
      ],
    },
    message: [
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      `status.conditions[0].reason: Invalid value: "bad reason": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')`,
      'status.conditions[1].type: Duplicate value: "DisruptionAllowed"',
      'status.conditions[1].observedGeneration: Invalid value: -1: must be greater than or equal to zero',
      'status.conditions[1].lastTransitionTime: Required value: must be set',
      'status.conditions[1].reason: Required value: must be set',
      'status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0',
    ],
  },
  HorizontalPodAutoscaler: {
    gvk: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 0 },
    good: { currentReplicas: 1, desiredReplicas: 2 },
    bad: { currentReplicas: -1, desiredReplicas: -2 },
    message: [
      'status.currentReplicas: Invalid value: -1: must be greater than or equal to 0',
      'status.desiredReplicas: Invalid value: -2: must be greater than or equal to 0',
    ],
  },
  Ingress: {
    gvk: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
    spec: {},
    good: { loadBalancer: { ingress: [{ ip: '10.0.0.5' }, { hostname: 'lb.example.com' }] } },
    bad: { loadBalancer: { ingress: [{ ip: '10.0.0.256' }, { hostname: '10.0.0.5' }] } },
    message: [
      'status.loadBalancer.ingress[0].ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.5": must be a DNS name, not an IP address',
    ],
  },
  ValidatingAdmissionPolicy: {
    gvk: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy' },
    spec: { failurePolicy: 'Bogus', validations: [{ expression: 'object.spec.replicas <' }] },
    good: { observedGeneration: 1, typeChecking: { expressionWarnings: [{ fieldRef: 'spec.validations[0].expression', warning: 'no such field' }] } },
    bad: {
      typeChecking: { expressionWarnings: [{ fieldRef: ' ', warning: '' }] },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ok' }],
    },
    message: [
      'status.typeChecking.expressionWarnings[0].warning: Required value',
      'status.typeChecking.expressionWarnings[0].fieldRef: Required value',
      'status.conditions[0].lastTransitionTime: Required value: must be set',
    ],
  },
  ServiceCIDR: {
    gvk: { group: 'networking.k8s.io', version: 'v1', kind: 'ServiceCIDR' },
    spec: { cidrs: ['not-a-cidr'] },
    good: { conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: T }] },
    bad: { conditions: [] },
    message: [],
  },
  FlowSchema: {
    gvk: { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema' },
    spec: { matchingPrecedence: 500 },
    good: { conditions: [{ type: 'Dangling', status: 'False', reason: 'Found', lastTransitionTime: T }] },
    bad: { conditions: [{ type: '' }, { type: '' }] },
    message: [
      'status.conditions[0].type: Required value: must not be empty',
      'status.conditions[1].type: Duplicate value: ""',
      'status.conditions[1].type: Required value: must not be empty',
    ],
  },
  PriorityLevelConfiguration: {
    gvk: { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'PriorityLevelConfiguration' },
    spec: { type: 'Bogus' },
    good: { conditions: [{ type: 'ConcurrencyShared', status: 'True' }] },
    bad: { conditions: [{ type: 'A' }, { type: 'A' }] },
    message: ['status.conditions[1].type: Duplicate value: "A"'],
  },
  APIService: {
    gvk: { group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService' },
    spec: { group: 'example.com', version: 'v1', groupPriorityMinimum: 0, versionPriority: 0 },
    good: { conditions: [{ type: 'Available', status: 'False', reason: 'ServiceNotFound', lastTransitionTime: T }] },
    bad: { conditions: [{ type: 'Available', status: 'Maybe' }] },
    message: ['status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"'],
  },
};

for (const [kind, c] of Object.entries(CASES)) {
  test(`${kind}: a status write to an object the spec rules refuse succeeds; a bad status is refused`, () => {
    const stored = { metadata: meta, spec: c.spec };
    assert.notDeepEqual(msgs(c.gvk, stored, stored, ''), [], 'premise: the stored spec fails the update rules');
    assert.deepEqual(msgs(c.gvk, { ...stored, status: c.good }, stored), []);
    assert.deepEqual(msgs(c.gvk, { ...stored, status: c.bad }, stored), c.message);
    // The metadata rules still apply to status writes.
    const badLabels = { ...stored, metadata: { ...meta, labels: { 'bad key': 'v' } }, status: c.good };
    assert.equal(msgs(c.gvk, badLabels, stored).length, 1);
  });
}

test('condition reason and message lengths are bounded', () => {
  const gvk = CASES.PodDisruptionBudget!.gvk;
  const stored = { metadata: meta, spec: {} };
  const cond = { type: 'DisruptionAllowed', status: 'True', reason: 'R'.repeat(1025), message: 'm'.repeat(32 * 1024 + 1), lastTransitionTime: T };
  const got = msgs(gvk, { ...stored, status: { conditions: [cond] } }, stored);
  assert.deepEqual(got.map((m) => m.replace(/: Too long: .*$/, '')), ['status.conditions[0].reason', 'status.conditions[0].message']);
  assert.ok(got[0]!.endsWith('may not be more than 1024 bytes'), got[0]);
});
