/** Upstream's TestScale and TestDeploymentController_cleanupDeployment tables (deployment/sync_test.go). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import type { DeploymentContext } from './context.ts';
import { maxSurge, setReplicasAnnotations } from './math.ts';
import { cleanupDeployment, scale } from './sync.ts';

const newTs = '2026-01-01T00:00:10Z';
const oldTs = '2026-01-01T00:00:05Z';
const olderTs = '2026-01-01T00:00:01Z';

function deployment(replicas: number, surge = 0, unavailable = 0, revisionHistoryLimit?: number): K8sObject {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: { replicas, revisionHistoryLimit, selector: { matchLabels: { foo: 'bar' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
  };
}

function rs(name: string, replicas: number, ts: string): K8sObject {
  return { metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: ts }, spec: { replicas }, status: { replicas, availableReplicas: replicas } };
}

/** A client that records what the controller writes and answers with it. */
function recordingContext(): { ctx: DeploymentContext; updated: Map<string, number>; deleted: string[] } {
  const updated = new Map<string, number>();
  const deleted: string[] = [];
  const client = {
    async update(_r: unknown, _ns: string, obj: K8sObject) {
      updated.set(obj.metadata.name!, obj.spec.replicas);
      return obj;
    },
    async delete(_r: unknown, _ns: string, name: string) {
      deleted.push(name);
    },
  } as unknown as ApiClient;
  const ctx = { client, recorder: { event() {} }, now: () => Date.parse('2026-01-01T00:01:00Z') } as unknown as DeploymentContext;
  return { ctx, updated, deleted };
}

interface ScaleCase {
  name: string;
  d: K8sObject;
  old: K8sObject;
  newRS?: [string, number, string];
  oldRSs: Array<[string, number, string]>;
  expectedNew?: number;
  expectedOld: number[];
  newUnavailable?: boolean;
}

const cases: ScaleCase[] = [
  { name: 'normal scaling event: 10 -> 12', d: deployment(12), old: deployment(10), newRS: ['foo-v1', 10, newTs], oldRSs: [], expectedNew: 12, expectedOld: [] },
  { name: 'normal scaling event: 10 -> 5', d: deployment(5), old: deployment(10), newRS: ['foo-v1', 10, newTs], oldRSs: [], expectedNew: 5, expectedOld: [] },
  { name: 'proportional scaling: 5 -> 10', d: deployment(10), old: deployment(5), newRS: ['foo-v2', 2, newTs], oldRSs: [['foo-v1', 3, oldTs]], expectedNew: 4, expectedOld: [6] },
  { name: 'proportional scaling: 5 -> 3', d: deployment(3), old: deployment(5), newRS: ['foo-v2', 2, newTs], oldRSs: [['foo-v1', 3, oldTs]], expectedNew: 1, expectedOld: [2] },
  { name: 'proportional scaling: 9 -> 4', d: deployment(4), old: deployment(9), newRS: ['foo-v2', 8, newTs], oldRSs: [['foo-v1', 1, oldTs]], expectedNew: 4, expectedOld: [0] },
  { name: 'proportional scaling: 7 -> 10', d: deployment(10), old: deployment(7), newRS: ['foo-v3', 2, newTs], oldRSs: [['foo-v2', 3, oldTs], ['foo-v1', 2, olderTs]], expectedNew: 3, expectedOld: [4, 3] },
  { name: 'proportional scaling: 13 -> 8', d: deployment(8), old: deployment(13), newRS: ['foo-v3', 2, newTs], oldRSs: [['foo-v2', 8, oldTs], ['foo-v1', 3, olderTs]], expectedNew: 1, expectedOld: [5, 2] },
  { name: 'leftover distribution: 3 -> 4', d: deployment(4), old: deployment(3), newRS: ['foo-v3', 1, newTs], oldRSs: [['foo-v2', 1, oldTs], ['foo-v1', 1, olderTs]], expectedNew: 2, expectedOld: [1, 1] },
  { name: 'leftover distribution: 3 -> 2', d: deployment(2), old: deployment(3), newRS: ['foo-v3', 1, newTs], oldRSs: [['foo-v2', 1, oldTs], ['foo-v1', 1, olderTs]], expectedNew: 1, expectedOld: [1, 0] },
  { name: 'proportional scaling (no new rs): 4 -> 5', d: deployment(5), old: deployment(4), oldRSs: [['foo-v2', 2, oldTs], ['foo-v1', 2, olderTs]], expectedOld: [3, 2] },
  { name: 'proportional scaling: 6 -> 0', d: deployment(0), old: deployment(6), newRS: ['foo-v3', 3, newTs], oldRSs: [['foo-v2', 2, oldTs], ['foo-v1', 1, olderTs]], expectedNew: 0, expectedOld: [0, 0] },
  { name: 'proportional scaling: 0 -> 6', d: deployment(6), old: deployment(6), newRS: ['foo-v3', 0, newTs], oldRSs: [['foo-v2', 0, oldTs], ['foo-v1', 0, olderTs]], expectedNew: 6, expectedOld: [0, 0] },
  { name: 'deployment with surge pods', d: deployment(20, 2), old: deployment(10, 2), newRS: ['foo-v2', 6, newTs], oldRSs: [['foo-v1', 6, oldTs]], expectedNew: 11, expectedOld: [11] },
  { name: 'change both surge and size', d: deployment(50, 6), old: deployment(10, 3), newRS: ['foo-v2', 5, newTs], oldRSs: [['foo-v1', 8, oldTs]], expectedNew: 22, expectedOld: [34] },
  {
    name: 'saturated but broken new replica set does not affect old pods', d: deployment(2, 1, 1), old: deployment(2, 1, 1),
    newRS: ['foo-v2', 2, newTs], oldRSs: [['foo-v1', 1, oldTs]], expectedNew: 2, expectedOld: [1], newUnavailable: true,
  },
];

for (const c of cases) {
  test(`scale: ${c.name}`, async () => {
    const { ctx, updated } = recordingContext();
    const annotate = (x: K8sObject) => setReplicasAnnotations(x, c.old.spec.replicas, c.old.spec.replicas + maxSurge(c.old));
    const newRS = c.newRS ? rs(...c.newRS) : undefined;
    if (newRS) {
      annotate(newRS);
      if (c.newUnavailable) newRS.status.availableReplicas = 0;
    }
    const oldRSs = c.oldRSs.map((a) => rs(...a));
    oldRSs.forEach(annotate);
    await scale(ctx, c.d, newRS, oldRSs);
    const size = (x: K8sObject) => updated.get(x.metadata.name!) ?? x.spec.replicas;
    if (newRS) assert.equal(size(newRS), c.expectedNew, 'new replica set');
    assert.deepEqual(oldRSs.map(size), c.expectedOld, 'old replica sets');
  });
}

const withStatus = (name: string, specReplicas: number, statusReplicas: number): K8sObject => ({
  metadata: { name, namespace: 'default', uid: name, creationTimestamp: oldTs },
  spec: { replicas: specReplicas },
  status: { replicas: statusReplicas },
});

const cleanupCases: Array<{ olds: K8sObject[]; limit: number; deletions: number }> = [
  { olds: [withStatus('foo-1', 0, 0), withStatus('foo-2', 0, 0), withStatus('foo-3', 0, 0)], limit: 1, deletions: 2 },
  { olds: [withStatus('foo-1', 0, 0), withStatus('foo-2', 0, 1), withStatus('foo-3', 1, 0), withStatus('foo-4', 1, 1)], limit: 0, deletions: 1 },
  { olds: [withStatus('foo-1', 0, 0), withStatus('foo-2', 0, 0)], limit: 0, deletions: 2 },
  { olds: [withStatus('foo-1', 1, 1), withStatus('foo-2', 1, 1)], limit: 0, deletions: 0 },
  { olds: [{ ...withStatus('foo-1', 0, 0), metadata: { name: 'foo-1', deletionTimestamp: oldTs } }], limit: 0, deletions: 0 },
  { olds: [withStatus('foo-1', 0, 0), withStatus('foo-2', 0, 0), withStatus('foo-3', 0, 0)], limit: 2147483647, deletions: 0 },
];

cleanupCases.forEach((c, i) => {
  test(`cleanupDeployment: scenario ${i} deletes ${c.deletions}`, async () => {
    const { ctx, deleted } = recordingContext();
    await cleanupDeployment(ctx, c.olds, deployment(1, 0, 0, c.limit));
    assert.equal(deleted.length, c.deletions);
  });
});

test('cleanupDeployment deletes the lowest revision first', async () => {
  const { ctx, deleted } = recordingContext();
  const r1 = withStatus('foo-1', 0, 0);
  const r2 = withStatus('foo-2', 0, 0);
  r1.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
  r2.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
  await cleanupDeployment(ctx, [r1, r2], deployment(1, 0, 0, 1));
  assert.deepEqual(deleted, ['foo-2']);
});
