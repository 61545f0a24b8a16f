import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMetrics, ratesBetween, snapshotOf, threadCpuBetween } from './scale-metrics.ts';

const WANTED = new Set(['nodejs_eventloop_lag_mean_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'nodejs_gc_duration_seconds_sum', 'nodejs_gc_duration_seconds_count', 'apiserver_request_total', 'apiserver_request_duration_seconds_sum', 'apiserver_flowcontrol_dispatched_requests_total', 'apiserver_flowcontrol_request_wait_duration_seconds_sum', 'apiserver_flowcontrol_request_wait_duration_seconds_count']);

const text = (binds: number, creates: number, bindSeconds: number) => `# HELP apiserver_request_total x
# TYPE apiserver_request_total counter
apiserver_request_total{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="binding",scope="resource",component="apiserver",code="201"} ${binds}
apiserver_request_total{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="201"} ${creates}
apiserver_request_total{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="429"} 2
apiserver_request_duration_seconds_sum{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="binding",scope="resource",component="apiserver"} ${bindSeconds}
apiserver_flowcontrol_dispatched_requests_total{priority_level="workload-high",flow_schema="kube-scheduler"} ${binds}
apiserver_flowcontrol_request_wait_duration_seconds_sum{execute="true",priority_level="workload-high",flow_schema="kube-scheduler"} ${binds * 0.002}
apiserver_flowcontrol_request_wait_duration_seconds_count{execute="true",priority_level="workload-high",flow_schema="kube-scheduler"} ${binds}
apiserver_flowcontrol_request_wait_duration_seconds_sum{execute="false",priority_level="workload-high",flow_schema="kube-scheduler"} 99
process_cpu_seconds_total 5
nodejs_gc_duration_seconds_sum{kind="major"} ${binds / 100}
nodejs_gc_duration_seconds_count{kind="minor"} ${binds * 3}
nodejs_eventloop_lag_mean_seconds ${binds / 10_000}
nodejs_eventloop_lag_p99_seconds 0.0355
nodejs_eventloop_lag_max_seconds 0.25
`;

test('rates between two /metrics readings: per kind (codes summed) with mean latency, per APF flow with mean wait', () => {
  const a = snapshotOf(parseMetrics(text(10, 100, 1), WANTED), 0);
  const b = snapshotOf(parseMetrics(text(110, 1100, 11), WANTED), 2000);
  const r = ratesBetween(a, b);
  assert.equal(r.seconds, 2);
  assert.deepEqual(r.requests, [
    { kind: 'POST pods', perSec: 500, total: 1000, meanMs: 0 },
    { kind: 'POST pods/binding', perSec: 50, total: 100, meanMs: 100 },
  ]);
  assert.deepEqual(r.apf, [{ flow: 'workload-high/kube-scheduler', perSec: 50, meanWaitMs: 2, rejected: 0 }]);
  assert.deepEqual(r.gcSeconds, { major: 1 });
  assert.deepEqual(r.gcCount, { minor: 300 });
  // prom-client resets its event-loop histogram per read: the phase's is the later reading's.
  assert.deepEqual(r.serverLoopDelayMs, { mean: 11, p99: 35.5, max: 250 });
});

test('thread CPU between two readings, busiest first, idle threads left out', () => {
  const t = threadCpuBetween(new Map([['main', 1], ['WorkerThread', 2], ['V8Worker', 3]]), new Map([['main', 5], ['WorkerThread', 3], ['V8Worker', 3]]), 10);
  assert.deepEqual(t, [{ thread: 'main', cpuSeconds: 4, pctOfOneCore: 40 }, { thread: 'WorkerThread', cpuSeconds: 1, pctOfOneCore: 10 }]);
});
