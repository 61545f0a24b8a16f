/**
 * One metrics.k8s.io at a time: the simulated nodes' server registered over the real nodes' one
 * takes the APIService; the real one, reconciling, withdraws its endpoints so the aggregator
 * reaches only the server whose CA the APIService names; when the simulator stops (removing the
 * APIService it owns) the real one registers again, and its own stop removes everything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { defaultMetricsHost, serveMetricsApi, type ServedMetricsApi } from '../../src/cluster/metrics/registration.ts';
import type { MetricsSource } from '../../src/cluster/metrics/metrics-api-server.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { eventually } from '../agent/agent-helpers.ts';

const host = defaultMetricsHost();
let tc: TestCluster;
let admin: RestClient;

const source = (node: string): MetricsSource => ({
  pods: () => [],
  nodes: () => [{ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: node, creationTimestamp: '2026-01-01T00:00:00Z' }, timestamp: '2026-01-01T00:00:00Z', window: '15s', usage: { cpu: '1m', memory: '1Mi' } }],
});

before(async () => {
  tc = await startTestCluster();
  admin = new RestClient({ server: tc.cp.url, identity: { caPem: tc.cp.pki.caCertPem, certPem: tc.cp.pki.adminCertPem, keyPem: tc.cp.pki.adminKeyPem }, userAgent: 'handover-test' });
});
after(async () => {
  admin?.close();
  await tc?.close();
});

const servedNodes = async () => {
  const r = await tc.admin.req('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
  return r.status === 200 ? (r.body.items as Array<{ metadata: { name: string } }>).map((n) => n.metadata.name).join(',') : undefined;
};
const slices = async () => (await admin.list(resources.endpointslices, 'kube-system', { labelSelector: 'kubernetes.io/service-name=metrics-server' })).items.map((s) => s.metadata.name).sort();

test('the simulator takes metrics.k8s.io over, the real nodes\' server steps aside and takes it back', { skip: host ? false : 'no non-loopback IPv4 address on this host' }, async () => {
  let real: ServedMetricsApi | undefined;
  let sim: ServedMetricsApi | undefined;
  try {
    real = await serveMetricsApi({ client: admin, host: host!, source: source('real-node'), now: Date.now, managedBy: 'portcullis' });
    await eventually(async () => (await servedNodes()) === 'real-node', 'the real server answers', 200, 100);
    sim = await serveMetricsApi({ client: admin, host: host!, source: source('sim-node'), now: Date.now, managedBy: 'portcullis-sim' });
    await real.reconcile();
    assert.deepEqual(await slices(), ['metrics-server-portcullis-sim']);
    await eventually(async () => (await servedNodes()) === 'sim-node', 'the simulator answers', 200, 100);
    await sim.stop();
    sim = undefined;
    await assert.rejects(admin.get({ group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices', kind: 'APIService', namespaced: false }, '', 'v1beta1.metrics.k8s.io'), /not found/);
    await real.reconcile();
    assert.deepEqual(await slices(), ['metrics-server-portcullis']);
    await eventually(async () => (await servedNodes()) === 'real-node', 'the real server answers again', 200, 100);
    await real.stop();
    real = undefined;
    assert.deepEqual(await slices(), []);
    await assert.rejects(admin.get(resources.services, 'kube-system', 'metrics-server'), /not found/);
  } finally {
    await sim?.stop();
    await real?.stop();
  }
});
