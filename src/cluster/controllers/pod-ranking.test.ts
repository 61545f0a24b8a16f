import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podsToDelete } from './pod-ranking.ts';
import type { Pod } from './pod-util.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readyAgo?: number; createdAgo?: number; restarts?: number; cost?: string } = {}): Pod {
  const conditions = o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readyAgo ?? 3_600_000) }] : [];
  return {
    metadata: { name, uid: name, creationTimestamp: iso(o.createdAgo ?? 7_200_000), annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined },
    spec: { nodeName: o.node },
    status: { phase: o.phase ?? 'Running', conditions, containerStatuses: [{ restartCount: o.restarts ?? 0 }] },
  };
}

const order = (pods: Pod[], related = pods) => podsToDelete(pods, related, pods.length - 1, NOW).map((p) => p.metadata.name);

test('unscheduled before scheduled, pending < unknown < running, not ready before ready', () => {
  const pods = [
    pod('running-ready', { node: 'n1', ready: true }),
    pod('running', { node: 'n2' }),
    pod('unknown', { node: 'n3', phase: 'Unknown' }),
    pod('pending', { node: 'n4', phase: 'Pending' }),
    pod('unscheduled', { phase: 'Pending' }),
  ];
  assert.deepEqual(order(pods), ['unscheduled', 'pending', 'unknown', 'running']);
});

test('lower pod-deletion-cost first, then doubled-up nodes first', () => {
  assert.deepEqual(order([pod('a', { node: 'n1', ready: true, cost: '10' }), pod('b', { node: 'n2', ready: true, cost: '-5' })]), ['b']);
  // A leading zero (or '+') makes GetDeletionCostFromPodAnnotations fail: the cost is 0, below 5.
  assert.deepEqual(order([pod('five', { node: 'n1', ready: true, cost: '5' }), pod('zero-padded', { node: 'n2', ready: true, cost: '007' })]), ['zero-padded']);
  const pods = [pod('alone', { node: 'n1', ready: true }), pod('crowded', { node: 'n2', ready: true })];
  const related = [...pods, pod('other', { node: 'n2', ready: true })];
  assert.deepEqual(podsToDelete(pods, related, 1, NOW).map((p) => p.metadata.name), ['crowded']);
});

test('ready more recently first (log2 buckets), then more restarts, then newer', () => {
  // 1 minute vs 10 hours ready: different buckets, the recent one goes.
  assert.deepEqual(order([pod('old', { node: 'n1', ready: true, readyAgo: 36_000_000 }), pod('new', { node: 'n2', ready: true, readyAgo: 60_000 })]), ['new']);
  assert.deepEqual(order([pod('calm', { node: 'n1', restarts: 0 }), pod('flappy', { node: 'n2', restarts: 4 })]), ['flappy']);
  assert.deepEqual(order([pod('older', { node: 'n1', createdAgo: 36_000_000 }), pod('younger', { node: 'n2', createdAgo: 60_000 })]), ['younger']);
});

test('all pods are returned unsorted when all are to go', () => {
  const pods = [pod('a'), pod('b')];
  assert.equal(podsToDelete(pods, pods, 5, NOW).length, 2);
});
