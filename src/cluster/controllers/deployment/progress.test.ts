/** Progress conditions (deployment/progress.go) without a server: a recording client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import type { DeploymentContext } from './context.ts';
import { syncRolloutStatus } from './progress.ts';
import { maxScaledDown } from './rolling.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function context(now: number) {
  const written: K8sObject[] = [];
  const requeued: Array<[string, number | 'rate-limited']> = [];
  const client = {
    async update(_r: unknown, _ns: string, obj: K8sObject) {
      written.push(structuredClone(obj));
      return obj;
    },
  } as unknown as ApiClient;
  const queue = { addAfter: (k: string, ms: number) => requeued.push([k, ms]), addRateLimited: (k: string) => requeued.push([k, 'rate-limited']) };
  const ctx = { client, recorder: { event() {} }, now: () => now, queue } as unknown as DeploymentContext;
  return { ctx, written, requeued };
}

const rs = (name: string, replicas: number, available: number): K8sObject => ({ metadata: { name, uid: name }, spec: { replicas }, status: { replicas, readyReplicas: available, availableReplicas: available } });

function deployment(status: Record<string, any>): K8sObject {
  return {
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: { replicas: 3, progressDeadlineSeconds: 60, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    status,
  };
}

const progressing = (reason: string, at: number) => ({ type: 'Progressing', status: 'True', reason, lastUpdateTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'), lastTransitionTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') });

test('no progress for progressDeadlineSeconds: Progressing False ProgressDeadlineExceeded with upstream message', async () => {
  const { ctx, written } = context(T0 + 61_000);
  const newRS = rs('web-new', 1, 0);
  const d = deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1, conditions: [progressing('ReplicaSetUpdated', T0)] });
  await syncRolloutStatus(ctx, [rs('web-old', 3, 3), newRS], newRS, d);
  const c = written.at(-1)!.status.conditions.find((x: { type: string }) => x.type === 'Progressing');
  assert.equal(c.status, 'False');
  assert.equal(c.reason, 'ProgressDeadlineExceeded');
  assert.equal(c.message, 'ReplicaSet "web-new" has timed out progressing.');
});

test('before the deadline nothing changes but a requeue for when it passes', async () => {
  const { ctx, written, requeued } = context(T0 + 10_000);
  const newRS = rs('web-new', 1, 0);
  const status = {
    observedGeneration: 2, replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: 'x', lastTransitionTime: 'x' },
      progressing('ReplicaSetUpdated', T0),
    ],
  };
  await syncRolloutStatus(ctx, [rs('web-old', 3, 3), newRS], newRS, deployment(status));
  assert.equal(written.length, 0);
  assert.deepEqual(requeued, [['default/web', 51_000]]);
});

test('complete: NewReplicaSetAvailable, Available True', async () => {
  const { ctx, written } = context(T0);
  const newRS = rs('web-new', 3, 3);
  await syncRolloutStatus(ctx, [rs('web-old', 0, 0), newRS], newRS, deployment({ conditions: [progressing('ReplicaSetUpdated', T0)] }));
  const s = written.at(-1)!.status;
  assert.equal(s.conditions.find((x: { type: string }) => x.type === 'Progressing').message, 'ReplicaSet "web-new" has successfully progressed.');
  assert.equal(s.conditions.find((x: { type: string }) => x.type === 'Available').reason, 'MinimumReplicasAvailable');
});

test('maxScaledDown: old pods may go only while replicas - maxUnavailable stay available', () => {
  const d = deployment({});
  // 3 old available + 1 new not yet available, maxUnavailable 0: nothing may go.
  assert.equal(maxScaledDown([rs('old', 3, 3), rs('new', 1, 0)], rs('new', 1, 0), d), 0);
  // The new pod became available: one old pod may go.
  assert.equal(maxScaledDown([rs('old', 3, 3), rs('new', 1, 1)], rs('new', 1, 1), d), 1);
});
