/** `portcullis netpol analyze`: from manifests (-f) and from a running cluster (--live). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNetpol } from '../../src/cli/netpol.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { renderKubeconfig, writeKubeconfig } from '../../src/pki/kubeconfig.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { requirePart } from '../helpers/real-parts.ts';

const caseDir = fileURLToPath(new URL('../../../shared/conformance/netpol/cases/anp_test_3_pass_traffic', import.meta.url));

test('-f DIR -o json prints the connlist JSON shape of the conformance cases', { skip: requirePart(`netpol case at ${caseDir}`, existsSync(caseDir)) }, async () => {
  let out = '';
  assert.equal(await runNetpol(['analyze', '-f', join(caseDir, 'input'), '-o', 'json'], (s) => (out += s), () => assert.fail('no client for -f')), 0);
  assert.deepEqual(JSON.parse(out), JSON.parse(readFileSync(join(caseDir, 'expected-connlist.json'), 'utf8')));
  let txt = '';
  await runNetpol(['analyze', '-f', join(caseDir, 'input')], (s) => (txt += s), () => assert.fail('no client for -f'));
  assert.match(txt, /^foo-ns-1\/foo\[Deployment\] => bar-ns\/bar\[Deployment\] : TCP 1-8079,8081-65535$/m);
});

test('bad invocations are refused', async () => {
  const noClient = () => assert.fail('no client');
  await assert.rejects(runNetpol(['analyze'], () => {}, noClient), /usage/);
  await assert.rejects(runNetpol(['analyze', '-f', '/nonexistent-dir'], () => {}, noClient), /ENOENT/);
  await assert.rejects(runNetpol(['analyze', '-f', '.', '-o', 'yaml'], () => {}, noClient), /unsupported output format/);
});

let c: TestCluster;
let dir: string;
before(async () => {
  c = await startTestCluster();
  dir = mkdtempSync(join(tmpdir(), 'netpol-live-'));
});
after(async () => {
  await c?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('--live analyses the running cluster through the API', async () => {
  for (const [name, tenant] of [['tenant-a', 'a'], ['tenant-b', 'b']]) {
    assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { tenant } } })).status, 201);
    const res = await c.admin.post(`/api/v1/namespaces/${name}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] } });
    assert.equal(res.status, 201);
  }
  // Tenant b: default deny for ingress, then only tenant a on the named port.
  const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'only-a' }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { tenant: 'a' } } }], ports: [{ port: 'http' }] }] } };
  assert.equal((await c.admin.post('/apis/networking.k8s.io/v1/namespaces/tenant-b/networkpolicies', np)).status, 201);
  const cert = issueCert({ certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem }, { commonName: 'netpol-reader', organizations: ['system:masters'], usage: 'client', now: new Date(), validityDays: 1 });
  const kubeconfig = join(dir, 'reader.kubeconfig');
  writeKubeconfig(kubeconfig, renderKubeconfig({ server: c.cp.url, caCertPem: c.cp.pki.caCertPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem, userName: 'netpol-reader' }));
  let out = '';
  assert.equal(await runNetpol(['analyze', '--live', '--kubeconfig', kubeconfig], (s) => (out += s), (cfg) => new RestClient(cfg)), 0);
  const lines = out.trim().split('\n').filter((l) => l.includes('tenant-'));
  assert.ok(lines.includes('tenant-a/web[Pod] => tenant-b/web[Pod] : TCP 8080'), out);
  assert.ok(lines.includes('tenant-b/web[Pod] => tenant-a/web[Pod] : All Connections'), out);
  assert.ok(!lines.some((l) => l.startsWith('0.0.0.0-255.255.255.255[External] => tenant-b/')), 'external traffic to tenant b is denied');
});
