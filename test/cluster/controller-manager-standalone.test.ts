/**
 * `portcullis controller-manager --kubeconfig` as a separate client: the resources the namespace
 * controller empties come from the API's discovery documents (it has no registry to read).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { discoverResources } from '../../src/cluster/client/api-discovery.ts';
import { runControllerManager } from '../../src/cli/controller-manager.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { renderKubeconfig, writeKubeconfig } from '../../src/pki/kubeconfig.ts';
import type { ClientConfig } from '../../src/cluster/client/types.ts';

let c: TestCluster;
let dir: string;
before(async () => {
  // No in-process controllers: what empties the namespace below is the standalone manager.
  c = await startTestCluster({ controllers: CORE_CONTROLLERS.map((n) => `-${n}`) });
  dir = mkdtempSync(join(tmpdir(), 'kcm-'));
});
after(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const admin = (): RestClient => new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'test' });

test('discovery from the API: preferred versions, only listable+watchable+deletable resources, no subresources', async () => {
  const client = admin();
  try {
    const refs = await discoverResources(client);
    const names = new Set(refs.map((r) => `${r.group}/${r.version}/${r.resource}`));
    for (const want of ['/v1/configmaps', '/v1/pods', 'apps/v1/deployments', 'rbac.authorization.k8s.io/v1/roles', 'events.k8s.io/v1/events']) assert.ok(names.has(want), want);
    assert.ok(![...names].some((n) => n.includes('/status') || n.endsWith('/tokenreviews') || n.endsWith('/selfsubjectreviews')), 'no subresources, no create-only reviews');
    assert.equal(refs.find((r) => r.resource === 'namespaces')?.namespaced, false);
  } finally {
    client.close();
  }
});

test('a standalone controller manager empties and removes a deleted namespace through the API', async () => {
  // One credential for the whole process: here the namespace controller's own service account,
  // whose bootstrap role lets it empty any namespace (system:kube-controller-manager may not).
  const user = 'system:serviceaccount:kube-system:namespace-controller';
  const cert = issueCert({ certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem }, { commonName: user, organizations: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'], usage: 'client', now: new Date(), validityDays: 1 });
  const kubeconfig = join(dir, 'kcm.kubeconfig');
  writeKubeconfig(kubeconfig, renderKubeconfig({ server: c.cp.url, caCertPem: c.cp.pki.caCertPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem, userName: 'namespace-controller' }));
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'goes' } })).status, 201);
  assert.equal((await c.admin.post('/api/v1/namespaces/goes/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).status, 201);
  assert.equal((await c.admin.post('/apis/apps/v1/namespaces/goes/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } })).status, 201);
  assert.equal((await c.admin.req('DELETE', '/api/v1/namespaces/goes')).status, 200);

  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const out: string[] = [];
  const running = runControllerManager(['--kubeconfig', kubeconfig, '--controllers', 'namespace-controller', '--leader-elect=false', '--log-level', process.env.TLOG ?? 'silent'], (s) => out.push(s), (cfg: ClientConfig) => new RestClient(cfg), stopped);
  try {
    let status = 0;
    for (let i = 0; i < 400 && status !== 404; i++) {
      status = (await c.admin.get('/api/v1/namespaces/goes')).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 404, 'the namespace is gone');
    assert.equal((await c.admin.get('/apis/apps/v1/namespaces/goes/deployments/d')).status, 404);
  } finally {
    stop();
    assert.equal(await running, 0);
  }
});
