/**
 * Audit through a real server: the policy's rules pick the level of each request; 401 and 403 are
 * recorded (the 403 with the authorization decision and reason); watches have a start and an end
 * record; Audit-Id is on every answer; no credential reaches the log; the log verifies.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TestClient } from '../helpers/client.ts';
import { verifyFiles } from '../../src/audit/verify.ts';
import { loadAuditPublicKey, signingKeyPaths } from '../../src/audit/signing-key.ts';
import { POLICY, waitForRecords } from './helpers.ts';

let tc: TestCluster;
let logPath: string;

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-audit-'));
  logPath = join(dataDir, 'audit.log');
  // allowPrivileged: the privileged pod below reaches PodSecurity (without it validation refuses it first, as upstream).
  tc = await startTestCluster({ dataDir, keep: true, allowPrivileged: true, audit: { policy: structuredClone(POLICY) as any, logPath, checkpointEvery: 50, logMaxSizeBytes: 8 * 1024 } });
  const ns = await tc.admin.post('/api/v1/namespaces', { metadata: { name: 'audited' } });
  assert.equal(ns.status, 201);
});

after(async () => {
  await tc?.close();
  if (tc) rmSync(tc.dataDir, { recursive: true, force: true });
});

const byId = (recs: any[], id: string) => recs.filter((r) => r.auditID === id);

test('RequestResponse for configmaps in "audited": request and response objects, every stage, Audit-Id header', async () => {
  const res = await tc.admin.post('/api/v1/namespaces/audited/configmaps', { metadata: { name: 'cm1' }, data: { k: 'v' } });
  assert.equal(res.status, 201);
  const id = res.headers['audit-id'] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the create');
  const evs = byId(recs, id);
  assert.deepEqual(evs.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
  const done = evs[1];
  assert.equal(done.kind, 'Event');
  assert.equal(done.apiVersion, 'audit.k8s.io/v1');
  assert.equal(done.level, 'RequestResponse');
  assert.equal(done.verb, 'create');
  assert.equal(done.requestURI, '/api/v1/namespaces/audited/configmaps');
  assert.deepEqual(done.objectRef, { resource: 'configmaps', namespace: 'audited', name: 'cm1', apiVersion: 'v1' });
  assert.deepEqual(done.responseStatus, { metadata: {}, code: 201 });
  assert.deepEqual(done.requestObject.data, { k: 'v' });
  assert.equal(done.responseObject.metadata.name, 'cm1');
  assert.ok(done.responseObject.metadata.uid);
  assert.equal(evs[0].responseObject, undefined);
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'allow');
  assert.equal(typeof done.annotations['authorization.k8s.io/reason'], 'string');
  assert.deepEqual(done.sourceIPs, ['127.0.0.1']);
  assert.match(done.stageTimestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  assert.match(done.requestReceivedTimestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  assert.deepEqual(Object.keys(done).slice(0, 8), ['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user']);
});

test('Metadata for secrets: no object of either side, the data never in the log', async () => {
  const res = await tc.admin.post('/api/v1/namespaces/audited/secrets', { metadata: { name: 's1' }, stringData: { password: 'hunter2-in-a-secret' } });
  assert.equal(res.status, 201);
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the secret create');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.equal(done.level, 'Metadata');
  assert.equal(done.requestObject, undefined);
  assert.equal(done.responseObject, undefined);
  assert.ok(!readFileSync(logPath, 'utf8').includes('hunter2'));
  assert.ok(!readFileSync(logPath, 'utf8').includes(Buffer.from('hunter2-in-a-secret').toString('base64')));
});

test('the catch-all rule records pods at Metadata without RequestReceived (rule omitStages); a client Audit-ID is kept', async () => {
  const res = await tc.admin.get('/api/v1/namespaces/default/pods', { headers: { 'audit-id': 'trace-from-client-1' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers['audit-id'], 'trace-from-client-1');
  const recs = await waitForRecords(logPath, (r) => byId(r, 'trace-from-client-1').length > 0, 'the pod list');
  assert.deepEqual(byId(recs, 'trace-from-client-1').map((e) => [e.stage, e.level, e.verb]), [['ResponseComplete', 'Metadata', 'list']]);
  // A non-resource URL that the policy leaves out is not recorded, but still answers with an Audit-Id.
  const h = await tc.admin.get('/healthz');
  assert.ok(h.headers['audit-id']);
});

test('a 401 is one ResponseStarted record naming the attempted method, never the token', async () => {
  const anon = new TestClient(tc.cp.url, { caPem: tc.cp.pki.caCertPem });
  try {
    const res = await anon.get('/api/v1/namespaces/default/configmaps', { headers: { authorization: 'Bearer secret-token-xyz-401' } });
    assert.equal(res.status, 401);
    const id = res.headers['audit-id'] as string;
    assert.ok(id);
    const recs = await waitForRecords(logPath, (r) => byId(r, id).length > 0, 'the 401');
    const evs = byId(recs, id);
    assert.equal(evs.length, 1);
    assert.equal(evs[0].stage, 'ResponseStarted');
    assert.deepEqual(evs[0].user, {});
    assert.deepEqual(evs[0].responseStatus, { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 });
  } finally {
    anon.close();
  }
});

test("a 403's record carries the forbid decision and the reason, and the Status", async () => {
  const bob = tc.as('bob');
  const res = await bob.get('/api/v1/namespaces/audited/configmaps/cm1');
  assert.equal(res.status, 403);
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the 403');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.equal(done.user.username, 'bob');
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'forbid');
  assert.ok(done.annotations['authorization.k8s.io/reason'].length > 0);
  assert.equal(done.responseStatus.code, 403);
  assert.equal(done.responseStatus.reason, 'Forbidden');
  assert.match(done.responseStatus.message, /User "bob" cannot get resource "configmaps"/);
  // RequestResponse for configmaps, but nothing was read: no response object.
  assert.equal(done.responseObject, undefined);
});

test("an RBAC allow's record names the binding, role and subject (upstream's reason)", async () => {
  const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/audited';
  assert.equal((await tc.admin.post(`${rbac}/roles`, { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] })).status, 201);
  assert.equal((await tc.admin.post(`${rbac}/rolebindings`, { metadata: { name: 'dave-reads' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'User', name: 'dave', apiGroup: 'rbac.authorization.k8s.io' }] })).status, 201);
  const dave = tc.as('dave');
  let res = await dave.get('/api/v1/namespaces/audited/configmaps/cm1');
  // RBAC follows the store through a watch: the binding may take a moment to count.
  for (let i = 0; i < 100 && res.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
    res = await dave.get('/api/v1/namespaces/audited/configmaps/cm1');
  }
  assert.equal(res.status, 200);
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the allowed get');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'allow');
  assert.equal(done.annotations['authorization.k8s.io/reason'], 'RBAC: allowed by RoleBinding "dave-reads/audited" of Role "cm-reader" to User "dave"');
  assert.equal(done.responseObject.metadata.name, 'cm1');
});

test('a watch has a ResponseStarted record when it starts and a ResponseComplete when it ends', async () => {
  const r = await tc.admin.watch('/api/v1/namespaces/audited/configmaps?watch=1&timeoutSeconds=1', () => false, 5000);
  assert.equal(r.status, 200);
  const recs = await waitForRecords(logPath, (rs) => rs.some((e) => e.verb === 'watch' && e.stage === 'ResponseComplete' && e.objectRef?.namespace === 'audited'), 'the watch end');
  const id = recs.find((e) => e.verb === 'watch' && e.objectRef?.namespace === 'audited').auditID;
  const stages = byId(recs, id).map((e) => e.stage);
  assert.deepEqual(stages, ['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
  assert.deepEqual(byId(recs, id)[1].responseStatus, { metadata: {}, code: 200 });
});

test('impersonation: user is who authenticated, impersonatedUser who they act as; impersonation headers are not recorded', async () => {
  const res = await tc.admin.get('/api/v1/namespaces/audited/configmaps', { headers: { 'impersonate-user': 'carol-impersonated', 'impersonate-group': 'team-x' } });
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the impersonated request');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.notEqual(done.user.username, 'carol-impersonated');
  assert.deepEqual(done.impersonatedUser, { username: 'carol-impersonated', groups: ['team-x', 'system:authenticated'] });
  assert.ok(!JSON.stringify(done).toLowerCase().includes('impersonate-'));
});

test("TokenReview's token is redacted at Request level", async () => {
  const res = await tc.admin.post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'tr-secret-value-123' } });
  assert.equal(res.status, 201);
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the TokenReview');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.equal(done.level, 'Request');
  assert.equal(done.requestObject.spec.token, '<redacted>');
});

test("an admission denial's record carries the plugin's audit annotations and its Status", async () => {
  const ns = await tc.admin.post('/api/v1/namespaces', { metadata: { name: 'pss-restricted', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  assert.equal(ns.status, 201);
  const pod = { metadata: { name: 'root' }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } };
  const res = await tc.admin.post('/api/v1/namespaces/pss-restricted/pods', pod);
  assert.equal(res.status, 403);
  const id = res.headers['audit-id'] as string;
  const recs = await waitForRecords(logPath, (r) => byId(r, id).some((e) => e.stage === 'ResponseComplete'), 'the pod denial');
  const done = byId(recs, id).find((e) => e.stage === 'ResponseComplete');
  assert.equal(done.annotations['pod-security.kubernetes.io/enforce-policy'], 'restricted:latest');
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'allow');
  assert.equal(done.responseStatus.code, 403);
  assert.match(done.responseStatus.message, /violates PodSecurity "restricted:latest"/);
});

test('no credential anywhere in the log; the rotated log verifies with the cluster key, and one edited byte in the middle record is named', async () => {
  await tc.close();
  const files = readdirSync(tc.dataDir).filter((f) => /^audit.*\.log$/.test(f)).map((f) => join(tc.dataDir, f));
  assert.ok(files.length >= 3, `rotated into ${files.length} files`);
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  for (const secret of ['secret-token-xyz-401', 'tr-secret-value-123', 'Bearer ', '"authorization":', 'BEGIN']) assert.ok(!texts.some((t) => t.includes(secret)), `log contains ${secret}`);
  const key = loadAuditPublicKey(signingKeyPaths(tc.dataDir).pub);
  const r = verifyFiles(files, key);
  assert.equal(r.broken, undefined, JSON.stringify(r.broken));
  assert.ok(r.records > 10);
  assert.ok(r.checkpoints >= 1);
  assert.equal(r.unsigned, 0, 'close signs the tail');
  // The middle record of the whole log, in chain order.
  const lines = r.files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l, i) => ({ f, line: i + 1, rec: JSON.parse(l) })));
  const mid = lines.filter((l) => l.rec.kind === 'Event')[Math.floor(r.records / 2)]!;
  const text = readFileSync(mid.f, 'utf8');
  const all = text.split('\n');
  const at = all[mid.line - 1]!.indexOf('"verb":"') + 8;
  all[mid.line - 1] = `${all[mid.line - 1]!.slice(0, at)}X${all[mid.line - 1]!.slice(at + 1)}`;
  writeFileSync(mid.f, all.join('\n'));
  const bad = verifyFiles([...files].reverse(), key);
  assert.deepEqual(bad.broken, { file: mid.f, line: mid.line, auditID: mid.rec.auditID, reason: 'record was altered: its content does not match its hash' });
});
