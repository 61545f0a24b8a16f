import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock, settle } from '../../client/fake-clock.ts';
import { ProbeManager } from './probe-manager.ts';
import { podLabelName } from './probe-metrics.ts';
import type { ProbeOutcome } from './outcome.ts';

const probe: Probe = { exec: { command: ['true'] }, periodSeconds: 10, failureThreshold: 3 };

test('prober_probe_total counts results by type, duration observes the successful ones; an error is not counted; the series go with the pod', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const c: Container = { name: 'app', readinessProbe: { ...probe }, livenessProbe: { ...probe } };
  const answers: Record<string, ProbeOutcome> = { readiness: { result: 'failure', output: 'no' }, liveness: { result: 'success', output: '' } };
  // The liveness probe takes 30 ms on the injected clock.
  let spent = 0;
  const m = new ProbeManager({
    now: () => clock.now() + spent, timers: clock, event() {}, changed() {},
    run: async (p) => {
      if (p === c.livenessProbe) spent += 30;
      return p === c.livenessProbe ? answers.liveness! : answers.readiness!;
    },
  });
  const pod: Pod = { metadata: { uid: 'u1', name: 'web-7d9f8b6c5-x2kq4', generateName: 'web-7d9f8b6c5-', namespace: 'ns', labels: { 'pod-template-hash': '7d9f8b6c5' } }, spec: { containers: [c] } };
  m.update(pod, '10.0.0.5', new Map([['app', { id: 'c1', running: true, startedAt: clock.now() }]]));
  await settle();
  answers.readiness = { result: 'error', output: 'no pod IP' };
  await clock.advance(10_000);
  const text = await m.metrics.text();
  const lines = text.split('\n');
  assert.ok(lines.includes('# HELP prober_probe_total [ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.'));
  assert.ok(lines.includes('# TYPE prober_probe_total counter'));
  assert.ok(lines.includes('prober_probe_total{container="app",namespace="ns",pod="web",pod_uid="u1",probe_type="Liveness",result="successful"} 2'), text);
  // The errored second readiness probe is thrown away.
  assert.ok(lines.includes('prober_probe_total{container="app",namespace="ns",pod="web",pod_uid="u1",probe_type="Readiness",result="failed"} 1'), text);
  assert.ok(lines.includes('# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds for a probe response.'));
  assert.ok(lines.includes('# TYPE prober_probe_duration_seconds histogram'));
  // `le` last, as the Go client writes it.
  assert.ok(lines.includes('prober_probe_duration_seconds_bucket{container="app",namespace="ns",pod="web",probe_type="Liveness",le="0.025"} 0'), text);
  assert.ok(lines.includes('prober_probe_duration_seconds_bucket{container="app",namespace="ns",pod="web",probe_type="Liveness",le="0.05"} 2'), text);
  assert.ok(lines.includes('prober_probe_duration_seconds_sum{container="app",namespace="ns",pod="web",probe_type="Liveness"} 0.06'), text);
  assert.ok(lines.includes('prober_probe_duration_seconds_count{container="app",namespace="ns",pod="web",probe_type="Liveness"} 2'), text);
  assert.ok(!text.includes('probe_type="Readiness",le='), 'failed probes are not timed');
  m.forget('u1');
  assert.doesNotMatch(await m.metrics.text(), /pod_uid="u1"|pod="web"/);
});

test('the pod label: a generated name without its suffix and pod-template-hash; a given name as it is', () => {
  assert.equal(podLabelName({ metadata: { name: 'web-7d9f8b6c5-x2kq4', generateName: 'web-7d9f8b6c5-', labels: { 'pod-template-hash': '7d9f8b6c5' } } }), 'web');
  assert.equal(podLabelName({ metadata: { name: 'job-abcde', generateName: 'job-' } }), 'job');
  assert.equal(podLabelName({ metadata: { name: 'my-pod-1' } }), 'my-pod-1');
});
