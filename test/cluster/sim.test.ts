/**
 * Simulated nodes against a real control plane, as the identity the example role names
 * (policies/examples/simulated-nodes-role.yaml): nodes Ready with Leases renewed, pods bound to
 * them Running with an address, a Job's pod Succeeded, a graceful deletion finished; and the CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { issueCert } from '../../src/pki/certs.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { startSimNodes, type SimNodes } from '../../src/cluster/sim/sim-nodes.ts';
import { defaultMetricsHost, serveSimMetrics } from '../../src/cluster/sim/metrics-registration.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const ROOT = join(import.meta.dirname, '..', '..');

let tc: TestCluster;
let sim: SimNodes;
let client: RestClient;

async function until<T>(what: string, f: () => Promise<T | undefined | false>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 300; i++) {
    const v = await f().catch((err) => ((last = err), undefined));
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

const cond = (o: any, type: string) => (o.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;

before(async () => {
  tc = await startTestCluster();
  for (const doc of parseAllDocuments(readFileSync(join(ROOT, 'policies/examples/simulated-nodes-role.yaml'), 'utf8'))) {
    const obj = doc.toJS();
    const plural = obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
    const r = await tc.admin.req('POST', `/apis/rbac.authorization.k8s.io/v1/${plural}`, { body: obj });
    assert.equal(r.status, 201, r.text);
  }
  // The user the example binding names: the simulator runs with exactly that role.
  const id = issueCert({ certPem: tc.cp.pki.caCertPem, keyPem: tc.cp.pki.caKeyPem }, { commonName: 'portcullis-sim', organizations: [], usage: 'client', now: new Date(), validityDays: 1 });
  client = new RestClient({ server: tc.cp.url, identity: { caPem: tc.cp.pki.caCertPem, certPem: id.certPem, keyPem: id.keyPem }, userAgent: 'sim-test' });
  sim = await startSimNodes({ client, count: 3, leaseRenewMs: 200, statusUpdateMs: 500, jobRunTimeMs: 0 });
});

after(async () => {
  sim?.stop();
  client?.close();
  await tc?.close();
});

test('three simulated nodes are registered Ready, marked simulated, with renewed Leases', async () => {
  const r = await tc.admin.req('GET', '/api/v1/nodes?labelSelector=portcullis.dev%2Fsimulated%3Dtrue');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items.map((n: any) => n.metadata.name).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  for (const n of r.body.items) {
    assert.equal(cond(n, 'Ready'), 'True', JSON.stringify(n.status));
    assert.equal(n.metadata.annotations['kwok.x-k8s.io/node'], 'fake');
    assert.equal(n.status.capacity.pods, '110');
  }
  const lease = async () => (await tc.admin.req('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-node-1')).body;
  const first = await until('the lease', async () => (await lease())?.spec?.renewTime && (await lease()));
  assert.equal(first.spec.leaseDurationSeconds, 40);
  assert.equal(first.spec.holderIdentity, 'sim-node-1');
  await until('a renewal', async () => (await lease()).spec.renewTime !== first.spec.renewTime);
});

test('a pod bound to a simulated node runs, with an address from the node\'s CIDR', async () => {
  const r = await tc.admin.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'sim-node-1', containers: [{ name: 'c', image: 'nginx:1.27' }] } } });
  assert.equal(r.status, 201, r.text);
  const pod = await until('web running', async () => {
    const p = (await tc.admin.req('GET', '/api/v1/namespaces/default/pods/web')).body;
    return p.status?.phase === 'Running' && p;
  });
  assert.match(pod.status.podIP, /^10\.0\.1\.\d+$/);
  assert.equal(pod.status.hostIP, '172.16.0.2');
  assert.equal(cond(pod, 'Ready'), 'True');
  assert.equal(pod.status.containerStatuses[0].ready, true);
  assert.ok(pod.status.containerStatuses[0].state.running.startedAt);
});

test('a pod of a Job succeeds with exit code 0', async () => {
  const job = await tc.admin.req('POST', '/apis/batch/v1/namespaces/default/jobs', {
    body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
  });
  assert.equal(job.status, 201, job.text);
  const r = await tc.admin.req('POST', '/api/v1/namespaces/default/pods', {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'j-pod', annotations: { 'sim.portcullis.dev/run-time': '0s' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.body.metadata.uid, controller: true }] },
      spec: { nodeName: 'sim-node-2', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    },
  });
  assert.equal(r.status, 201, r.text);
  const pod = await until('j-pod succeeded', async () => {
    const p = (await tc.admin.req('GET', '/api/v1/namespaces/default/pods/j-pod')).body;
    return p.status?.phase === 'Succeeded' && p;
  });
  assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 0);
  assert.equal(pod.status.containerStatuses[0].state.terminated.reason, 'Completed');
});

test('a graceful deletion of a pod on a simulated node is finished', async () => {
  const r = await tc.admin.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'going' }, spec: { nodeName: 'sim-node-0', containers: [{ name: 'c', image: 'nginx' }] } } });
  assert.equal(r.status, 201, r.text);
  await until('going running', async () => (await tc.admin.req('GET', '/api/v1/namespaces/default/pods/going')).body.status?.phase === 'Running');
  const del = await tc.admin.req('DELETE', '/api/v1/namespaces/default/pods/going');
  assert.equal(del.status, 200, del.text);
  // Bound to a node: the API server only marks it; the (simulated) kubelet finishes it.
  assert.ok(del.body.metadata.deletionTimestamp, 'graceful deletion expected');
  await until('going gone', async () => (await tc.admin.req('GET', '/api/v1/namespaces/default/pods/going')).status === 404);
});

test('CLI: portcullis sim nodes 2 --kubeconfig registers two nodes and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'portcullis'), 'sim', 'nodes', '2', '--kubeconfig', tc.cp.kubeconfigPath, '--name-prefix', 'cli-node-', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await until('the CLI to register its nodes', async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
      return /simulating 2 nodes/.test(out);
    });
    const r = await tc.admin.req('GET', '/api/v1/nodes?labelSelector=portcullis.dev%2Fsimulated%3Dtrue');
    const names = r.body.items.map((n: any) => n.metadata.name).filter((n: string) => n.startsWith('cli-node-')).sort();
    assert.deepEqual(names, ['cli-node-0', 'cli-node-1']);
    assert.equal(r.body.items.filter((n: any) => n.metadata.name.startsWith('cli-node-')).every((n: any) => cond(n, 'Ready') === 'True'), true);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, err);
});

test('metrics.k8s.io from the simulated nodes, registered as the example role allows: NodeMetrics through the aggregation layer', { skip: defaultMetricsHost() ? false : 'no non-loopback IPv4 address on this host' }, async () => {
  const metrics = await serveSimMetrics({ client, host: defaultMetricsHost()!, pods: () => sim.runningPods(), nodes: () => sim.nodeNames, usage: sim.usage, now: Date.now });
  try {
    const nodes = await until('NodeMetrics', async () => {
      const r = await tc.admin.req('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
      return r.status === 200 && r.body;
    });
    assert.equal(nodes.kind, 'NodeMetricsList');
    assert.deepEqual(nodes.items.map((n: any) => n.metadata.name).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  } finally {
    await metrics.stop();
  }
  assert.equal((await tc.admin.req('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io')).status, 404, 'removed when stopped');
});
