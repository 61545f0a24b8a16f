import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podsToPreempt, preemptable, preemptionGroups, requirementsText } from './preemption.ts';

const Mi = 1024n * 1024n;
const CRITICAL = 2_000_000_000;

/** A pod with these requests (Guaranteed when `guaranteed`: limits equal to requests) and priority. */
function pod(name: string, o: { cpu?: string; memory?: string; guaranteed?: boolean; priority?: number } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const resources = Object.keys(requests).length ? { requests, ...(o.guaranteed ? { limits: requests } : {}) } : undefined;
  return { metadata: { name }, spec: { containers: [{ name: 'c', ...(resources ? { resources } : {}) }], ...(o.priority !== undefined ? { priority: o.priority } : {}) } };
}
const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);
const critical = pod('critical', { cpu: '100m', memory: '100Mi', priority: CRITICAL });

test('preemptable: a critical pod preempts any non-critical one; otherwise only a higher priority, both set', () => {
  assert.equal(preemptable(critical, pod('x')), true);
  assert.equal(preemptable(critical, pod('x', { priority: 1_000_000_000 })), true);
  assert.equal(preemptable(critical, pod('node-critical', { priority: 2_000_001_000 })), false);
  assert.equal(preemptable(critical, pod('same', { priority: CRITICAL })), false);
  assert.equal(preemptable(pod('a', { priority: 10 }), pod('b', { priority: 5 })), true);
  assert.equal(preemptable(pod('a', { priority: 10 }), pod('b')), false);
});

test('groups: least important first, by priority, then QoS class (BestEffort, Burstable, Guaranteed)', () => {
  const pods = [pod('g0', { cpu: '1', memory: '1Gi', guaranteed: true, priority: 0 }), pod('be100', { priority: 100 }), pod('b0', { cpu: '1', priority: 0 }), pod('be0', { priority: 0 }), pod('b0-2', { memory: '1Mi', priority: 0 })];
  assert.deepEqual(preemptionGroups(critical, pods).map(names), [['be0'], ['b0', 'b0-2'], ['g0'], ['be100']]);
});

test('victims: BestEffort before Burstable before Guaranteed, and the one pod that covers the shortfall', () => {
  const pods = [pod('best-effort'), pod('burstable', { memory: '100Mi' }), pod('high-request-burstable', { memory: '600Mi' }), pod('guaranteed', { cpu: '100m', memory: '100Mi', guaranteed: true }), pod('high-request-guaranteed', { cpu: '100m', memory: '600Mi', guaranteed: true })];
  // One pod place: the BestEffort pod.
  assert.deepEqual(names(podsToPreempt(critical, pods, [{ resource: 'pods', quantity: 1n }])), ['best-effort']);
  // 550Mi: BestEffort frees none; the Burstable pods together are enough, and one of them alone is.
  assert.deepEqual(names(podsToPreempt(critical, pods, [{ resource: 'memory', quantity: 550n * Mi }])), ['high-request-burstable']);
  // 800Mi: both Burstable ones (700Mi) fall 100Mi short, so one Guaranteed pod goes too: the smaller that covers it.
  assert.deepEqual(names(podsToPreempt(critical, pods, [{ resource: 'memory', quantity: 800n * Mi }])), ['guaranteed', 'high-request-burstable', 'burstable']);
});

test('victims: a lower priority goes before a higher one whatever their QoS class', () => {
  const pods = [pod('besteffort-high', { priority: 1000 }), pod('guaranteed-low', { cpu: '1', memory: '1Gi', guaranteed: true, priority: 0 })];
  assert.deepEqual(names(podsToPreempt(critical, pods, [{ resource: 'pods', quantity: 1n }])), ['guaranteed-low']);
});

test('victims: nearest by distance over every resource short; a tie goes to the smaller request (memory, then cpu)', () => {
  const pods = [pod('a', { cpu: '500m', memory: '10Mi' }), pod('b', { cpu: '100m', memory: '200Mi' }), pod('c', { cpu: '600m', memory: '100Mi' })];
  assert.deepEqual(names(podsToPreempt(critical, pods, [{ resource: 'cpu', quantity: 500n }, { resource: 'memory', quantity: 100n * Mi }])), ['c']);
  const tie = [pod('big', { memory: '300Mi' }), pod('small', { memory: '200Mi' }), pod('small-more-cpu', { cpu: '1', memory: '200Mi' })];
  assert.deepEqual(names(podsToPreempt(critical, tie, [{ resource: 'memory', quantity: 100n * Mi }])), ['small']);
  // Fewest pods: the one as big as the shortfall, not three small ones.
  const few = [pod('s1', { memory: '100Mi' }), pod('s2', { memory: '100Mi' }), pod('s3', { memory: '100Mi' }), pod('l', { memory: '300Mi' })];
  assert.deepEqual(names(podsToPreempt(critical, few, [{ resource: 'memory', quantity: 300n * Mi }])), ['l']);
});

test('no set of pods frees enough (critical pods are never victims): upstream\'s error', () => {
  const pods = [pod('node-critical', { memory: '1Gi', priority: 2_000_001_000 }), pod('small', { memory: '50Mi' })];
  assert.throws(() => podsToPreempt(critical, pods, [{ resource: 'memory', quantity: 100n * Mi }]), { message: `no set of running pods found to reclaim resources: [(res: memory, q: ${50n * Mi}), ]` });
  assert.equal(requirementsText([{ resource: 'cpu', quantity: 250n }, { resource: 'pods', quantity: 1n }]), '[(res: cpu, q: 250), (res: pods, q: 1), ]');
});
