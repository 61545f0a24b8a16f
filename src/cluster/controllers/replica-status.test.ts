import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calculateReplicaStatus } from './replica-status.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const rs = { metadata: { name: 'web', generation: 2 }, spec: { replicas: 3, minReadySeconds: 10, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } }, status: {} };
const pod = (labels: Record<string, string>, readySince?: string) => ({
  metadata: { name: 'p', labels },
  status: { conditions: readySince ? [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] : [] },
});

test('status counts fully labeled, ready and available (minReadySeconds) pods', () => {
  const s = calculateReplicaStatus(rs, [pod({ app: 'web', tier: 'fe' }, '2026-01-01T11:00:00Z'), pod({ app: 'web' }, '2026-01-01T11:59:55Z'), pod({ app: 'web', tier: 'fe' })], undefined, NOW);
  assert.deepEqual({ ...s, conditions: undefined }, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: undefined, conditions: undefined });
});

test('a create error sets ReplicaFailure FailedCreate with the error message; success removes it', () => {
  const err = new Error('pods "web-" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1');
  const s = calculateReplicaStatus(rs, [], err, NOW);
  assert.deepEqual(s.conditions, [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T12:00:00Z', reason: 'FailedCreate', message: err.message }]);
  const s2 = calculateReplicaStatus({ ...rs, status: { conditions: s.conditions } }, [], undefined, NOW);
  assert.equal(s2.conditions, undefined);
});
