/**
 * metrics.k8s.io served by the simulated nodes' metrics server through the API server's
 * aggregation layer: an APIService v1beta1.metrics.k8s.io over a Service whose EndpointSlice points
 * at the server on 127.0.0.1 (loopback endpoints are refused by the API as upstream, so the test
 * writes the slice to the store, as test/api/aggregation.test.ts does). PodMetrics with label
 * selectors as the HPA reads them through its client, NodeMetrics, the front-proxy certificate
 * requirement, and `kubectl top pods`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { defaultUsage, CPU_USAGE_ANNOTATION } from '../../src/cluster/sim/metrics.ts';
import { startMetricsServer } from '../../src/cluster/sim/metrics-server.ts';
import { apiMetricsSource } from '../../src/cluster/controllers/hpa/metrics-source.ts';
import { TestClient } from '../helpers/client.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

const now = new Date();
const backendCa = createCA({ commonName: 'metrics-ca', now, validityDays: 1 });
const frontProxyCa = createCA({ commonName: 'front-proxy-ca', now, validityDays: 1 });
const serving = issueCert(backendCa, { commonName: 'metrics-server.kube-system.svc', usage: 'server', dnsNames: ['metrics-server.kube-system.svc'], now, validityDays: 1 });
const proxyClient = issueCert(frontProxyCa, { commonName: 'front-proxy-client', usage: 'client', now, validityDays: 1 });
const stranger = issueCert(backendCa, { commonName: 'someone', usage: 'client', now, validityDays: 1 });

const pod = (name: string, app: string, node: string, cpu: string): K8sObject => ({
  metadata: { name, namespace: 'default', labels: { app }, annotations: { [CPU_USAGE_ANNOTATION]: cpu } },
  spec: { nodeName: node, containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  status: { phase: 'Running' },
});
const running = [pod('web-1', 'web', 'sim-0', '200m'), pod('web-2', 'web', 'sim-1', '150m'), pod('db-1', 'db', 'sim-0', '50m')];

let metrics: Server;
let port = 0;
let cp: ControlPlane;
let admin: TestClient;
let dataDir: string;

before(async () => {
  metrics = await startMetricsServer({ certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: frontProxyCa.certPem, allowedNames: ['front-proxy-client'], pods: () => running, nodes: () => ['sim-0', 'sim-1'], usage: defaultUsage, now: () => now.getTime() }, '127.0.0.1', 0);
  port = (metrics.address() as { port: number }).port;
  dataDir = mkdtempSync(join(tmpdir(), 'portcullis-metrics-'));
  cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', aggregation: { proxyClientCert: proxyClient, resyncMs: 200 } });
  admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  const svc = await admin.post('/api/v1/namespaces/kube-system/services', { metadata: { name: 'metrics-server' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } });
  assert.equal(svc.status, 201, svc.text);
  await cp.store.create('/registry/discovery.k8s.io/endpointslices/kube-system/metrics-server-1', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'metrics-server-1', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'metrics-server' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port, protocol: 'TCP' }],
  });
  const api = await admin.post('/apis/apiregistration.k8s.io/v1/apiservices', {
    metadata: { name: 'v1beta1.metrics.k8s.io' },
    spec: { group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, service: { namespace: 'kube-system', name: 'metrics-server' }, caBundle: Buffer.from(backendCa.certPem).toString('base64') },
  });
  assert.equal(api.status, 201, api.text);
  for (let i = 0; ; i++) {
    const a = await admin.get('/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    if ((a.body?.status?.conditions ?? []).some((c: any) => c.type === 'Available' && c.status === 'True')) break;
    if (i > 100) assert.fail(`never Available: ${a.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  admin?.close();
  await cp?.close();
  await new Promise<void>((r) => metrics.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('metrics.k8s.io from the simulated nodes', () => {
  test('PodMetrics list by label selector, get by name, NotFound; NodeMetrics sum their pods', async () => {
    const list = await admin.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.kind, 'PodMetricsList');
    assert.deepEqual(list.body.items.map((i: any) => [i.metadata.name, i.containers[0].usage.cpu, i.window]), [['web-1', '200m', '10s'], ['web-2', '150m', '10s']]);
    assert.match(list.body.items[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const one = await admin.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/db-1');
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.kind, 'PodMetrics');
    const missing = await admin.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods.metrics.k8s.io "nope" not found');
    const node = await admin.get('/apis/metrics.k8s.io/v1beta1/nodes/sim-0');
    assert.equal(node.status, 200, node.text);
    assert.deepEqual(node.body.usage, { cpu: '250m', memory: '128Mi' });
  });

  test("the HPA's metrics source reads usage per pod through its client", async () => {
    const client = new RestClient({ server: cp.url, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'hpa-test' });
    try {
      const r = await apiMetricsSource(client).getResourceMetric('cpu', 'default', 'app=web');
      assert.deepEqual([...r.metrics].map(([n, m]) => [n, m.value, m.windowMs]), [['web-1', 200, 10_000], ['web-2', 150, 10_000]]);
    } finally {
      client.close();
    }
  });

  test('the metrics server answers only the front proxy', async () => {
    const code = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/apis/metrics.k8s.io/v1beta1/pods', ca: backendCa.certPem, servername: 'metrics-server.kube-system.svc', cert: stranger.certPem, key: stranger.keyPem }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(code, 401);
  });

  test('kubectl top pods', { skip: kubectlSkip(33) }, async () => {
    const r = await runKubectl(33, cp.kubeconfigPath, ['top', 'pods', '-n', 'default', '-l', 'app=web', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['web-1', '200m', '64Mi'], ['web-2', '150m', '64Mi']]);
  });
});
