/**
 * API Priority and Fairness end to end, on a control plane with 2 seats (--max-requests-inflight=1,
 * --max-mutating-requests-inflight=1) so that every priority level has one. A seat is held
 * deterministically by a create whose body never finishes: the pipeline admits it before reading
 * the body, and the seat is only freed when that connection closes. Borrowing (which would move
 * the seats every 10 s) is held back so the counts stay as configured; it has unit tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { parseMetrics, total } from '../metrics/prom-text.ts';
import { ensureFlowControlConfig } from '../../src/server/flowcontrol/ensure-config.ts';

const FC = '/apis/flowcontrol.apiserver.k8s.io/v1';
let cp: ControlPlane;
let dataDir: string;
let admin: TestClient;
const clients: TestClient[] = [];
const creds = (user: string, groups: string[]) => issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: 1 });
function as(user: string, groups: string[] = []): TestClient {
  const c = creds(user, groups);
  const client = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: c.certPem, keyPem: c.keyPem });
  clients.push(client);
  return client;
}

/** A create whose body never completes: it holds its seat until the socket is destroyed. */
function holdSeat(user: string): TLSSocket {
  const c = creds(user, []);
  const url = new URL(cp.url);
  const s = connect({ host: url.hostname, port: Number(url.port), ca: cp.pki.caCertPem, cert: c.certPem, key: c.keyPem, servername: 'localhost' }, () => {
    s.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  });
  s.on('error', () => undefined);
  return s;
}

async function metrics() {
  const r = await admin.get('/metrics');
  assert.equal(r.status, 200);
  return parseMetrics(r.text);
}

/** Polls until `check` holds (a condition, not a timing assertion: it fails only after many tries). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never: ${what}`);
}

const floodLevel = (spec: Record<string, unknown>) => ({ apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'flood' }, spec });
let floodPl: any;
let floodFs: any;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'portcullis-apf-'));
  cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, flowControl: { maxRequestsInflight: 1, maxMutatingRequestsInflight: 1, borrowingPeriodMs: 3_600_000 } });
  admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  clients.push(admin);
  const crb = await admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { metadata: { name: 'flooder' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'flooder', apiGroup: 'rbac.authorization.k8s.io' }] });
  assert.equal(crb.status, 201, crb.text);
  const pl = await admin.post(`${FC}/prioritylevelconfigurations`, floodLevel({ type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Reject' } } }));
  assert.equal(pl.status, 201, pl.text);
  floodPl = pl.body;
  const fs = await admin.post(`${FC}/flowschemas`, {
    metadata: { name: 'flood' },
    spec: { matchingPrecedence: 50, priorityLevelConfiguration: { name: 'flood' }, distinguisherMethod: { type: 'ByUser' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'flooder' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }] }] },
  });
  assert.equal(fs.status, 201, fs.text);
  floodFs = fs.body;
});

after(async () => {
  for (const c of clients) c.close();
  await cp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the suggested configuration is in place, with Dangling conditions written', async () => {
  for (const n of ['system-nodes', 'system-node-high', 'probes', 'system-leader-election', 'workload-leader-election', 'endpoint-controller', 'kube-controller-manager', 'kube-scheduler', 'kube-system-service-accounts', 'service-accounts', 'global-default']) {
    assert.equal((await admin.get(`${FC}/flowschemas/${n}`)).status, 200, n);
  }
  for (const n of ['system', 'node-high', 'leader-election', 'workload-high', 'workload-low', 'global-default']) assert.equal((await admin.get(`${FC}/prioritylevelconfigurations/${n}`)).status, 200, n);
  await until('global-default has its Dangling condition', async () => {
    const c = (await admin.get(`${FC}/flowschemas/global-default`)).body.status?.conditions?.find((x: any) => x.type === 'Dangling');
    return c?.status === 'False' && c.reason === 'Found' && c.message === 'This FlowSchema references the PriorityLevelConfiguration object named "global-default" and it exists';
  });
  const missing = await admin.post(`${FC}/flowschemas`, { metadata: { name: 'to-nowhere' }, spec: { matchingPrecedence: 60, priorityLevelConfiguration: { name: 'nope' }, rules: [] } });
  assert.equal(missing.status, 201, missing.text);
  await until('to-nowhere is dangling', async () => {
    const c = (await admin.get(`${FC}/flowschemas/to-nowhere`)).body.status?.conditions?.find((x: any) => x.type === 'Dangling');
    return c?.status === 'True' && c.reason === 'NotFound';
  });
});

test('a flood at a Reject level gets 429s with Retry-After and the PF headers; the scheduler and node leases still succeed', async () => {
  const flooder = as('flooder');
  await until('flooder is classified into flood', async () => (await flooder.get('/api/v1/namespaces/default/configmaps')).headers['x-kubernetes-pf-prioritylevel-uid'] === floodPl.metadata.uid);
  const held = holdSeat('flooder');
  try {
    await until('the held create occupies the seat', async () => total(await metrics(), 'apiserver_flowcontrol_current_executing_seats', { priority_level: 'flood' }) === 1);
    const r = await flooder.get('/api/v1/namespaces/default/configmaps');
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.reason, 'TooManyRequests');
    assert.equal(r.body.message, 'Too many requests, please try again later.');
    assert.ok(Number(r.headers['retry-after']) >= 1, String(r.headers['retry-after']));
    assert.equal(r.headers['x-kubernetes-pf-prioritylevel-uid'], floodPl.metadata.uid);
    assert.equal(r.headers['x-kubernetes-pf-flowschema-uid'], floodFs.metadata.uid);

    const scheduler = as('system:kube-scheduler');
    const s = await scheduler.get('/api/v1/pods');
    assert.equal(s.status, 200, s.text);
    const kubeScheduler = (await admin.get(`${FC}/flowschemas/kube-scheduler`)).body;
    assert.equal(s.headers['x-kubernetes-pf-flowschema-uid'], kubeScheduler.metadata.uid);
    const node = as('system:node:n1', ['system:nodes']);
    const lease = await node.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } });
    assert.equal(lease.status, 201, lease.text);
    const nodeHigh = (await admin.get(`${FC}/flowschemas/system-node-high`)).body;
    assert.equal(lease.headers['x-kubernetes-pf-flowschema-uid'], nodeHigh.metadata.uid);

    const m = await metrics();
    assert.ok(total(m, 'apiserver_flowcontrol_rejected_requests_total', { priority_level: 'flood', flow_schema: 'flood', reason: 'concurrency-limit' }) >= 1);
    assert.ok(total(m, 'apiserver_flowcontrol_dispatched_requests_total', { priority_level: 'workload-high', flow_schema: 'kube-scheduler' }) >= 1);
    assert.equal(m.families.get('apiserver_flowcontrol_request_wait_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(m.families.get('apiserver_flowcontrol_current_inqueue_requests')?.type, 'GAUGE');
    assert.equal(total(m, 'apiserver_flowcontrol_nominal_limit_seats', { priority_level: 'flood' }), 1);
  } finally {
    held.destroy();
  }
});

test('a watch holds its seat only while it initializes', async () => {
  const flooder = as('flooder');
  await until('flooder is classified into flood', async () => (await flooder.get('/api/v1/namespaces/default/configmaps')).headers['x-kubernetes-pf-prioritylevel-uid'] === floodPl.metadata.uid);
  const watching = flooder.watch('/api/v1/namespaces/default/configmaps?watch=true', () => false, 3000);
  await until('the watch is established', async () => total(await metrics(), 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'configmaps' }) >= 1);
  assert.equal(total(await metrics(), 'apiserver_flowcontrol_current_executing_seats', { priority_level: 'flood' }), 0);
  const r = await flooder.get('/api/v1/namespaces/default/configmaps');
  assert.equal(r.status, 200, 'the only seat of flood is free while the watch streams');
  assert.equal((await watching).status, 200);
});

test('a PriorityLevelConfiguration update changes the limits; a queuing level holds requests until a seat frees', async () => {
  const flooder = as('flooder');
  const put = async (spec: Record<string, unknown>) => {
    const cur = (await admin.get(`${FC}/prioritylevelconfigurations/flood`)).body;
    const r = await admin.put(`${FC}/prioritylevelconfigurations/flood`, { ...cur, spec });
    assert.equal(r.status, 200, r.text);
  };
  await put({ type: 'Limited', limited: { nominalConcurrencyShares: 100000, limitResponse: { type: 'Reject' } } });
  await until('flood has 2 seats', async () => total(await metrics(), 'apiserver_flowcontrol_nominal_limit_seats', { priority_level: 'flood' }) === 2);
  const held = holdSeat('flooder');
  try {
    await until('the held create occupies a seat', async () => total(await metrics(), 'apiserver_flowcontrol_current_executing_seats', { priority_level: 'flood' }) === 1);
    assert.equal((await flooder.get('/api/v1/namespaces/default/configmaps')).status, 200, 'the second seat serves');

    await put({ type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 5 } } } });
    await until('flood is back to 1 seat', async () => total(await metrics(), 'apiserver_flowcontrol_nominal_limit_seats', { priority_level: 'flood' }) === 1);
    const queued = flooder.get('/api/v1/namespaces/default/configmaps');
    await until('the list waits in the queue', async () => total(await metrics(), 'apiserver_flowcontrol_current_inqueue_requests', { priority_level: 'flood' }) === 1);
    held.destroy();
    const r = await queued;
    assert.equal(r.status, 200, r.text);
    assert.ok(total(await metrics(), 'apiserver_flowcontrol_request_wait_duration_seconds_count', { priority_level: 'flood', execute: 'true' }) >= 1);
  } finally {
    held.destroy();
  }
});

test('the bootstrap ensurer (every minute) brings back deleted and auto-updated objects and removes stale auto-update ones', async () => {
  assert.equal((await admin.delete(`${FC}/flowschemas/service-accounts`)).status, 200);
  const low = (await admin.get(`${FC}/prioritylevelconfigurations/workload-low`)).body;
  const changed = await admin.put(`${FC}/prioritylevelconfigurations/workload-low`, { ...low, spec: { ...low.spec, limited: { ...low.spec.limited, nominalConcurrencyShares: 7 } } });
  assert.equal(changed.status, 200, changed.text);
  const stale = await admin.post(`${FC}/flowschemas`, { metadata: { name: 'stale', annotations: { 'apf.kubernetes.io/autoupdate-spec': 'true' } }, spec: { matchingPrecedence: 70, priorityLevelConfiguration: { name: 'global-default' }, rules: [] } });
  assert.equal(stale.status, 201, stale.text);
  await ensureFlowControlConfig(cp.server.ctx);
  assert.equal((await admin.get(`${FC}/flowschemas/service-accounts`)).status, 200);
  assert.equal((await admin.get(`${FC}/prioritylevelconfigurations/workload-low`)).body.spec.limited.nominalConcurrencyShares, 100);
  assert.equal((await admin.get(`${FC}/flowschemas/stale`)).status, 404);
  assert.equal((await admin.get(`${FC}/flowschemas/flood`)).status, 200, 'an object without the annotation is the administrator\'s');
});

test('invalid configuration objects are still refused', async () => {
  const r = await admin.post(`${FC}/prioritylevelconfigurations`, { metadata: { name: 'bad' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 2, handSize: 3, queueLengthLimit: 5 } } } } });
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.message, /handSize/);
});
