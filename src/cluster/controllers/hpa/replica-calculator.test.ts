/**
 * The replica calculation against upstream's table cases (pkg/controller/podautoscaler
 * replica_calculator_test.go: ScaleUp, ScaleUpUnreadyLessScale, ScaleUpUnreadyNoScale,
 * ScaleUpIgnoresFailedPods, ScaleUpIgnoresDeletionPods, ScaleDown, ScaleDownIncludeUnreadyPods,
 * Tolerance) plus missing-metric and cpu-initialization cases worked by hand from the algorithm.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../client/types.ts';
import { formatTime } from '../pod-util.ts';
import { getRawResourceReplicas, getResourceReplicas, type PodMetricsInfo } from './replica-calculator.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const LONG_AGO = NOW - 3_600_000;

interface PodSpec {
  ready?: boolean;
  phase?: string;
  deleting?: boolean;
  request?: number;
  /** Start time; readiness transition 10 s after it. */
  start?: number;
  transition?: number;
}

function pods(specs: PodSpec[]): K8sObject[] {
  return specs.map((s, i) => {
    const start = s.start ?? LONG_AGO;
    return {
      metadata: { name: `test-pod-${i}`, namespace: 'test-namespace', ...(s.deleting ? { deletionTimestamp: formatTime(NOW) } : {}) },
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: `${s.request ?? 1000}m` } } }] },
      status: {
        phase: s.phase ?? 'Running',
        startTime: formatTime(start),
        conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True', lastTransitionTime: formatTime(s.transition ?? (s.ready === false ? start : start + 10_000)) }],
      },
    };
  });
}

const levels = (values: Array<number | undefined>, at = NOW): PodMetricsInfo =>
  new Map(values.flatMap((v, i) => (v === undefined ? [] : [[`test-pod-${i}`, { value: v, timestamp: at, windowMs: 30_000 }] as const])));

const n = (count: number, s: PodSpec = {}): PodSpec[] => Array.from({ length: count }, () => ({ ...s }));

describe('getResourceReplicas (utilization targets)', () => {
  const cases: Array<{ name: string; current: number; pods: PodSpec[]; levels: Array<number | undefined>; target: number; replicas: number; utilization: number; raw: number }> = [
    { name: 'ScaleUp', current: 3, pods: n(3), levels: [300, 500, 700], target: 30, replicas: 5, utilization: 50, raw: 500 },
    { name: 'ScaleUpUnreadyLessScale', current: 3, pods: [{ ready: false }, {}, {}], levels: [300, 500, 700], target: 30, replicas: 4, utilization: 60, raw: 600 },
    { name: 'ScaleUpUnreadyNoScale', current: 3, pods: [{}, { ready: false }, { ready: false }], levels: [400, 500, 700], target: 30, replicas: 3, utilization: 40, raw: 400 },
    { name: 'ScaleUpIgnoresFailedPods', current: 2, pods: [{}, {}, { phase: 'Failed', ready: false }, { phase: 'Failed', ready: false }], levels: [500, 700, 100, 100], target: 30, replicas: 4, utilization: 60, raw: 600 },
    { name: 'ScaleUpIgnoresDeletionPods', current: 2, pods: [{}, {}, { deleting: true }, { deleting: true }], levels: [500, 700, 100, 100], target: 30, replicas: 4, utilization: 60, raw: 600 },
    { name: 'ScaleDown', current: 5, pods: n(5), levels: [100, 300, 500, 250, 250], target: 50, replicas: 3, utilization: 28, raw: 280 },
    { name: 'ScaleDownIncludeUnreadyPods', current: 5, pods: [{}, {}, {}, { ready: false }, { ready: false }], levels: [100, 300, 500, 250, 250], target: 50, replicas: 2, utilization: 30, raw: 300 },
    { name: 'Tolerance', current: 3, pods: [{ request: 900 }, { request: 1000 }, { request: 1100 }], levels: [1010, 1030, 1020], target: 100, replicas: 3, utilization: 102, raw: 1020 },
    // Missing metrics on a scale-up count as 0: (2000 + 0) / 2000 = 100% of a 50% target → 4.
    { name: 'MissingMetricsScaleUp', current: 2, pods: n(2), levels: [2000, undefined], target: 50, replicas: 4, utilization: 200, raw: 2000 },
    // ... and on a scale-down as their whole request: (300 + 1000) / 4000 = 32% of 50% → ceil(0.64 × 4) = 3.
    { name: 'MissingMetricsScaleDown', current: 4, pods: n(4), levels: [100, 100, 100, undefined], target: 50, replicas: 3, utilization: 10, raw: 100 },
    // A correction that would reverse the direction keeps the current count: 0% → missing at 100% → above target.
    { name: 'MissingMetricsFlipKeepsCurrent', current: 4, pods: n(4), levels: [400, 95, undefined, undefined], target: 50, replicas: 4, utilization: 24, raw: 247 },
    // The 200m-on-100m case of the integration test: 200% of a 50% target → 4 × 1 pod.
    { name: 'DoubleRequestAtHalfTarget', current: 1, pods: [{ request: 100 }], levels: [200], target: 50, replicas: 4, utilization: 200, raw: 200 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = getResourceReplicas(c.current, c.target, 'cpu', pods(c.pods), levels(c.levels), NOW);
      assert.deepEqual(p, { replicas: c.replicas, utilization: c.utilization, rawAverage: c.raw });
    });
  }

  test('a pod still initializing whose sample predates one window after readiness is unready (scale-up counts it as 0)', () => {
    const hot = { start: NOW - 60_000, transition: NOW - 10_000 };
    const p = getResourceReplicas(3, 30, 'cpu', pods([hot, {}, {}]), levels([300, 500, 700]), NOW);
    assert.deepEqual(p, { replicas: 4, utilization: 60, rawAverage: 600 });
  });

  test('errors as upstream: no pods, a container without request, no ready metrics', () => {
    assert.throws(() => getResourceReplicas(1, 50, 'cpu', [], levels([1]), NOW), /^Error: no pods returned by selector while calculating replica count$/);
    const noRequest = pods(n(1));
    noRequest[0]!.spec!.containers[0].resources = {};
    assert.throws(() => getResourceReplicas(1, 50, 'cpu', noRequest, levels([1]), NOW), /^Error: missing request for cpu in container c of Pod test-pod-0$/);
    assert.throws(() => getResourceReplicas(1, 50, 'cpu', pods([{ phase: 'Pending' }]), levels([1]), NOW), /did not receive metrics for targeted pods \(pods might be unready\)/);
  });
});

describe('getRawResourceReplicas (average value targets)', () => {
  test('average 500m against 250m doubles the ready pods', () => {
    assert.deepEqual(getRawResourceReplicas(3, 250, 'cpu', pods(n(3)), levels([300, 500, 700]), NOW), { replicas: 6, rawAverage: 500 });
  });
  test('within tolerance keeps the count', () => {
    assert.deepEqual(getRawResourceReplicas(3, 480, 'cpu', pods(n(3)), levels([300, 500, 700]), NOW), { replicas: 3, rawAverage: 500 });
  });
  test('missing pods count as the target on a scale-down', () => {
    // (100 + 100 + 500) / 3 = 233 of 500 → ceil(0.466 × 3) = 2.
    assert.deepEqual(getRawResourceReplicas(3, 500, 'cpu', pods(n(3)), levels([100, 100, undefined]), NOW), { replicas: 2, rawAverage: 100 });
  });
});
