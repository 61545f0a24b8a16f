/**
 * Pod fields behind feature gates that are off in upstream 1.33 (pkg/api/pod/util.go
 * dropDisabledFields / dropDisabledPodStatusFields): dropped on create, and on update unless the
 * stored object already uses them; pod templates the same (DropDisabledTemplateFields).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';

const gatedSpec = () => ({
  resourceClaims: [{ name: 'gpu', resourceClaimName: 'my-claim' }],
  resources: { requests: { cpu: '100m' } },
  containers: [{ name: 'app', image: 'busybox', resources: { claims: [{ name: 'gpu' }] }, lifecycle: { stopSignal: 'SIGUSR1' }, volumeMounts: [{ name: 'img', mountPath: '/img' }, { name: 'data', mountPath: '/data' }] }],
  initContainers: [{ name: 'init', image: 'busybox', resources: { claims: [{ name: 'gpu' }] } }],
  volumes: [{ name: 'img', image: { reference: 'quay.io/x/y:1' } }, { name: 'data', emptyDir: {} }, { name: 'ctb', projected: { sources: [{ clusterTrustBundle: { name: 'b', path: 'b.pem' } }, { downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } }] } }],
});

function assertDropped(spec: any): void {
  assert.equal(spec.resourceClaims, undefined, 'spec.resourceClaims (DynamicResourceAllocation)');
  assert.equal(spec.resources, undefined, 'spec.resources (PodLevelResources)');
  assert.equal(spec.containers[0].resources.claims, undefined, 'containers[].resources.claims');
  assert.equal(spec.initContainers[0].resources.claims, undefined, 'initContainers[].resources.claims');
  assert.equal(spec.containers[0].lifecycle, undefined, 'lifecycle.stopSignal (ContainerStopSignals), and the emptied lifecycle');
  assert.deepEqual(spec.volumes.map((v: any) => v.name), ['data', 'ctb'], 'image volumes (ImageVolume)');
  assert.deepEqual(spec.containers[0].volumeMounts.map((m: any) => m.name), ['data'], 'mounts of dropped image volumes');
  assert.deepEqual(Object.keys(spec.volumes[1].projected.sources[0]), [], 'clusterTrustBundle projection (ClusterTrustBundleProjection)');
}

test('a pod created with fields of gates off in 1.33 is stored without them', async () => {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: "gated" }, spec: { automountServiceAccountToken: false, ...gatedSpec() } });
  assert.equal(r.status, 201, r.text);
  assertDropped(r.body.spec);
});

test('an update may not add them either; pod templates (Deployment, CronJob, PodTemplate) drop them too', async () => {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(r.status, 201, r.text);
  const u = await c.admin.put(`${NS}/pods/plain`, { ...r.body, spec: { ...r.body.spec, resourceClaims: [{ name: 'gpu', resourceClaimName: 'c' }] } });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.body.spec.resourceClaims, undefined);
  assert.equal(u.body.metadata.resourceVersion, r.body.metadata.resourceVersion, 'nothing left to change: not written');

  const template = { metadata: { labels: { app: 'g' } }, spec: gatedSpec() };
  const d = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gated' }, spec: { selector: { matchLabels: { app: 'g' } }, template } });
  assert.equal(d.status, 201, d.text);
  assertDropped(d.body.spec.template.spec);
  const cj = await c.admin.post('/apis/batch/v1/namespaces/default/cronjobs', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'gated' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { ...gatedSpec(), restartPolicy: 'Never' } } } } } });
  assert.equal(cj.status, 201, cj.text);
  assertDropped(cj.body.spec.jobTemplate.spec.template.spec);
  const pt = await c.admin.post(`${NS}/podtemplates`, { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'gated' }, template });
  assert.equal(pt.status, 201, pt.text);
  assertDropped(pt.body.template.spec);
});

test('pods/status: observedGeneration (PodObservedGenerationTracking, off) is dropped', async () => {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'og' }, spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(r.status, 201, r.text);
  const status = { observedGeneration: 1, conditions: [{ type: 'PodScheduled', status: 'True', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' }] };
  const s = await c.admin.patch(`${NS}/pods/og/status`, { status }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.status.observedGeneration, undefined);
  assert.equal(s.body.status.conditions[0].observedGeneration, undefined);
  assert.equal(s.body.status.conditions[0].type, 'PodScheduled');
});
