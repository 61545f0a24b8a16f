/**
 * The Endpoints, EndpointSlice and disruption controllers against a real control plane, each as
 * its own service account through RBAC: what they write passes validation, and the eviction
 * subresource stops at the budget the disruption controller keeps (what `kubectl drain` relies on).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
const NS = '/api/v1/namespaces/default';

before(async () => {
  c = await startTestCluster({ controllers: ['endpoints-controller', 'endpointslice-controller', 'disruption-controller'] });
  // Pods need the namespace's default ServiceAccount (ServiceAccount admission), which its
  // controller creates shortly after the start: on a busy machine, later than the first pod.
  for (let i = 0; i < 300 && (await c.admin.get(`${NS}/serviceaccounts/default`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
});
after(async () => {
  await c?.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readyPod(name: string, ip: string): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'web', containerPort: 8080 }] }] },
  };
  const created = await c.admin.post(`${NS}/pods`, pod);
  assert.equal(created.status, 201, created.text);
  const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
  const r = await c.admin.put(`${NS}/pods/${name}/status`, { ...created.body, status });
  assert.equal(r.status, 200, r.text);
}

test('Endpoints and EndpointSlices follow the pods; evictions stop at the budget', async () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] } };
  assert.equal((await c.admin.post(`${NS}/services`, svc)).status, 201);
  for (const [i, n] of ['a', 'b', 'c'].entries()) await readyPod(n, `10.244.0.${i + 10}`);
  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } };
  assert.equal((await c.admin.post('/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb)).status, 201);

  const ep = await until('endpoints', async () => {
    const r = await c.admin.get(`${NS}/endpoints/web`);
    return r.status === 200 && r.body.subsets?.[0]?.addresses?.length === 3 ? r.body : undefined;
  });
  assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const slice = await until('endpointslice', async () => {
    const r = await c.admin.get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb');
    return r.body.items?.[0]?.endpoints?.length === 3 ? r.body.items[0] : undefined;
  });
  assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  const st = await until('budget status', async () => {
    const r = await c.admin.get('/apis/policy/v1/namespaces/default/poddisruptionbudgets/web');
    return r.body.status?.observedGeneration === 1 && r.body.status.expectedPods === 3 ? r.body.status : undefined;
  });
  assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.disruptionsAllowed], [3, 2, 1]);

  const evict = (name: string) => c.admin.post(`${NS}/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
  assert.equal((await evict('a')).status, 201);
  const refused = await evict('b');
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.body.details.causes[0].reason, 'DisruptionBudget');
  const after = await until('budget after the eviction', async () => {
    const r = await c.admin.get('/apis/policy/v1/namespaces/default/poddisruptionbudgets/web');
    return r.body.status?.currentHealthy === 2 ? r.body.status : undefined;
  });
  assert.equal(after.disruptionsAllowed, 0);
  assert.equal(after.conditions.find((x: { type: string }) => x.type === 'DisruptionAllowed').reason, 'InsufficientPods');
});
