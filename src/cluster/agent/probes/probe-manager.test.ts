import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock, settle } from '../../client/fake-clock.ts';
import { ProbeManager, type ContainerSnapshot } from './probe-manager.ts';
import type { ProbeOutcome } from './outcome.ts';

const T0 = Date.UTC(2026, 0, 1);

function setup(container: Container) {
  const clock = new FakeClock(T0);
  const answers = new Map<string, ProbeOutcome>();
  const runs: string[] = [];
  const events: string[] = [];
  const changes: string[] = [];
  const m = new ProbeManager({
    now: clock.now, timers: clock,
    run: async (p: Probe) => {
      const kind = p === container.livenessProbe ? 'liveness' : p === container.readinessProbe ? 'readiness' : 'startup';
      runs.push(kind);
      return answers.get(kind) ?? { result: 'success', output: '' };
    },
    event: (_pod, c, reason, message) => events.push(`${c.name} ${reason} ${message}`),
    changed: (uid) => changes.push(uid),
  });
  const pod: Pod = { metadata: { uid: 'u1', name: 'p', namespace: 'ns' }, spec: { containers: [container] } };
  const running = (id: string, startedAt = clock.now()): Map<string, ContainerSnapshot> => new Map([[container.name, { id, running: true, startedAt }]]);
  return { clock, answers, runs, events, changes, m, pod, running };
}

const probe = (extra: Partial<Probe> = {}): Probe => ({ exec: { command: ['true'] }, periodSeconds: 10, failureThreshold: 3, successThreshold: 1, ...extra });

test('readiness: not ready until the probe succeeds; failureThreshold failures in a row make it unready again', async () => {
  const c: Container = { name: 'app', readinessProbe: probe({ failureThreshold: 2 }) };
  const s = setup(c);
  s.m.update(s.pod, '10.0.0.5', s.running('c1'));
  assert.equal(s.m.ready('u1', 'app', 'c1'), false, 'before the first probe');
  await settle();
  assert.equal(s.m.ready('u1', 'app', 'c1'), true, 'after one success (successThreshold 1)');
  assert.deepEqual(s.changes, ['u1']);
  s.answers.set('readiness', { result: 'failure', output: 'nope' });
  await s.clock.advance(10_000);
  assert.equal(s.m.ready('u1', 'app', 'c1'), true, 'one failure is below the threshold');
  await s.clock.advance(10_000);
  assert.equal(s.m.ready('u1', 'app', 'c1'), false);
  assert.deepEqual(s.events, ['app Unhealthy Readiness probe failed: nope', 'app Unhealthy Readiness probe failed: nope']);
  assert.deepEqual(s.changes, ['u1', 'u1']);
  assert.equal(s.m.failed('c1'), undefined, 'readiness never kills');
  s.m.stop();
});

test('liveness: healthy until failureThreshold failures, then failed and on hold until a new container', async () => {
  const c: Container = { name: 'app', livenessProbe: probe({ initialDelaySeconds: 15 }) };
  const s = setup(c);
  s.m.update(s.pod, '10.0.0.5', s.running('c1'));
  await settle();
  assert.deepEqual(s.runs, [], 'not probed during initialDelaySeconds');
  s.answers.set('liveness', { result: 'failure', output: 'cat: /tmp/healthy: No such file or directory\n' });
  await s.clock.advance(20_000);
  assert.equal(s.runs.length, 1);
  assert.equal(s.m.failed('c1'), undefined);
  await s.clock.advance(20_000);
  assert.equal(s.m.failed('c1'), 'liveness');
  assert.match(s.events[0]!, /^app Unhealthy Liveness probe failed: cat: \/tmp\/healthy/);
  await s.clock.advance(30_000);
  assert.equal(s.runs.length, 3, 'on hold: no more probes of the failed container');
  // The restarted container starts over from Success.
  s.answers.delete('liveness');
  s.m.update(s.pod, '10.0.0.5', s.running('c2'));
  await s.clock.advance(20_000);
  assert.equal(s.m.failed('c2'), undefined);
  assert.equal(s.m.size.results, 1, 'the old container result is gone');
  s.m.stop();
});

test('startup gates liveness and readiness; a failed startup probe kills', async () => {
  const c: Container = { name: 'app', startupProbe: probe({ periodSeconds: 1, failureThreshold: 2 }), readinessProbe: probe(), livenessProbe: probe() };
  const s = setup(c);
  s.answers.set('startup', { result: 'failure', output: 'not yet' });
  s.m.update(s.pod, '10.0.0.5', s.running('c1'));
  await settle();
  assert.equal(s.m.started('u1', 'app', 'c1'), false);
  assert.equal(s.m.ready('u1', 'app', 'c1'), false);
  assert.deepEqual(s.runs, ['startup'], 'liveness and readiness wait for startup');
  s.answers.delete('startup');
  await s.clock.advance(1_000);
  assert.equal(s.m.started('u1', 'app', 'c1'), true);
  assert.deepEqual(s.runs.slice(0, 2), ['startup', 'startup']);
  assert.ok(s.runs.includes('readiness') && s.runs.includes('liveness'), 'started: the others run at once');
  assert.equal(s.m.ready('u1', 'app', 'c1'), true);

  const s2 = setup(c);
  s2.answers.set('startup', { result: 'failure', output: 'dead' });
  s2.m.update(s2.pod, undefined, s2.running('c1'));
  await s2.clock.advance(1_000);
  assert.equal(s2.m.failed('c1'), 'startup');
  s.m.stop();
  s2.m.stop();
});

test('a probe that cannot run is an event and no result; forget drops the pod', async () => {
  const c: Container = { name: 'app', readinessProbe: probe() };
  const s = setup(c);
  s.answers.set('readiness', { result: 'error', output: 'the pod has no IP address yet' });
  s.m.update(s.pod, undefined, s.running('c1'));
  await settle();
  assert.deepEqual(s.events, ['app Unhealthy Readiness probe errored: the pod has no IP address yet']);
  assert.deepEqual(s.changes, []);
  s.m.forget('u1');
  assert.deepEqual(s.m.size, { workers: 0, results: 0 });
  assert.equal(s.clock.timers, 0);
});
