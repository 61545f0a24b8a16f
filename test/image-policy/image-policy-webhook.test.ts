/**
 * ImagePolicyWebhook through a real API server, with a fake ImageReview backend (a node HTTPS
 * server that requires the API server's client certificate): allow, deny with the reason, verdict
 * caching for allowTTL / denyTTL (on an injected clock), failures denied and not cached, and with
 * defaultAllow a pod admitted with upstream's failed-open marks on the pod and in the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { readEvents } from '../audit/helpers.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { loadImagePolicyWebhookConfig } from '../../src/image-policy/webhook/config.ts';

interface Backend {
  server: Server;
  port: number;
  reviews: any[];
  /** 'review': allow unless an image starts with "bad"; a number: answer that HTTP status. */
  mode: 'review' | number;
}

const now = new Date();
const ca = createCA({ commonName: 'image-policy-ca', now, validityDays: 1 });
const serving = issueCert(ca, { commonName: 'image-policy-backend', usage: 'server', ipAddresses: ['127.0.0.1'], now, validityDays: 1 });
const client = issueCert(ca, { commonName: 'portcullis-apiserver', usage: 'client', now, validityDays: 1 });

async function startBackend(port = 0): Promise<Backend> {
  const b: Backend = { server: undefined as unknown as Server, port: 0, reviews: [], mode: 'review' };
  b.server = createServer({ key: serving.keyPem, cert: serving.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      b.reviews.push({ path: req.url, review });
      if (b.mode !== 'review') {
        res.writeHead(b.mode, { 'content-type': 'text/plain; charset=utf-8' }).end('HTTP Error\n');
        return;
      }
      const bad = (review.spec.containers ?? []).map((c: { image?: string }) => c.image ?? '').filter((i: string) => i.startsWith('bad'));
      // "badquiet..." images are denied without a reason.
      const reason = bad.every((i: string) => i.startsWith('badquiet')) ? undefined : `image ${bad.join(', ')} is not allowed`;
      const status = bad.length === 0 ? { allowed: true, auditAnnotations: { 'checked-by': 'fake' } } : { allowed: false, reason };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', status }));
    });
  });
  b.port = await new Promise<number>((r) => b.server.listen(port, '127.0.0.1', () => r((b.server.address() as { port: number }).port)));
  return b;
}

const stop = (b: Backend) => new Promise<void>((r) => { b.server.closeAllConnections(); b.server.close(() => r()); });

function writeConfig(dir: string, port: number, defaultAllow: boolean): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const kubeconfig = join(dir, `backend-${port}.yaml`);
  writeFileSync(kubeconfig, `clusters: [{name: backend, cluster: {server: "https://127.0.0.1:${port}/review", certificate-authority-data: ${b64(ca.certPem)}}}]
users: [{name: apiserver, user: {client-certificate-data: ${b64(client.certPem)}, client-key-data: ${b64(client.keyPem)}}}]
contexts: [{name: c, context: {cluster: backend, user: apiserver}}]
current-context: c
`);
  const file = join(dir, `admission-${port}.yaml`);
  writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ImagePolicyWebhook
  configuration:
    imagePolicy:
      kubeConfigFile: ${kubeconfig}
      allowTTL: 60
      denyTTL: 10
      retryBackoff: 1
      defaultAllow: ${defaultAllow}
`);
  return file;
}

function pod(name: string, image: string, extra: { init?: string; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [{ name: 'c', image }], ...(extra.init ? { initContainers: [{ name: 'i', image: extra.init }] } : {}) },
  };
}

/** Pods need the namespace's default ServiceAccount, which a controller creates after start. */
async function waitForDefaultServiceAccount(c: TestCluster): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await c.admin.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('no default ServiceAccount');
}

const PODS = '/api/v1/namespaces/default/pods';
const AUDIT = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] } as never;

/** The ResponseComplete audit event of a pod's create, once the log has it. */
async function auditedCreate(log: string, name: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    // readEvents skips a line the writer thread is part-way through.
    const event = readEvents(log).find((e) => e.verb === 'create' && e.objectRef?.name === name && e.stage === 'ResponseComplete');
    if (event) return event;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`no audit event for the create of ${name}`);
}

describe('ImagePolicyWebhook failing closed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipw-'));
  const auditLog = join(dir, 'audit.log');
  let backend: Backend;
  let c: TestCluster;
  let clock = 1_000_000;
  before(async () => {
    backend = await startBackend();
    const cfg = loadImagePolicyWebhookConfig(writeConfig(dir, backend.port, false))!;
    c = await startTestCluster({ admission: { enable: ['ImagePolicyWebhook'], imagePolicyWebhook: { ...cfg, now: () => clock } }, audit: { policy: AUDIT, logPath: auditLog } });
    await waitForDefaultServiceAccount(c);
  });
  after(async () => {
    await c.close();
    await stop(backend);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an allowed pod is admitted; the review has containers, init containers, the forwarded annotations and the namespace', async () => {
    const r = await c.admin.post(PODS, pod('ok1', 'good:1', { init: 'init:1', annotations: { 'ticket.image-policy.k8s.io/id': '7', 'example.com/other': 'x' } }));
    assert.equal(r.status, 201, r.text);
    assert.equal(backend.reviews.length, 1);
    const { path, review } = backend.reviews[0];
    assert.equal(path, '/review');
    assert.equal(review.apiVersion, 'imagepolicy.k8s.io/v1alpha1');
    assert.equal(review.kind, 'ImageReview');
    assert.deepEqual(review.spec, { containers: [{ image: 'good:1' }, { image: 'init:1' }], annotations: { 'ticket.image-policy.k8s.io/id': '7' }, namespace: 'default' });
    // The backend's auditAnnotations, under the plugin's prefix.
    assert.equal((await auditedCreate(auditLog, 'ok1')).annotations['imagepolicywebhook.image-policy.k8s.io/checked-by'], 'fake');
  });

  test('an allow is cached for allowTTL: the same spec is not sent again until it expires', async () => {
    const spec = { init: 'init:1', annotations: { 'ticket.image-policy.k8s.io/id': '7' } };
    const before = backend.reviews.length;
    assert.equal((await c.admin.post(PODS, pod('ok2', 'good:1', spec))).status, 201);
    assert.equal(backend.reviews.length, before, 'answered from the cache');
    clock += 61_000;
    assert.equal((await c.admin.post(PODS, pod('ok3', 'good:1', spec))).status, 201);
    assert.equal(backend.reviews.length, before + 1, 'asked again after allowTTL');
  });

  test("a denial is a 403 with the backend's reason, cached for denyTTL", async () => {
    const before = backend.reviews.length;
    const r = await c.admin.post(PODS, pod('bad1', 'bad:1'));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.message, 'pods "bad1" is forbidden: image policy webhook backend denied one or more images: image bad:1 is not allowed');
    assert.equal((await c.admin.post(PODS, pod('bad2', 'bad:1'))).status, 403);
    assert.equal(backend.reviews.length, before + 1, 'the denial came from the cache');
    clock += 11_000;
    assert.equal((await c.admin.post(PODS, pod('bad3', 'bad:1'))).status, 403);
    assert.equal(backend.reviews.length, before + 2, 'asked again after denyTTL');
  });

  test('a denial without a reason has upstream\'s generic message', async () => {
    const r = await c.admin.post(PODS, pod('quiet', 'badquiet:1'));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.message, 'pods "quiet" is forbidden: one or more images rejected by webhook backend');
  });

  test('an init container image is reviewed too', async () => {
    const r = await c.admin.post(PODS, pod('bad-init', 'good:1', { init: 'bad:init' }));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, /denied one or more images: image bad:init is not allowed/);
  });

  test('updates of a pod are reviewed (a new image can be refused); status writes are not', async () => {
    const cur = (await c.admin.get(`${PODS}/ok1`)).body;
    cur.spec.containers[0].image = 'bad:2';
    const r = await c.admin.put(`${PODS}/ok1`, cur);
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, /^pods "ok1" is forbidden: image policy webhook backend denied one or more images: image bad:2 is not allowed$/);
    clock += 61_000;
    const before = backend.reviews.length;
    const fresh = (await c.admin.get(`${PODS}/ok1`)).body;
    fresh.status = { ...fresh.status, message: 'hello' };
    assert.equal((await c.admin.put(`${PODS}/ok1/status`, fresh)).status, 200);
    assert.equal(backend.reviews.length, before, 'a status write is not sent to the backend');
    const labelled = (await c.admin.get(`${PODS}/ok1`)).body;
    labelled.metadata.labels = { a: 'b' };
    assert.equal((await c.admin.put(`${PODS}/ok1`, labelled)).status, 200);
    assert.equal(backend.reviews.length, before + 1, 'a pod update is reviewed, as upstream (an expired verdict is asked again)');
  });

  test('a backend answering 500 denies (after retries) and the failure is not cached', async () => {
    backend.mode = 500;
    const before = backend.reviews.length;
    const r = await c.admin.post(PODS, pod('e500', 'good:500'));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.message, 'pods "e500" is forbidden: an error on the server ("HTTP Error") has prevented the request from succeeding');
    assert.equal(backend.reviews.length, before + 5, 'one attempt and four retries, as upstream');
    backend.mode = 'review';
    assert.equal((await c.admin.post(PODS, pod('e500', 'good:500'))).status, 201);
  });

  test('a backend that is down denies, naming the failure as client-go does', async () => {
    await stop(backend);
    const r = await c.admin.post(PODS, pod('down', 'good:down'));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.message, `pods "down" is forbidden: Post "https://127.0.0.1:${backend.port}/review": dial tcp 127.0.0.1:${backend.port}: connect: connection refused`);
    assert.equal((await c.admin.get(`${PODS}/down`)).status, 404);
  });
});

describe('ImagePolicyWebhook with defaultAllow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipw-open-'));
  const auditLog = join(dir, 'audit.log');
  let c: TestCluster;
  before(async () => {
    // A port that refuses: a backend started and stopped again.
    const gone = await startBackend();
    await stop(gone);
    const cfg = loadImagePolicyWebhookConfig(writeConfig(dir, gone.port, true))!;
    c = await startTestCluster({
      admission: { enable: ['ImagePolicyWebhook'], imagePolicyWebhook: cfg },
      audit: { policy: AUDIT, logPath: auditLog },
    });
    await waitForDefaultServiceAccount(c);
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the pod is admitted, marked alpha.image-policy.k8s.io/failed-open, and the audit record says failed-open', async () => {
    const r = await c.admin.post(PODS, pod('open1', 'any:1'));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.metadata.annotations['alpha.image-policy.k8s.io/failed-open'], 'true');
    const stored = (await c.admin.get(`${PODS}/open1`)).body;
    assert.equal(stored.metadata.annotations['alpha.image-policy.k8s.io/failed-open'], 'true');
    const event = await auditedCreate(auditLog, 'open1');
    assert.equal(event.annotations['imagepolicywebhook.image-policy.k8s.io/failed-open'], 'true');
  });
});
