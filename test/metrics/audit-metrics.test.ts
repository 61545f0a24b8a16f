/**
 * Audit figures on /metrics, read from the audit backends' counters, and `portcullis explain`
 * reading the audit log beside the server's trace.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { runExplain } from '../../src/cli/explain.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { ApiserverMetrics } from '../../src/metrics/apiserver-metrics.ts';
import { registerAuditMetrics } from '../../src/metrics/audit-metrics.ts';
import { ResourceRegistry } from '../../src/api/registry/registry.ts';
import { builtinResources } from '../../src/api/registry/builtin.ts';
import { parseMetrics, total } from './prom-text.ts';

let c: TestCluster;
let logPath: string;

before(async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  logPath = join(mkdtempSync(join(tmpdir(), 'portcullis-audit-metrics-')), 'audit.log');
  c = await startTestCluster({ audit: { policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] } as never, logPath } });
});
after(() => c?.close());

test('apiserver_audit_event_total counts the records written; no errors for a healthy log', async () => {
  const r = await c.admin.get('/api/v1/namespaces/default/secrets');
  assert.equal(r.status, 200);
  const m = parseMetrics((await c.admin.get('/metrics')).text);
  assert.equal(m.families.get('apiserver_audit_event_total')?.type, 'COUNTER');
  assert.ok(total(m, 'apiserver_audit_event_total') >= 2, 'at least this request at two stages');
  assert.equal(total(m, 'apiserver_audit_error_total', { plugin: 'log' }), 0);
});

test('portcullis explain adds the audit log records of the request', async () => {
  const r = await c.admin.get('/api/v1/namespaces/default/configmaps');
  const id = String(r.headers['audit-id']);
  let out = '';
  for (let i = 0; i < 100 && !out.includes('ResponseComplete'); i++) {
    out = '';
    await runExplain([id, '--kubeconfig', c.cp.kubeconfigPath, '--audit-log-path', logPath], (s) => (out += s), (cfg) => new RestClient(cfg));
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.match(out, /Audit record: {3}ResponseComplete level=Metadata list \/api\/v1\/namespaces\/default\/configmaps user=admin code=200/);
  assert.match(out, /authorization.k8s.io\/decision: allow/);
});

test('drops and failures of each backend are errors, drops also on their own', async () => {
  const metrics = new ApiserverMetrics(new ResourceRegistry(builtinResources()));
  const stats = { log: { events: 10, dropped: 0, errors: 1 }, webhook: { events: 4, dropped: 6, errors: 2 } };
  registerAuditMetrics(metrics, { stats: () => stats });
  let m = parseMetrics(await metrics.registry.metrics());
  assert.equal(total(m, 'apiserver_audit_event_total'), 10);
  assert.equal(total(m, 'apiserver_audit_error_total', { plugin: 'log' }), 1);
  assert.equal(total(m, 'apiserver_audit_error_total', { plugin: 'webhook' }), 8);
  assert.equal(total(m, 'portcullis_audit_events_dropped_total', { plugin: 'webhook' }), 6);
  stats.webhook.dropped = 9;
  m = parseMetrics(await metrics.registry.metrics());
  assert.equal(total(m, 'portcullis_audit_events_dropped_total', { plugin: 'webhook' }), 9, 'read again at each scrape');
  assert.equal(total(m, 'apiserver_audit_event_total'), 13);
});
