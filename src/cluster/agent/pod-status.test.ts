import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { computePodStatus, imageIdOf } from './pod-status.ts';
import type { ContainerStatus } from './runtime/types.ts';

const ref = { uid: 'u1', namespace: 'ns', name: 'p' };
const sandbox = { id: 's1', pod: ref, state: 'ready' as const, createdAt: '2026-01-01T00:00:00.000Z', namespaces: {} };
const ctr = (name: string, attempt: number, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  id: `${name}-${attempt}`, sandboxId: 's1', pod: ref, name, attempt, imageRef: 'reg.test/app:1', imageDigest: 'sha256:ab', state,
  createdAt: `2026-01-01T00:00:0${attempt}.000Z`, startedAt: '2026-01-01T00:00:01.000Z', logPath: '/x', ...extra,
});
const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'a', image: 'reg.test/app:1' }], ...spec } });
const base = { hostIP: '10.0.0.1', now: Date.UTC(2026, 0, 1, 0, 1), scheme: 'runc' };
const status = (p: Pod, containers: ContainerStatus[], waiting = new Map(), terminal = false) => computePodStatus(p, { view: { sandbox, containers }, waiting, terminal, ...base }) as Record<string, any>;

test('phase follows the kubelet getPhase table', () => {
  const exited = (code: number) => ctr('a', 0, 'exited', { exitCode: code, finishedAt: '2026-01-01T00:00:05.000Z' });
  assert.equal(status(pod({}), []).phase, 'Pending');
  assert.equal(status(pod({}), [ctr('a', 0, 'running')]).phase, 'Running');
  assert.equal(status(pod({ restartPolicy: 'Always' }), [exited(0)]).phase, 'Running', 'Always: restarting');
  assert.equal(status(pod({ restartPolicy: 'Never' }), [exited(0)]).phase, 'Succeeded');
  assert.equal(status(pod({ restartPolicy: 'Never' }), [exited(2)]).phase, 'Failed');
  assert.equal(status(pod({ restartPolicy: 'OnFailure' }), [exited(2)]).phase, 'Running');
  assert.equal(status(pod({ restartPolicy: 'Always' }), [exited(143)], new Map(), true).phase, 'Failed', 'terminal: no restart');
  const init = pod({ restartPolicy: 'Never', initContainers: [{ name: 'i', image: 'x' }] });
  assert.equal(status(init, [ctr('i', 0, 'exited', { exitCode: 1 })]).phase, 'Failed', 'a failed init container with Never');
  assert.equal(status(init, [ctr('i', 0, 'running')]).phase, 'Pending');
});

test('waiting reasons, lastState, conditions and ids as upstream', () => {
  const p = pod({ initContainers: [{ name: 'i', image: 'x' }] });
  const s = status(p, [ctr('i', 0, 'running')]);
  assert.deepEqual(s.containerStatuses[0].state, { waiting: { reason: 'PodInitializing' } });
  assert.deepEqual(s.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['PodReadyToStartContainers', 'True', undefined, undefined],
    ['Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [i]'],
    ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [a]'],
    ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [a]'],
    ['PodScheduled', 'True', undefined, undefined],
  ]);
  const crash = status(pod({}), [ctr('a', 0, 'exited', { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:03.000Z' }), ctr('a', 1, 'exited', { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:06.000Z' })], new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 10s' }]]));
  const cs = crash.containerStatuses[0];
  assert.equal(cs.restartCount, 1);
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } });
  assert.equal(cs.lastState.terminated.finishedAt, '2026-01-01T00:00:06Z');
  assert.equal(cs.lastState.terminated.containerID, 'runc://a-1');
  assert.equal(cs.imageID, 'reg.test/app@sha256:ab');
  assert.equal(crash.podIP, undefined, 'no pod IP without a network plugin');
  assert.equal(status(pod({ hostNetwork: true }), []).podIP, '10.0.0.1');
});

test('imageIdOf strips the tag, keeps the registry port', () => {
  assert.equal(imageIdOf('localhost:5000/a/b:v1', 'sha256:1'), 'localhost:5000/a/b@sha256:1');
  assert.equal(imageIdOf('busybox', 'sha256:1'), 'busybox@sha256:1');
  assert.equal(imageIdOf('r/x@sha256:9', 'sha256:9'), 'r/x@sha256:9');
});

test('a pod shut down before it ran ends Failed, not Pending', () => {
  assert.equal(status(pod({}), [], new Map(), true).phase, 'Failed');
});

test("the prober's verdict sets started/ready; readiness gates hold Ready back; others' conditions stay", () => {
  const verdict = (started: boolean, ready: boolean) => ({ started: () => started, ready: () => ready });
  const run = (p: Pod, probes: ReturnType<typeof verdict>) => computePodStatus(p, { view: { sandbox, containers: [ctr('a', 0, 'running')] }, waiting: new Map(), probes, ...base }) as Record<string, any>;
  const cond = (s: Record<string, any>, type: string) => s.conditions.find((c: any) => c.type === type);
  let s = run(pod({}), verdict(false, false));
  assert.deepEqual([s.containerStatuses[0].started, s.containerStatuses[0].ready], [false, false], 'before the startup probe succeeded');
  s = run(pod({}), verdict(true, false));
  assert.deepEqual([s.containerStatuses[0].started, s.containerStatuses[0].ready], [true, false]);
  assert.deepEqual([cond(s, 'Ready').status, cond(s, 'Ready').reason, cond(s, 'Ready').message], ['False', 'ContainersNotReady', 'containers with unready status: [a]']);
  s = run(pod({ readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] }), verdict(true, true));
  assert.equal(cond(s, 'ContainersReady').status, 'True');
  assert.deepEqual([cond(s, 'Ready').status, cond(s, 'Ready').reason], ['False', 'ReadinessGatesNotReady']);
  assert.equal(cond(s, 'Ready').message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist., corresponding condition of pod readiness gate "example.com/dns" does not exist.');
  const gated: Pod = { ...pod({ readinessGates: [{ conditionType: 'example.com/lb' }] }), status: { conditions: [{ type: 'example.com/lb', status: 'False' }] } };
  s = run(gated, verdict(true, true));
  assert.equal(cond(s, 'Ready').message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');
  assert.deepEqual(cond(s, 'example.com/lb'), { type: 'example.com/lb', status: 'False' }, 'a condition the agent does not own is kept as it is');
  gated.status!.conditions![0]!.status = 'True';
  assert.equal(cond(run(gated, verdict(true, true)), 'Ready').status, 'True');
});
