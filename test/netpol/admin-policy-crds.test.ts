/**
 * The admin network policy kinds as the control plane installs them: strict validation (upstream's
 * v1alpha1 rules; the unenforced nodes peer refused by name), and `netpol analyze --live` applying
 * an AdminNetworkPolicy read from the API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { ensureAdminPolicyCrds } from '../../src/cluster/netpol/admin-policy-crds.ts';
import { runNetpol } from '../../src/cli/netpol.ts';
import { renderKubeconfig, writeKubeconfig } from '../../src/pki/kubeconfig.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
let admin: RestClient;
let dir: string;
before(async () => {
  c = await startTestCluster();
  admin = new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'test' });
  dir = mkdtempSync(join(tmpdir(), 'anp-'));
});
after(async () => {
  admin?.close();
  await c?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ANP = '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies';
const BANP = '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies';
const anp = (spec: Record<string, unknown>, name = 'a') => ({ apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name }, spec });
const subject = { namespaces: { matchLabels: { tenant: 'b' } } };

async function established(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await c.admin.get(path)).status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never served`);
}

test('installed once, idempotently, and served', async () => {
  assert.deepEqual(await ensureAdminPolicyCrds(admin), ['created', 'created']);
  assert.deepEqual(await ensureAdminPolicyCrds(admin), ['present', 'present']);
  await established(ANP);
  await established(BANP);
});

test('validation: priority range, one peer kind, nodes refused, CIDRs, port ranges, the baseline is "default"', async () => {
  const ok = await c.admin.post(ANP, anp({ priority: 10, subject, ingress: [{ name: 'deny-a', action: 'Deny', from: [{ namespaces: { matchLabels: { tenant: 'a' } } }], ports: [{ portNumber: { port: 8080 } }] }] }));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal(ok.body.spec.ingress[0].ports[0].portNumber.protocol, 'TCP', 'protocol defaulted');
  const bad = async (spec: Record<string, unknown>, re: RegExp) => {
    const r = await c.admin.post(ANP, anp(spec, 'bad'));
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.message, re);
  };
  await bad({ priority: 1001, subject }, /spec\.priority.*1000/);
  await bad({ priority: 1, subject: { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } } }, /spec\.subject/);
  await bad({ priority: 1, subject, egress: [{ action: 'Deny', to: [{ nodes: { matchLabels: { a: 'b' } } }] }] }, /nodes peers are not supported by Portcullis/);
  await bad({ priority: 1, subject, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/33'] }] }] }, /Invalid CIDR format provided/);
  await bad({ priority: 1, subject, ingress: [{ action: 'Allow', from: [{ namespaces: {} }], ports: [{ portRange: { start: 90, end: 80 } }] }] }, /Start port must be smaller than End port/);
  await bad({ priority: 1, subject, ingress: [{ action: 'Block', from: [{ namespaces: {} }] }] }, /Unsupported value: "Block"/);
  const banp = await c.admin.post(BANP, { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'other' }, spec: { subject } });
  assert.equal(banp.status, 422);
  assert.match(banp.body.message, /Only one baseline admin network policy with metadata.name="default"/);
});

test('netpol analyze --live applies the AdminNetworkPolicy it reads from the API', async () => {
  for (const [name, tenant] of [['ta', 'a'], ['tb', 'b']]) {
    assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { tenant } } })).status, 201);
    assert.equal((await c.admin.post(`/api/v1/namespaces/${name}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).status, 201);
  }
  const kubeconfig = join(dir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfig, renderKubeconfig({ server: c.cp.url, caCertPem: c.cp.pki.caCertPem, clientCertPem: c.cp.pki.adminCertPem, clientKeyPem: c.cp.pki.adminKeyPem, userName: 'admin' }));
  let out = '';
  await runNetpol(['analyze', '--live', '--kubeconfig', kubeconfig], (s) => (out += s), (cfg) => new RestClient(cfg));
  assert.ok(out.split('\n').includes('ta/p[Pod] => tb/p[Pod] : SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535'), out);
});
