import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitRanger } from './limit-ranger.ts';
import { attrs, container, pod, testDeps } from '../quota/testing.ts';

async function setup(limits: Record<string, any>[]) {
  const deps = testDeps();
  await deps.store.create('/registry/core/limitranges/ns/lr', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });
  return new LimitRanger(deps);
}

test('defaults fill missing requests and limits of every container and say so in an annotation', async () => {
  const lr = await setup([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '0.1', memory: '128Mi' } }]);
  const p = pod('p', [container('a'), container('b', { cpu: '200m' })], { initContainers: [container('init')] });
  const a = attrs('pods', p);
  assert.deepEqual(await lr.admit(a), { allowed: true });
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(p.spec.containers[1].resources.requests, { cpu: '200m', memory: '128Mi' });
  assert.equal(
    p.metadata.annotations['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; memory request for container b; cpu, memory limit for container b; cpu, memory request for init container init; cpu, memory limit for init container init',
  );
});

test('a container with only a limit requests that limit, not defaultRequest (as upstream defaulting before admission)', async () => {
  const lr = await setup([{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }]);
  const p = pod('p', [container('a', undefined, { cpu: '300m' })]);
  await lr.admit(attrs('pods', p));
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '300m' }, requests: { cpu: '300m' } });
});

test('min, max and ratio violations use upstream messages', async () => {
  const cases: { limits: Record<string, any>[]; c: Record<string, any>; want: string | undefined }[] = [
    { limits: [{ type: 'Container', max: { cpu: '500m' } }], c: container('c', { cpu: '1' }, { cpu: '1000m' }), want: 'maximum cpu usage per Container is 500m, but limit is 1' },
    { limits: [{ type: 'Container', max: { cpu: '500m' } }], c: container('c', { cpu: '100m' }), want: 'maximum cpu usage per Container is 500m.  No limit is specified' },
    { limits: [{ type: 'Container', min: { memory: '10Mi' } }], c: container('c', { memory: '5Mi' }), want: 'minimum memory usage per Container is 10Mi, but request is 5Mi' },
    { limits: [{ type: 'Container', min: { memory: '10Mi' } }], c: container('c', { memory: '20Mi' }, { memory: '8Mi' }), want: 'minimum memory usage per Container is 10Mi, but limit is 8Mi' },
    { limits: [{ type: 'Container', min: { memory: '10Mi' } }], c: container('c'), want: 'minimum memory usage per Container is 10Mi.  No request is specified' },
    { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }], c: container('c', { cpu: '250m' }, { cpu: '1' }), want: 'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000' },
    { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }], c: container('c', { cpu: '500m' }, { cpu: '1' }), want: undefined },
    { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }], c: container('c', undefined, undefined), want: 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0' },
    { limits: [{ type: 'Pod', max: { cpu: '1' } }], c: container('c', { cpu: '800m' }, { cpu: '1200m' }), want: 'maximum cpu usage per Pod is 1, but limit is 1200m' },
    {
      limits: [{ type: 'Container', max: { cpu: '500m' }, min: { cpu: '100m' } }],
      c: container('c', { cpu: '50m' }, { cpu: '600m' }),
      want: '[minimum cpu usage per Container is 100m, but request is 50m, maximum cpu usage per Container is 500m, but limit is 600m]',
    },
  ];
  for (const { limits, c, want } of cases) {
    const lr = await setup(limits);
    const v = await lr.validate(attrs('pods', pod('p', [c])));
    assert.equal(v.allowed, want === undefined, JSON.stringify(c));
    assert.equal(v.reason, want);
  }
});

test('pod limits add up containers and take the largest init container', async () => {
  const lr = await setup([{ type: 'Pod', max: { memory: '1Gi' } }]);
  const ok = pod('p', [container('a', { memory: '512Mi' }, { memory: '512Mi' }), container('b', { memory: '512Mi' }, { memory: '512Mi' })], {
    initContainers: [container('i', { memory: '1Gi' }, { memory: '1Gi' })],
  });
  assert.equal((await lr.validate(attrs('pods', ok))).allowed, true);
  ok.spec.initContainers[0].resources = { requests: { memory: '2Gi' }, limits: { memory: '2Gi' } };
  assert.equal((await lr.validate(attrs('pods', ok))).reason, 'maximum memory usage per Pod is 1Gi, but limit is 2Gi');
});

test('claims are bounded by their storage request', async () => {
  const lr = await setup([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
  const claim = (storage: string) => ({ metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage } } } });
  assert.equal((await lr.validate(attrs('persistentvolumeclaims', claim('5Gi')))).allowed, true);
  assert.equal((await lr.validate(attrs('persistentvolumeclaims', claim('20Gi')))).reason, 'maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
  assert.equal((await lr.validate(attrs('persistentvolumeclaims', claim('500Mi')))).reason, 'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
});

test('pod updates and subresources are not judged; no LimitRange, no change', async () => {
  const lr = new LimitRanger(testDeps());
  assert.equal(lr.handles(attrs('pods', pod('p', []), { op: 'UPDATE' })), false);
  assert.equal(lr.handles(attrs('pods', pod('p', []), { subresource: 'status' })), false);
  // An in-place resize is judged (upstream 1.33).
  assert.equal(lr.handles(attrs('pods', pod('p', []), { op: 'UPDATE', subresource: 'resize' })), true);
  assert.equal(lr.handles(attrs('configmaps', { metadata: { name: 'x' } })), false);
  const p = pod('p', [container('a')]);
  await lr.admit(attrs('pods', p));
  assert.deepEqual(p.spec.containers[0].resources, {});
});
