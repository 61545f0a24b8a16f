import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preparePodStatusUpdate } from './pod-status-strategy.ts';
import type { K8sObject } from './objects.ts';

const stored = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = { qosClass: 'Burstable' }): K8sObject => ({
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'app' }], ...spec },
  status,
});
const prepared = (status: Record<string, unknown>, old = stored()): Record<string, unknown> => {
  const next = { ...old, status };
  preparePodStatusUpdate(next, old);
  return next.status;
};

test('an empty qosClass is taken from the stored pod (podStatusStrategy.PrepareForUpdate)', () => {
  assert.equal(prepared({ phase: 'Running' }).qosClass, 'Burstable');
  assert.equal(prepared({ qosClass: 'Guaranteed' }).qosClass, 'Guaranteed', 'a change is left for validation to refuse');
});

test('podIP is authoritative over podIPs, and podIP follows podIPs[0] (the v1 <-> internal conversion)', () => {
  assert.deepEqual(prepared({ podIP: '10.0.0.2', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] }).podIPs, [{ ip: '10.0.0.2' }]);
  assert.deepEqual(prepared({ podIP: '10.0.0.2' }).podIPs, [{ ip: '10.0.0.2' }]);
  const both = prepared({ podIPs: [{ ip: 'fd00::1' }, { ip: '10.0.0.1' }] });
  assert.equal(both.podIP, 'fd00::1');
  assert.deepEqual(both.podIPs, [{ ip: 'fd00::1' }, { ip: '10.0.0.1' }]);
});

test('1.33 gate defaults: allocatedResourcesStatus is dropped; resourceClaimStatuses only kept for a spec with resourceClaims', () => {
  const cs = [{ name: 'app', allocatedResourcesStatus: [{ name: 'example.com/gpu', resources: [] }], ready: true }];
  const written = { containerStatuses: cs, ephemeralContainerStatuses: [{ name: 'dbg' }], resourceClaimStatuses: [{ name: 'gpu' }] };
  const out = prepared(written);
  assert.deepEqual(out.containerStatuses, [{ name: 'app', ready: true }]);
  assert.equal(out.ephemeralContainerStatuses, written.ephemeralContainerStatuses, 'untouched lists are kept as they are');
  assert.equal(out.resourceClaimStatuses, undefined);
  assert.deepEqual(cs[0]!.allocatedResourcesStatus, [{ name: 'example.com/gpu', resources: [] }], 'the written object is not mutated');
  assert.deepEqual(prepared(written, stored({ resourceClaims: [{ name: 'gpu' }] })).resourceClaimStatuses, [{ name: 'gpu' }]);
});

test('PodObservedGenerationTracking (off in 1.33): observedGeneration dropped from status and conditions unless the stored status uses it', () => {
  const conditions = [{ type: 'Ready', status: 'True', observedGeneration: 1 }, { type: 'Initialized', status: 'True' }];
  const written = { observedGeneration: 1, conditions };
  const out = prepared(written);
  assert.equal(out.observedGeneration, undefined);
  assert.deepEqual(out.conditions, [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }]);
  assert.equal(conditions[0]!.observedGeneration, 1, 'the written object is not mutated');
  assert.deepEqual(prepared(written, stored({}, { observedGeneration: 0, conditions: [{ type: 'Ready', observedGeneration: 0 }] })).observedGeneration, undefined, 'zero is not in use');
  const inUse = prepared(written, stored({}, { conditions: [{ type: 'Ready', status: 'False', observedGeneration: 1 }] }));
  assert.equal(inUse.observedGeneration, 1);
  assert.equal(inUse.conditions, conditions);
  assert.equal(prepared(written, stored({}, { observedGeneration: 2 })).observedGeneration, 1);
});
