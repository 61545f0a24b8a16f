/**
 * `netpol analyze --live --probe` on the namespaces harness (root): pods created through the API
 * live in network namespaces routed by a node namespace whose policy table the real enforcer
 * (informers on the API) programs. The probe finds each pod's namespace by its address, opens
 * every connection and agrees with the analysis (exit 0); with the policy table removed behind
 * the enforcer's back it reports each connection the data plane now lets through (exit 1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNetpol } from '../../src/cli/netpol.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { SharedInformerFactory } from '../../src/cluster/client/informer.ts';
import { NetpolEnforcer } from '../../src/cluster/netpol/enforcer.ts';
import { renderKubeconfig, writeKubeconfig } from '../../src/pki/kubeconfig.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { RoutedNode } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const skip = requireRoot('netpol analyze --probe') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip', 'nsenter');
const NODE = 'probe-node';
// Addresses no other test uses, so the probe's search of this machine's namespaces finds only these.
const PODS = [
  { ns: 't1', name: 'a', ip: '10.244.213.10', labels: { app: 'a' }, port: 8080, listen: true },
  { ns: 't2', name: 'b', ip: '10.244.213.11', labels: { app: 'b' }, port: 8080, listen: true },
  // Nothing listens on c's port: an allowed SYN is answered by a reset, which still counts as reached.
  { ns: 't2', name: 'c', ip: '10.244.213.12', labels: { app: 'c' }, port: 9090, listen: false },
];

let c: TestCluster;
let node: RoutedNode;
let enforcer: NetpolEnforcer;
let factory: SharedInformerFactory;
let dir: string;
let kubeconfig: string;

before(async () => {
  if (skip) return;
  c = await startTestCluster();
  dir = mkdtempSync(join(tmpdir(), 'netpol-probe-'));
  kubeconfig = join(dir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfig, renderKubeconfig({ server: c.cp.url, caCertPem: c.cp.pki.caCertPem, clientCertPem: c.cp.pki.adminCertPem, clientKeyPem: c.cp.pki.adminKeyPem, userName: 'admin' }));
  for (const [name, tenant] of [['t1', 'one'], ['t2', 'two']]) assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { tenant } } })).status, 201);
  node = new RoutedNode();
  for (const p of PODS) {
    const made = await c.admin.post(`/api/v1/namespaces/${p.ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, labels: p.labels }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: p.port }] }] } });
    assert.equal(made.status, 201, made.text);
    const st = await c.admin.put(`/api/v1/namespaces/${p.ns}/pods/${p.name}/status`, { ...made.body, status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] } });
    assert.equal(st.status, 200, st.text);
    const host = node.addHost(`${p.ns}/${p.name}`, p.ip);
    if (p.listen) await host.listen([p.port]);
  }
  // Tenant two: ingress denied but from tenant one to the named port http.
  const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'only-one' }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { tenant: 'one' } } }], ports: [{ port: 'http' }] }] } };
  assert.equal((await c.admin.post('/apis/networking.k8s.io/v1/namespaces/t2/networkpolicies', np)).status, 201);
  const client = new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'probe-test-enforcer' });
  factory = new SharedInformerFactory({ client });
  enforcer = new NetpolEnforcer({ factory, nodeName: NODE, podNetworks: ['10.244.0.0/16'], adminPolicies: false, apply: async (s) => node.loadNftables(s) });
  await enforcer.start();
  await enforcer.idle();
});
after(async () => {
  enforcer?.stop();
  factory?.stop();
  node?.destroy();
  await c?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const probe = async (...extra: string[]) => {
  let out = '';
  const code = await runNetpol(['analyze', '--live', '--probe', '--kubeconfig', kubeconfig, '--probe-timeout', '700ms', ...extra], (s) => (out += s), (cfg) => new RestClient(cfg));
  return { code, out };
};

test('the data plane the enforcer programmed agrees with the analysis: exit 0, no difference', { skip, timeout: 60_000 }, async () => {
  const { code, out } = await probe();
  assert.match(out, /^t1\/a\[Pod\] => t2\/b\[Pod\] : TCP 8080$/m, out);
  assert.match(out, /^probe: 12 connections from 3 pods on ports 8080,9090.*: 0 differ from the analysis$/m, out);
  assert.equal(code, 0, out);
  const json = await probe('-o', 'json');
  const report = JSON.parse(json.out);
  assert.deepEqual(report.probe.sources.sort(), ['t1/a', 't2/b', 't2/c']);
  assert.deepEqual(report.probe.differences, []);
});

test('with the policy table gone the probe reports every connection the analysis denies but the wire allows, and exits 1', { skip, timeout: 60_000 }, async () => {
  enforcer.stop();
  node.exec(['nft', 'delete', 'table', 'inet', 'portcullis_netpol']);
  const { code, out } = await probe();
  assert.equal(code, 1, out);
  const diffs = out.split('\n').filter((l) => l.startsWith('DIFF '));
  // Denied by the analysis: t2 to t2 (not tenant one), t1 to t2 on a port other than the pod's own http (b: 8080, c: 9090).
  for (const d of ['t1/a => t2/b : TCP 9090', 't1/a => t2/c : TCP 8080', 't2/b => t2/c : TCP 8080', 't2/c => t2/b : TCP 8080', 't2/c => t2/b : TCP 9090', 't2/b => t2/c : TCP 9090']) {
    assert.ok(diffs.includes(`DIFF ${d}: analysis denies, data plane allowed`), `${d} reported:\n${out}`);
  }
  assert.equal(diffs.length, 6, out);
});
