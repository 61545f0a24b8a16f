/**
 * The `kubernetes` Service's endpoints (issue 14): every API server's advertised address, kept by
 * a lease per server as kube-apiserver's lease reconciler does: the Endpoints (not mirrored) and
 * the EndpointSlice default/kubernetes list the live ones; a stopped server drops out, and so does
 * one whose lease ran out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { advertiseAddress, startKubernetesEndpoints } from '../../src/server/kubernetes-endpoints.ts';
import { TestClient } from '../helpers/client.ts';
import { waitFor } from '../helpers/crd.ts';

let cp: ControlPlane;
let admin: TestClient;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-kubernetes-ep-'));
  // Served on loopback, advertised as a documentation address (nothing connects to it here).
  cp = await startControlPlane({ dataDir: dir, port: 0, bindAddress: '127.0.0.1', advertiseAddress: '192.0.2.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false });
  admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
});
after(async () => {
  admin?.close();
  await cp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const EP = '/api/v1/namespaces/default/endpoints/kubernetes';
const SLICE = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';
const ips = async (): Promise<string[]> => {
  const ep = (await admin.get(EP)).body;
  return (ep.subsets?.[0]?.addresses ?? []).map((a: { ip: string }) => a.ip);
};

test('advertise address: given, else the bind address, else a non-internal IPv4 for a wildcard bind; never loopback', () => {
  const ifs = { lo: [{ family: 'IPv4', internal: true, address: '127.0.0.1' }], eth0: [{ family: 'IPv6', internal: false, address: 'fe80::1' }, { family: 'IPv4', internal: false, address: '10.1.2.3' }] } as never;
  assert.equal(advertiseAddress('0.0.0.0', undefined, ifs), '10.1.2.3');
  assert.equal(advertiseAddress('10.9.9.9', undefined, ifs), '10.9.9.9');
  assert.equal(advertiseAddress('0.0.0.0', '10.0.0.7', ifs), '10.0.0.7');
  assert.equal(advertiseAddress('127.0.0.1', undefined, ifs), undefined);
  assert.equal(advertiseAddress('0.0.0.0', undefined, { lo: (ifs as Record<string, unknown[]>).lo } as never), undefined);
});

test('the Endpoints and EndpointSlice kubernetes name the advertised address and port; the server certificate names 10.96.0.1', async () => {
  const ep = await waitFor('the kubernetes Endpoints', async () => {
    const r = await admin.get(EP);
    return r.status === 200 ? r.body : undefined;
  });
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ name: 'https', port: cp.port, protocol: 'TCP' }] }]);
  assert.equal(ep.metadata.labels['endpointslice.kubernetes.io/skip-mirror'], 'true');
  const slice = (await admin.get(SLICE)).body;
  assert.equal(slice.addressType, 'IPv4');
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  assert.deepEqual(slice.endpoints, [{ addresses: ['192.0.2.1'], conditions: { ready: true } }]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: cp.port, protocol: 'TCP' }]);
  const { X509Certificate } = await import('node:crypto');
  const san = new X509Certificate(cp.pki.serverCertPem).subjectAltName ?? '';
  assert.match(san, /IP Address:10\.96\.0\.1/);
  assert.match(san, /IP Address:192\.0\.2\.1/);
});

test('a second server joins the endpoints and leaves them when it stops; a server whose lease ran out is dropped; a deleted kubernetes Service comes back', async () => {
  const ctx = cp.server.ctx;
  const stopB = startKubernetesEndpoints(ctx, { ip: '192.0.2.2', port: cp.port, intervalMs: 50 });
  await waitFor('both servers listed', async () => ((await ips()).join(' ') === '192.0.2.1 192.0.2.2' ? true : undefined));
  await stopB();
  assert.deepEqual(await ips(), ['192.0.2.1']);
  // A server that died a minute ago: its lease expired 45 s ago; the next reconcile (here a fast one) drops it.
  startKubernetesEndpoints(ctx, { ip: '192.0.2.3', port: cp.port, now: () => new Date(Date.now() - 60_000), intervalMs: 3_600_000 });
  await waitFor('the dead server listed by its own (stale) clock', async () => ((await ips()).includes('192.0.2.3') ? true : undefined));
  const stopC = startKubernetesEndpoints(ctx, { ip: '192.0.2.4', port: cp.port, intervalMs: 50 });
  await waitFor('the expired lease dropped', async () => ((await ips()).join(' ') === '192.0.2.1 192.0.2.4' ? true : undefined));
  // A deleted kubernetes Service comes back on the next round, with its address.
  assert.equal((await admin.delete('/api/v1/namespaces/default/services/kubernetes')).status, 200);
  const back = await waitFor('the kubernetes Service recreated', async () => {
    const r = await admin.get('/api/v1/namespaces/default/services/kubernetes');
    return r.status === 200 ? r.body : undefined;
  });
  assert.equal(back.spec.clusterIP, '10.96.0.1');
  await stopC();
});
