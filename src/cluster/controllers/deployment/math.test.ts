import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxSurge, maxUnavailable, newRSNewReplicas, resolveFenceposts, roundHalfAway, scaledValue } from './math.ts';

const dep = (replicas: number, maxSurge: number | string, maxUnavailable: number | string, type = 'RollingUpdate') => ({
  metadata: { name: 'foo' },
  spec: { replicas, strategy: { type, rollingUpdate: { maxSurge, maxUnavailable } } },
});
const rs = (replicas: number) => ({ metadata: { name: 'rs' }, spec: { replicas } });

test('resolveFenceposts: upstream TestResolveFenceposts (surge rounds up, unavailable down, 0/0 is 0/1)', () => {
  assert.deepEqual(resolveFenceposts('39%', '39%', 10), { surge: 4, unavailable: 3 });
  assert.deepEqual(resolveFenceposts(undefined, '39%', 10), { surge: 0, unavailable: 3 });
  assert.deepEqual(resolveFenceposts('39%', undefined, 10), { surge: 4, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(undefined, undefined, 10), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(0, 0, 0), { surge: 0, unavailable: 1 });
  assert.throws(() => resolveFenceposts('oops', '1%', 10), /is not a percentage/);
  assert.throws(() => resolveFenceposts('55%', 'urg', 10), /is not a percentage/);
});

test('scaledValue: 25% of 3 is 1 surge and 0 unavailable', () => {
  assert.equal(scaledValue('25%', 3, true), 1);
  assert.equal(scaledValue('25%', 3, false), 0);
  assert.equal(scaledValue(2, 3, false), 2);
});

test('maxUnavailable is capped by replicas and 0 for Recreate or 0 replicas; maxSurge 0 for Recreate', () => {
  assert.equal(maxUnavailable(dep(2, 0, 5)), 2);
  assert.equal(maxUnavailable(dep(0, 1, 1)), 0);
  assert.equal(maxUnavailable(dep(4, 1, 1, 'Recreate')), 0);
  assert.equal(maxSurge(dep(4, 1, 1, 'Recreate')), 0);
  assert.equal(maxSurge(dep(10, '25%', '25%')), 3);
  assert.equal(maxUnavailable(dep(10, '25%', '25%')), 2);
});

test('newRSNewReplicas: grows the new ReplicaSet up to replicas + maxSurge pods in all', () => {
  // 3 replicas, surge 1: old 3 + new 0 -> new may have 1.
  const n0 = rs(0);
  assert.equal(newRSNewReplicas(dep(3, 1, 0), [rs(3), n0], n0), 1);
  // Already at 4 pods in all: no growth.
  const n1 = rs(1);
  assert.equal(newRSNewReplicas(dep(3, 1, 0), [rs(3), n1], n1), 1);
  // Never beyond replicas.
  const n2 = rs(2);
  assert.equal(newRSNewReplicas(dep(3, 5, 0), [rs(0), n2], n2), 3);
  // Recreate: straight to replicas.
  assert.equal(newRSNewReplicas(dep(3, 1, 0, 'Recreate'), [rs(3), n0], n0), 3);
});

test('roundHalfAway rounds halves away from zero as Go math.Round', () => {
  assert.equal(roundHalfAway(2.5), 3);
  assert.equal(roundHalfAway(-2.5), -3);
  assert.equal(roundHalfAway(-2.4), -2);
});
