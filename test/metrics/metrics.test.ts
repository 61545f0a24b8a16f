/**
 * /metrics through a real server: upstream's metric names and labels in Prometheus text that a
 * real parser reads, counters that move with requests, and RBAC in front of it all.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import type { TestClient } from '../helpers/client.ts';
import { parseMetrics, samples, total } from './prom-text.ts';

let c: TestCluster;
let monitor: TestClient;

before(async () => {
  c = await startTestCluster();
  // The bootstrap policy binds system:monitoring (ClusterRole and group) to /metrics, as upstream.
  monitor = c.as('prometheus', ['system:monitoring']);
});
after(() => c?.close());

async function scrape() {
  const r = await monitor.get('/metrics', { headers: { accept: 'text/plain' } });
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
}

test('the exposition parses and has upstream names, types, labels and buckets', async () => {
  const m = await scrape();
  for (const [name, type] of [
    ['apiserver_request_total', 'COUNTER'],
    ['apiserver_request_duration_seconds', 'HISTOGRAM'],
    ['apiserver_current_inflight_requests', 'GAUGE'],
    ['authentication_attempts', 'COUNTER'],
    ['authorization_attempts_total', 'COUNTER'],
    ['apiserver_authorization_decisions_total', 'COUNTER'],
    ['apiserver_storage_objects', 'GAUGE'],
    ['process_cpu_user_seconds_total', 'COUNTER'],
    ['nodejs_heap_size_used_bytes', 'GAUGE'],
  ] as const) {
    assert.equal(m.families.get(name)?.type, type, `${name} is a ${type}`);
  }
  const req = samples(m, 'apiserver_request_total')[0]!;
  assert.deepEqual(Object.keys(req.labels!).sort(), ['code', 'component', 'dry_run', 'group', 'resource', 'scope', 'subresource', 'verb', 'version']);
  const one = samples(m, 'apiserver_request_duration_seconds_count')[0]!.labels!;
  const bounds = samples(m, 'apiserver_request_duration_seconds_bucket', one).map((s) => s.labels!.le);
  assert.deepEqual(bounds, ['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
  // The monitoring user itself was let in by RBAC, and authenticated by its certificate.
  assert.ok(total(m, 'apiserver_authorization_decisions_total', { type: 'RBAC', name: 'rbac', decision: 'allowed' }) >= 1);
  assert.ok(total(m, 'authentication_attempts', { result: 'success' }) >= 1);
  assert.ok(total(m, 'apiserver_storage_objects', { resource: 'namespaces' }) >= 4, 'default, kube-system, kube-public, kube-node-lease');
  assert.ok(total(m, 'apiserver_storage_size_bytes', { storage_cluster_id: 'sqlite' }) > 4096, 'the SQLite files as allocated');
});

test('a 403 counts under code="403" with the request labels, once per request', async () => {
  const alice = c.as('alice');
  const labels = { verb: 'LIST', group: '', version: 'v1', resource: 'secrets', subresource: '', scope: 'namespace', component: 'apiserver', code: '403', dry_run: '' };
  const before = total(await scrape(), 'apiserver_request_total', labels);
  assert.equal((await alice.get('/api/v1/namespaces/default/secrets')).status, 403);
  const once = total(await scrape(), 'apiserver_request_total', labels);
  assert.equal(once, before + 1);
  assert.equal((await alice.get('/api/v1/namespaces/default/secrets')).status, 403);
  assert.equal(total(await scrape(), 'apiserver_request_total', labels), once + 1);
  assert.ok(total(await scrape(), 'authorization_attempts_total', { result: 'no-opinion' }) >= 2);
});

test('writes count by verb and scope, with admission per plugin and per step', async () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'metrics-cm' }, data: { a: '1' } };
  const created = await c.admin.post('/api/v1/namespaces/default/configmaps', cm);
  assert.equal(created.status, 201, created.text);
  const dry = await c.admin.post('/api/v1/namespaces/default/configmaps?dryRun=All', { ...cm, metadata: { name: 'metrics-dry' } });
  assert.equal(dry.status, 201, dry.text);
  const m = await scrape();
  assert.ok(total(m, 'apiserver_request_total', { verb: 'POST', resource: 'configmaps', scope: 'resource', code: '201', dry_run: '' }) >= 1);
  assert.equal(total(m, 'apiserver_request_total', { verb: 'POST', resource: 'configmaps', code: '201', dry_run: 'All' }), 1);
  assert.ok(total(m, 'apiserver_admission_step_admission_duration_seconds_count', { type: 'validate', operation: 'CREATE', rejected: 'false' }) >= 1);
  const plugins = samples(m, 'apiserver_admission_controller_admission_duration_seconds_count', { operation: 'CREATE' }).map((s) => s.labels!.name);
  assert.ok(plugins.includes('NamespaceLifecycle'), plugins.join(','));
});

test('/metrics is refused to a user without the role', async () => {
  const r = await c.as('mallory').get('/metrics');
  assert.equal(r.status, 403);
  assert.equal(r.body.message, 'forbidden: User "mallory" cannot get path "/metrics"');
});

test('a watch is long-running while open and its events are counted', async () => {
  const labels = { group: '', version: 'v1', resource: 'configmaps' };
  const before = total(await scrape(), 'apiserver_watch_events_total', labels);
  const ac = new AbortController();
  const { request } = await import('node:https');
  const opened = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: c.cp.port, path: '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', agent: c.admin.agent, servername: 'localhost', signal: ac.signal },
      resolve,
    );
    r.on('error', () => {});
    r.on('error', reject);
    r.end();
  });
  const res = await opened;
  res.on('error', () => {});
  const m = await scrape();
  assert.ok(total(m, 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'configmaps', scope: 'namespace' }) >= 1);
  // resourceVersion=0 sends the configmaps there are (at least metrics-cm) as ADDED events.
  for (let i = 0; i < 50 && total(await scrape(), 'apiserver_watch_events_total', labels) === before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(total(await scrape(), 'apiserver_watch_events_total', labels) > before);
  ac.abort();
  for (let i = 0; i < 50 && total(await scrape(), 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'configmaps', scope: 'namespace' }) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(total(await scrape(), 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'configmaps', scope: 'namespace' }), 0);
});

test('a request without credentials is a failed authentication attempt and a 401 in the request counts', async () => {
  const { TestClient } = await import('../helpers/client.ts');
  const nobody = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
  const before = await scrape();
  const failures = total(before, 'authentication_attempts', { result: 'failure' });
  const unauthorized = total(before, 'apiserver_request_total', { code: '401', verb: 'LIST', resource: 'pods' });
  assert.equal((await nobody.get('/api/v1/pods')).status, 401);
  nobody.close();
  const after = await scrape();
  assert.equal(total(after, 'authentication_attempts', { result: 'failure' }), failures + 1);
  assert.equal(total(after, 'apiserver_request_total', { code: '401', verb: 'LIST', resource: 'pods' }), unauthorized + 1);
});
