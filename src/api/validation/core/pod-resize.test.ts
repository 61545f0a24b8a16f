import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { dropNonResizeUpdates } from '../../../server/rest/pod-resize-strategy.ts';
import { POD_UPDATE_FORBIDDEN, validatePod, validatePodUpdate } from './pod.ts';
import { computePodQos } from './pod-resize.ts';

const ctr = (name: string, resources: any, extra: any = {}) => ({ name, image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File', resources, ...extra });

function pod(containers: any[], edit: (p: any) => void = () => {}): Pod {
  const p: any = {
    metadata: { name: 'p', namespace: 'default', resourceVersion: '1', labels: { a: 'b' } },
    spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {}, containers },
    status: { phase: 'Running', containerStatuses: [{ name: containers[0].name, state: { running: {} }, resources: containers[0].resources ?? {} }] },
  };
  p.status.qosClass = computePodQos(p);
  edit(p);
  return p;
}

const burstable = () => pod([ctr('app', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } })]);
const guaranteed = () => pod([ctr('app', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } })]);

/** A write to pods/resize as the server handles it: the strategy narrows it, then validation. */
function resize(old: Pod, edit: (p: any) => void): { errs: string[]; stored: any } {
  const sent: any = structuredClone(old);
  edit(sent);
  const stored = dropNonResizeUpdates(sent, old as any);
  return { errs: validatePodUpdate(stored as Pod, old, 'resize').map(errorString), stored };
}

test('resize: cpu and memory requests and limits of a Burstable pod change; other edits are dropped, not refused', () => {
  const r = resize(burstable(), (p) => {
    p.spec.containers[0].resources = { requests: { cpu: '150m', memory: '100Mi' }, limits: { cpu: '300m', memory: '256Mi' } };
    p.spec.containers[0].image = 'nginx';
    p.spec.activeDeadlineSeconds = 5;
    p.metadata.labels = { changed: 'yes' };
    p.status.phase = 'Failed';
  });
  assert.deepEqual(r.errs, []);
  assert.equal(r.stored.spec.containers[0].resources.limits.memory, '256Mi');
  assert.equal(r.stored.spec.containers[0].image, 'busybox');
  assert.equal(r.stored.spec.activeDeadlineSeconds, undefined);
  assert.deepEqual(r.stored.metadata.labels, { a: 'b' });
  assert.equal(r.stored.status.phase, 'Running');
});

test('resize: the QoS class may not change (the value is the stored class)', () => {
  assert.deepEqual(resize(guaranteed(), (p) => (p.spec.containers[0].resources.limits.cpu = '200m')).errs, [
    'spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing',
  ]);
  const be = pod([ctr('app', undefined)]);
  assert.deepEqual(resize(be, (p) => (p.spec.containers[0].resources = { requests: { memory: '40Mi' } })).errs, [
    'spec: Invalid value: "BestEffort": Pod QOS Class may not change as a result of resizing',
  ]);
  // Both together keep a Guaranteed pod Guaranteed ("1" equals "1000m").
  assert.deepEqual(resize(guaranteed(), (p) => (p.spec.containers[0].resources = { requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '1000m', memory: '128Mi' } })).errs, []);
});

test('resize: requests and limits cannot be removed; a memory limit lowered or added only with RestartContainer', () => {
  assert.deepEqual(resize(burstable(), (p) => delete p.spec.containers[0].resources.limits.memory).errs, [
    'spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed',
  ]);
  assert.deepEqual(resize(burstable(), (p) => delete p.spec.containers[0].resources.requests.cpu).errs, [
    'spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed',
  ]);
  assert.deepEqual(resize(burstable(), (p) => (p.spec.containers[0].resources.limits.memory = '100Mi')).errs, [
    'spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer',
  ]);
  const restart = pod([ctr('app', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }, { resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] })]);
  assert.deepEqual(resize(restart, (p) => (p.spec.containers[0].resources.limits.memory = '100Mi')).errs, []);
  const noMemLimit = pod([ctr('app', { requests: { cpu: '100m', memory: '64Mi' } })]);
  assert.deepEqual(resize(noMemLimit, (p) => (p.spec.containers[0].resources.limits = { memory: '128Mi' })).errs, [
    'spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be added unless resizePolicy is RestartContainer',
  ]);
  // The new spec is validated too: a request above its limit.
  assert.deepEqual(resize(burstable(), (p) => (p.spec.containers[0].resources.requests.cpu = '500m')).errs, [
    'spec.containers[0].resources.requests: Invalid value: "500m": must be less than or equal to cpu limit of 200m',
  ]);
});

test('resize: only cpu and memory; non-sidecar init containers immutable, sidecars resizable; resizePolicy fixed', () => {
  assert.deepEqual(resize(burstable(), (p) => (p.spec.containers[0].resources.limits['ephemeral-storage'] = '1Gi')).errs, ['spec: Forbidden: only cpu and memory resources are mutable']);
  const withInits = pod([ctr('app', { requests: { cpu: '100m' } })], (p) => {
    p.spec.initContainers = [ctr('init', { requests: { cpu: '100m' } }), ctr('side', { requests: { cpu: '100m' } }, { restartPolicy: 'Always' })];
  });
  assert.deepEqual(resize(withInits, (p) => (p.spec.initContainers[0].resources.requests.cpu = '200m')).errs, ['spec: Forbidden: resources for non-sidecar init containers are immutable']);
  assert.deepEqual(resize(withInits, (p) => (p.spec.initContainers[1].resources.requests.cpu = '200m')).errs, []);
  assert.deepEqual(resize(withInits, (p) => (p.spec.initContainers[1].resources.requests['ephemeral-storage'] = '1Gi')).errs, ['spec: Forbidden: only cpu and memory resources for sidecar containers are mutable']);
  assert.deepEqual(resize(burstable(), (p) => (p.spec.containers[0].resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }])).errs, ['spec: Forbidden: only cpu and memory resources are mutable']);
  assert.deepEqual(resize(burstable(), (p) => p.spec.containers.push(ctr('extra', {}))).errs, ['spec: Forbidden: only cpu and memory resources are mutable']);
});

test('resize: static, Windows and pod-level-resource pods, and a node that does not report resources, are refused', () => {
  const mirror = pod(burstable().spec!.containers, (p) => (p.metadata.annotations = { 'kubernetes.io/config.mirror': 'x' }));
  assert.deepEqual(resize(mirror, (p) => (p.spec.containers[0].resources.requests.cpu = '150m')).errs, ['[]: Forbidden: static pods cannot be resized']);
  const win = pod(burstable().spec!.containers, (p) => (p.spec.os = { name: 'windows' }));
  assert.deepEqual(resize(win, (p) => (p.spec.containers[0].resources.requests.cpu = '150m')).errs.at(-1), '[]: Forbidden: windows pods cannot be resized');
  const old = burstable();
  delete (old.status!.containerStatuses![0] as any).resources;
  assert.deepEqual(resize(old, (p) => (p.spec.containers[0].resources.requests.cpu = '150m')).errs, ['spec: Forbidden: Pod running on node without support for resize']);
});

test('a plain pod update may still not change resources', () => {
  const old = burstable();
  const next: any = structuredClone(old);
  next.spec.containers[0].resources.requests.cpu = '150m';
  const errs = validatePodUpdate(next, old).map(errorString);
  assert.equal(errs.length, 1);
  assert.ok(errs[0]!.startsWith(`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}\n`), errs[0]);
});

test('resizePolicy on create: supported names and policies, no duplicates, NotRequired under restartPolicy Never', () => {
  const p = pod([ctr('app', {}, { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }, { resourceName: 'cpu', restartPolicy: 'Sometimes' }, { resourceName: 'gpu', restartPolicy: 'RestartContainer' }] })]);
  assert.deepEqual(validatePod(p).map(errorString), [
    'spec.containers[0].resizePolicy[1]: Duplicate value: "cpu"',
    'spec.containers[0].resizePolicy: Unsupported value: "Sometimes": supported values: "NotRequired", "RestartContainer"',
    'spec.containers[0].resizePolicy: Unsupported value: "gpu": supported values: "cpu", "memory"',
  ]);
  const never = pod([ctr('app', {}, { resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] })], (x) => (x.spec.restartPolicy = 'Never'));
  assert.deepEqual(validatePod(never).map(errorString), [`spec.containers[0].resizePolicy: Invalid value: "RestartContainer": must be 'NotRequired' when \`restartPolicy\` is 'Never'`]);
});
