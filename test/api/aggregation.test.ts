/**
 * API aggregation: an APIService backed by a Service whose EndpointSlice points at a TLS server
 * on 127.0.0.1. Requests for its group/version are authenticated and authorized here, then
 * proxied over TLS verified with the caBundle, presenting the front-proxy client certificate and
 * passing the user in X-Remote-* headers; the Available condition follows a real discovery check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

const now = new Date();
const backendCa = createCA({ commonName: 'backend-ca', now, validityDays: 1 });
const otherCa = createCA({ commonName: 'unrelated-ca', now, validityDays: 1 });
const frontProxyCa = createCA({ commonName: 'front-proxy-ca', now, validityDays: 1 });
const serving = issueCert(backendCa, { commonName: 'api.default.svc', usage: 'server', dnsNames: ['api.default.svc'], now, validityDays: 1 });
const proxyClient = issueCert(frontProxyCa, { commonName: 'front-proxy-client', usage: 'client', now, validityDays: 1 });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  clientCN: string | undefined;
  body: string;
}

let backend: Server;
let backendPort = 0;
const seen: Seen[] = [];
let cp: ControlPlane;
let admin: TestClient;
let dataDir: string;
const clients: TestClient[] = [];

before(async () => {
  backend = createServer({ cert: serving.certPem, key: serving.keyPem, ca: frontProxyCa.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, clientCN: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN), body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/apis/example.com/v1alpha1') {
        res.end(JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'example.com/v1alpha1', resources: [{ name: 'widgets', namespaced: true, kind: 'Widget', verbs: ['get', 'list', 'create'] }] }));
      } else {
        res.end(JSON.stringify({ kind: 'WidgetList', apiVersion: 'example.com/v1alpha1', metadata: {}, items: [], echo: { method: req.method, user: req.headers['x-remote-user'] } }));
      }
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as { port: number }).port;
  dataDir = mkdtempSync(join(tmpdir(), 'portcullis-agg-'));
  cp = await startControlPlane({
    dataDir,
    port: 0,
    bindAddress: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    durability: 'normal',
    aggregation: { proxyClientCert: proxyClient, resyncMs: 200 },
  });
  admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  clients.push(admin);
  const svc = await admin.post('/api/v1/namespaces/default/services', { metadata: { name: 'api' }, spec: { ports: [{ name: 'https', port: 443, targetPort: backendPort }] } });
  assert.equal(svc.status, 201, svc.text);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'api-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'api' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'https', port: backendPort, protocol: 'TCP' }],
  };
  // The API refuses loopback endpoints (as upstream); with no cluster network the test backend
  // is on 127.0.0.1, so its slice is written to the store directly, as a controller would own it.
  const refused = await admin.post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice);
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.body.message, /endpoints\[0\]\.addresses\[0\]: Invalid value: "127\.0\.0\.1": may not be in the loopback range \(127\.0\.0\.0\/8, ::1\/128\)/);
  await cp.store.create('/registry/discovery.k8s.io/endpointslices/default/api-1', slice);
});

after(async () => {
  for (const c of clients) c.close();
  await cp?.close();
  await new Promise<void>((r) => backend.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

const APISERVICES = '/apis/apiregistration.k8s.io/v1/apiservices';
const apiService = (name: string, group: string, version: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { group, version, groupPriorityMinimum: 1000, versionPriority: 15, ...spec } });

/** Polls until the APIService's Available condition satisfies `ok` (the controller checks asynchronously). */
async function availableCondition(name: string, ok: (c: any) => boolean): Promise<any> {
  let last: any;
  for (let i = 0; i < 100; i++) {
    const a = await admin.get(`${APISERVICES}/${name}`);
    last = (a.body?.status?.conditions ?? []).find((c: any) => c.type === 'Available');
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`condition never matched: ${JSON.stringify(last)}`);
}

describe('APIService aggregation', () => {
  test('a Service-backed APIService becomes Available through a verified discovery check and is proxied to', async () => {
    const caBundle = Buffer.from(backendCa.certPem).toString('base64');
    const created = await admin.post(APISERVICES, apiService('v1alpha1.example.com', 'example.com', 'v1alpha1', { service: { namespace: 'default', name: 'api' }, caBundle }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.spec.service.port, 443);
    const cond = await availableCondition('v1alpha1.example.com', (c) => c.status === 'True');
    assert.equal(cond.reason, 'Passed');
    assert.equal(cond.message, 'all checks passed');
    const check = seen.find((s) => s.url === '/apis/example.com/v1alpha1');
    assert.equal(check?.headers['x-remote-user'], 'system:kube-aggregator');

    seen.length = 0;
    const list = await admin.get('/apis/example.com/v1alpha1/namespaces/default/widgets?limit=5', { headers: { 'X-Remote-User': 'mallory', 'Impersonate-User': 'x', 'Impersonate-Group': 'system:masters' } });
    // The admin may impersonate; the backend sees the impersonated user only, never the forged header.
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.kind, 'WidgetList');
    const hit = seen.find((s) => s.url === '/apis/example.com/v1alpha1/namespaces/default/widgets?limit=5');
    assert.ok(hit, JSON.stringify(seen.map((s) => s.url)));
    assert.equal(hit.headers['x-remote-user'], 'x');
    assert.equal(hit.headers['impersonate-user'], undefined);
    assert.equal(hit.headers.authorization, undefined);
    assert.equal(hit.clientCN, 'front-proxy-client');

    seen.length = 0;
    const posted = await admin.post('/apis/example.com/v1alpha1/namespaces/default/widgets', { kind: 'Widget', metadata: { name: 'w' } });
    assert.equal(posted.status, 200, posted.text);
    const post = seen.find((s) => s.method === 'POST');
    assert.equal(post?.headers['x-remote-user'], 'admin');
    assert.deepEqual(String(post?.headers['x-remote-group']).split(', ').sort(), ['system:authenticated', 'system:masters']);
    assert.deepEqual(JSON.parse(post!.body), { kind: 'Widget', metadata: { name: 'w' } });

    const table = await admin.get(`${APISERVICES}/v1alpha1.example.com`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    assert.deepEqual(table.body.rows[0].cells.slice(0, 3), ['v1alpha1.example.com', 'default/api', 'True']);
  });

  test('identities that are not ASCII reach the backend as their UTF-8 bytes, as Go sends them', async () => {
    await availableCondition('v1alpha1.example.com', (c) => c.status === 'True');
    seen.length = 0;
    // Header strings carry one byte per char: the UTF-8 bytes of the names go in as Latin-1 chars.
    const raw = (v: string) => Buffer.from(v, 'utf8').toString('latin1');
    const list = await admin.get('/apis/example.com/v1alpha1/namespaces/default/widgets', { headers: { 'Impersonate-User': raw('jörg-日本'), 'Impersonate-Group': 'system:masters' } });
    assert.equal(list.status, 200, list.text);
    const hit = seen.find((s) => s.url === '/apis/example.com/v1alpha1/namespaces/default/widgets');
    assert.ok(hit);
    const utf8 = (v: unknown) => Buffer.from(String(v), 'latin1').toString('utf8');
    assert.equal(utf8(hit.headers['x-remote-user']), 'jörg-日本');
  });

  test('discovery lists the aggregated group with the resources its backend reported', async () => {
    await availableCondition('v1alpha1.example.com', (c) => c.status === 'True');
    const legacy = await admin.get('/apis');
    const g = legacy.body.groups.find((x: any) => x.name === 'example.com');
    assert.deepEqual(g, { name: 'example.com', versions: [{ groupVersion: 'example.com/v1alpha1', version: 'v1alpha1' }], preferredVersion: { groupVersion: 'example.com/v1alpha1', version: 'v1alpha1' } });
    const group = await admin.get('/apis/example.com');
    assert.equal(group.body.kind, 'APIGroup');
    const agg = await admin.get('/apis', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const item = agg.body.items.find((x: any) => x.metadata.name === 'example.com');
    assert.deepEqual(item.versions[0].resources[0], { resource: 'widgets', responseKind: { group: 'example.com', version: 'v1alpha1', kind: 'Widget' }, scope: 'Namespaced', singularResource: '', verbs: ['get', 'list', 'create'] });
  });

  test('kubectl finds the aggregated resource through discovery', { skip: kubectlSkip(33) }, async () => {
    const r = await runKubectl(33, cp.kubeconfigPath, ['api-resources', '--api-group=example.com', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^widgets\s+example\.com\/v1alpha1\s+true\s+Widget/m);
  });

  test('the group/versions this server serves are Local APIServices, as upstream registers them', async () => {
    const apps = await availableCondition('v1.apps', (x) => x.status === 'True' || x.reason === 'ServedLocally');
    assert.equal(apps.reason, 'Local');
    const core = (await admin.get(`${APISERVICES}/v1.`)).body;
    assert.deepEqual(core.spec, { group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    assert.equal(core.metadata.labels['kube-aggregator.kubernetes.io/automanaged'], 'onstart');
    const hpa = (await admin.get(`${APISERVICES}/v2.autoscaling`)).body;
    assert.equal(hpa.spec.versionPriority, 30);
    const table = await admin.get(`${APISERVICES}/v1.apps`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    assert.deepEqual(table.body.rows[0].cells.slice(0, 3), ['v1.apps', 'Local', 'True']);
  });

  test('the request is authorized here first: a user without access never reaches the backend', async () => {
    const c = new TestClient(cp.url, { caPem: cp.pki.caCertPem, ...issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: 'alice', usage: 'client', now: new Date(), validityDays: 1 }) });
    clients.push(c);
    seen.length = 0;
    const r = await c.get('/apis/example.com/v1alpha1/namespaces/default/widgets');
    assert.equal(r.status, 403, r.text);
    assert.equal(seen.filter((s) => s.url.includes('widgets')).length, 0);
  });

  test('a backend whose certificate the caBundle does not vouch for is not Available, and requests get 503', async () => {
    const caBundle = Buffer.from(otherCa.certPem).toString('base64');
    const created = await admin.post(APISERVICES, apiService('v1beta1.example.com', 'example.com', 'v1beta1', { service: { namespace: 'default', name: 'api' }, caBundle }));
    assert.equal(created.status, 201, created.text);
    const cond = await availableCondition('v1beta1.example.com', (x) => x.status === 'False' && x.reason === 'FailedDiscoveryCheck');
    assert.match(cond.message, new RegExp(`^failing or missing response from https://127\\.0\\.0\\.1:${backendPort}/apis/example\\.com/v1beta1: `));
    const r = await admin.get('/apis/example.com/v1beta1/widgets');
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.reason, 'ServiceUnavailable');
    const table = await admin.get(`${APISERVICES}/v1beta1.example.com`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    assert.equal(table.body.rows[0].cells[2], 'False (FailedDiscoveryCheck)');
  });

  test('a missing Service is reported as upstream words it', async () => {
    await admin.post(APISERVICES, apiService('v1.missing.example.com', 'missing.example.com', 'v1', { service: { namespace: 'default', name: 'nope' } }));
    const cond = await availableCondition('v1.missing.example.com', (x) => x.reason === 'ServiceNotFound');
    assert.equal(cond.status, 'False');
    assert.equal(cond.message, 'service/nope in "default" is not present');
  });

  test('a Local APIService is always available; a built-in group/version is never handed to a backend', async () => {
    await admin.post(APISERVICES, apiService('v1.local.example.com', 'local.example.com', 'v1', {}));
    const local = await availableCondition('v1.local.example.com', (x) => x.status === 'True');
    assert.equal(local.reason, 'Local');
    const current = (await admin.get(`${APISERVICES}/v1.apps`)).body;
    const takeover = await admin.put(`${APISERVICES}/v1.apps`, { ...current, spec: { ...current.spec, service: { namespace: 'default', name: 'api' }, caBundle: Buffer.from(backendCa.certPem).toString('base64') } });
    assert.equal(takeover.status, 200, takeover.text);
    const cond = await availableCondition('v1.apps', (x) => x.status === 'False');
    assert.equal(cond.reason, 'ServedLocally');
    seen.length = 0;
    const deployments = await admin.get('/apis/apps/v1/namespaces/default/deployments');
    assert.equal(deployments.body.kind, 'DeploymentList');
    assert.equal(seen.filter((s) => s.url.startsWith('/apis/apps')).length, 0);
  });
});
