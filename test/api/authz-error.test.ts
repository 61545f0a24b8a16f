import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { issueCert } from '../../src/pki/certs.ts';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { TestClient } from '../helpers/client.ts';

let cp: ControlPlane;
let dir: string;
let port: number;
const clients: TestClient[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-authz-error-'));
  // A port nobody listens on: every SubjectAccessReview fails to connect.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const kubeconfig = join(dir, 'authz-webhook.yaml');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: w\n  cluster:\n    server: https://127.0.0.1:${port}/authorize\ncontexts:\n- name: w\n  context: {cluster: w, user: w}\ncurrent-context: w\nusers:\n- name: w\n  user: {}\n`);
  cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    port: 0,
    bindAddress: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    durability: 'normal',
    // RBAC first, so that a user can still create a SelfSubjectAccessReview (system:basic-user).
    authorizationModes: ['RBAC', 'Webhook'],
    authorizationFiles: { webhookConfigFile: kubeconfig },
  });
});
after(async () => {
  for (const c of clients) c.close();
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an authorizer that fails is a 500 with a generic message, not a 403 carrying its error', async () => {
  const cert = issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: 'alice', organizations: [], usage: 'client', now: new Date(), validityDays: 1 });
  const alice = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  clients.push(alice);
  const r = await alice.get('/api/v1/namespaces/default/configmaps');
  assert.equal(r.status, 500, r.text);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Internal error occurred: the request could not be authorized',
    reason: 'InternalError',
    details: { causes: [{ message: 'the request could not be authorized' }] },
    code: 500,
  });
  assert.ok(!r.text.includes(String(port)) && !r.text.includes('ECONNREFUSED'), 'no internal detail leaks');
});

test('an access review reports the failing authorizer in status.evaluationError, as upstream, without claiming an explicit deny', async () => {
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  clients.push(admin);
  const r = await admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'default' } },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status.allowed, false);
  assert.equal(r.body.status.denied, undefined);
  assert.match(r.body.status.evaluationError, /^authorization webhook failed: /);
});

test('a SelfSubjectAccessReview, open to every user, names the failing authorizer but not its error (the log has it)', async () => {
  const cert = issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: 'alice', organizations: [], usage: 'client', now: new Date(), validityDays: 1 });
  const alice = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  clients.push(alice);
  const r = await alice.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'default' } },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status.allowed, false);
  assert.equal(r.body.status.denied, undefined);
  assert.equal(r.body.status.evaluationError, 'authorizer "Webhook" failed; the API server log has the error');
  assert.ok(!r.text.includes(String(port)) && !r.text.includes('ECONNREFUSED'), 'no internal detail leaks');
});

test('an authorizer that fails during impersonation is upstream\'s 403 for that identity, without its error', async () => {
  // filters/impersonation.go: `if err != nil || decision != DecisionAllow` answers Forbidden with
  // the authorizer's reason (empty for a failed webhook); only the main authorization filter turns
  // an error into a 500.
  const cert = issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: 'alice', organizations: [], usage: 'client', now: new Date(), validityDays: 1 });
  const alice = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  clients.push(alice);
  const r = await alice.get('/api/v1/namespaces/default/configmaps', { headers: { 'Impersonate-User': 'bob' } });
  assert.equal(r.status, 403, r.text);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    reason: 'Forbidden',
    details: { name: 'bob', kind: 'users' },
    code: 403,
  });
  assert.ok(!r.text.includes(String(port)) && !r.text.includes('ECONNREFUSED') && !r.text.includes('webhook'), 'no internal detail leaks');
});
