import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import parse from 'parse-prometheus-text-format';
import { createCA } from '../../../pki/ca.ts';
import { issueCert } from '../../../pki/certs.ts';
import { FakeRuntime } from '../runtime/fake.ts';
import type { ContainerConfig } from '../runtime/types.ts';
import { startAgentServer, type AgentServer } from './agent-server.ts';
import { goFloat, resourceMetricsText } from './resource-metrics.ts';
import type { UsageStats } from '../runtime/cgroup-stats.ts';
import type { NodeRequestAttributes } from './request-attributes.ts';

const now = new Date();
const ca = createCA({ commonName: 'cluster-ca', now, validityDays: 1 });
const serving = issueCert(ca, { commonName: 'system:node:n1', usage: 'server', ipAddresses: ['127.0.0.1'], now, validityDays: 1 });
const scraper = issueCert(ca, { commonName: 'system:metrics-server', usage: 'client', now, validityDays: 1 });
const stranger = issueCert(ca, { commonName: 'someone', usage: 'client', now, validityDays: 1 });
const t0 = new Date('2026-01-01T00:00:10.250Z');

const runtime = new FakeRuntime();
const reviewed: Array<{ user: string; a: NodeRequestAttributes }> = [];
let server: AgentServer;
let nodeFails = false;

function cfg(name: string): ContainerConfig {
  return {
    pod: { uid: 'u1', namespace: 'default', name: 'web-1' }, podSpec: { containers: [{ name }] }, container: { name }, attempt: 0,
    image: { ref: 'busybox', digest: 'sha256:00', config: {}, rootfs: '/nonexistent' }, env: [], mounts: [],
  };
}

before(async () => {
  const sb = await runtime.createSandbox({ pod: { uid: 'u1', namespace: 'default', name: 'web-1' }, spec: { containers: [] } });
  runtime.setUsage(sb.id, { cpuUsageNanos: 10_000_000, memoryWorkingSetBytes: 100_000, timestamp: t0 });
  for (const [name, cpu, mem] of [['app', 1_500_000_000, 2_000_000], ['side', 500_000_000, 1_000_000]] as const) {
    const c = await runtime.createContainer(sb.id, cfg(name));
    await runtime.startContainer(c.id);
    runtime.setUsage(c.id, { cpuUsageNanos: cpu, memoryWorkingSetBytes: mem, timestamp: t0 });
  }
  // Created but never started: no stats, not reported.
  await runtime.createContainer(sb.id, cfg('idle'));
  server = await startAgentServer({
    nodeName: 'n1', runtime, cert: serving, clientCaPem: ca.certPem, log: { warn() {} },
    review: async (user, a) => {
      reviewed.push({ user: user.username, a });
      return { allowed: user.username === 'system:metrics-server' && (a.subresource === 'metrics' || a.subresource === 'stats') && a.verb === 'get', reason: '' };
    },
    nodeStats: async () => {
      if (nodeFails) throw new Error('no /proc');
      return { cpuUsageNanos: 3_000_000_000_000, memoryWorkingSetBytes: 4_000_000_000, timestamp: t0 };
    },
    probeMetrics: async () => 'prober_probe_total{container="app",namespace="default",pod="web-1",pod_uid="u1",probe_type="Liveness",result="successful"} 3\n',
  }, 0, '127.0.0.1');
});
after(() => server?.close());

function get(path: string, id: { certPem: string; keyPem: string }): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, ca: ca.certPem, cert: id.certPem, key: id.keyPem }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    });
    req.on('error', reject).end();
  });
}

test('Go float formatting as the Prometheus client writes values', () => {
  assert.deepEqual([0, 1.5, 0.01, 100000, 2000000, 4e9, 0.00001].map(goFloat), ['0', '1.5', '0.01', '100000', '2e+06', '4e+09', '1e-05']);
});

test('/metrics/resource: the kubelet\'s families for the node, the pod (sandbox + containers) and each running container', async () => {
  const r = await get('/metrics/resource', scraper);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.deepEqual(reviewed.at(-1), { user: 'system:metrics-server', a: { verb: 'get', resource: 'nodes', subresource: 'metrics', name: 'n1' } });
  const families = new Map((parse(r.text) as Array<{ name: string; metrics: Array<{ value: string }> }>).map((f) => [f.name, f] as const));
  assert.deepEqual([...families.keys()], [
    'container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_start_time_seconds', 'node_cpu_usage_seconds_total',
    'node_memory_working_set_bytes', 'pod_cpu_usage_seconds_total', 'pod_memory_working_set_bytes', 'resource_scrape_error', 'scrape_error',
  ]);
  const ms = String(t0.getTime());
  assert.match(r.text, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n/);
  assert.ok(r.text.includes(`container_cpu_usage_seconds_total{container="app",namespace="default",pod="web-1"} 1.5 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`container_cpu_usage_seconds_total{container="side",namespace="default",pod="web-1"} 0.5 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`container_memory_working_set_bytes{container="app",namespace="default",pod="web-1"} 2e+06 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`pod_cpu_usage_seconds_total{namespace="default",pod="web-1"} 2.01 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`pod_memory_working_set_bytes{namespace="default",pod="web-1"} 3.1e+06 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`node_cpu_usage_seconds_total 3000 ${ms}\n`), r.text);
  assert.ok(r.text.includes(`node_memory_working_set_bytes 4e+09 ${ms}\n`), r.text);
  assert.ok(r.text.includes('scrape_error 0\n'), r.text);
  assert.doesNotMatch(r.text, /container="idle"/);
  const start = families.get('container_start_time_seconds')!.metrics;
  assert.equal(start.length, 2);
  assert.ok(Math.abs(Number(start[0]!.value) * 1000 - now.getTime()) < 3_600_000);
});

test('a pod with a cgroup of its own is reported from it (exited containers\' time included), not summed from its parts', async () => {
  const t1 = new Date('2026-01-01T00:00:11.000Z');
  class PodCgroupRuntime extends FakeRuntime {
    async podUsageStats(uid: string): Promise<UsageStats | undefined> {
      return uid === 'u2' ? { cpuUsageNanos: 7_000_000_000, memoryWorkingSetBytes: 9_000_000, timestamp: t1 } : undefined;
    }
  }
  const rt = new PodCgroupRuntime();
  for (const uid of ['u2', 'u3']) {
    const pod = { uid, namespace: 'default', name: `p-${uid}` };
    const sb = await rt.createSandbox({ pod, spec: { containers: [] } });
    rt.setUsage(sb.id, { cpuUsageNanos: 1_000_000_000, memoryWorkingSetBytes: 1_000_000, timestamp: t0 });
    const c = await rt.createContainer(sb.id, { ...cfg('app'), pod });
    await rt.startContainer(c.id);
    rt.setUsage(c.id, { cpuUsageNanos: 2_000_000_000, memoryWorkingSetBytes: 2_000_000, timestamp: t0 });
  }
  const text = await resourceMetricsText({ runtime: rt, nodeStats: async () => ({ cpuUsageNanos: 1, memoryWorkingSetBytes: 1, timestamp: t0 }) });
  assert.ok(text.includes(`pod_cpu_usage_seconds_total{namespace="default",pod="p-u2"} 7 ${t1.getTime()}\n`), text);
  assert.ok(text.includes(`pod_memory_working_set_bytes{namespace="default",pod="p-u2"} 9e+06 ${t1.getTime()}\n`), text);
  // Without one (a pod from before pod cgroups): its sandbox's and running containers' sum.
  assert.ok(text.includes(`pod_cpu_usage_seconds_total{namespace="default",pod="p-u3"} 3 ${t0.getTime()}\n`), text);
  assert.ok(text.includes(`container_memory_working_set_bytes{container="app",namespace="default",pod="p-u2"} 2e+06 ${t0.getTime()}\n`), text);
});

test('a failure to read the stats is scrape_error 1 and nothing else', async () => {
  nodeFails = true;
  try {
    const r = await get('/metrics/resource', scraper);
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /container_|pod_|node_/);
    assert.match(r.text, /^resource_scrape_error 1$/m);
    assert.match(r.text, /^scrape_error 1$/m);
  } finally {
    nodeFails = false;
  }
});

test('refused without nodes/metrics: 403 naming the user and the subresource, no metrics', async () => {
  const r = await get('/metrics/resource', stranger);
  assert.equal(r.status, 403);
  assert.equal(r.text, 'Forbidden (user=someone, verb=get, resource=nodes, subresource=metrics)');
  assert.deepEqual(reviewed.at(-1)?.a, { verb: 'get', resource: 'nodes', subresource: 'metrics', name: 'n1' });
});

test('/metrics/probes: the prober metrics, authorized as nodes/metrics', async () => {
  const r = await get('/metrics/probes', scraper);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(r.text, 'prober_probe_total{container="app",namespace="default",pod="web-1",pod_uid="u1",probe_type="Liveness",result="successful"} 3\n');
  assert.deepEqual(reviewed.at(-1), { user: 'system:metrics-server', a: { verb: 'get', resource: 'nodes', subresource: 'metrics', name: 'n1' } });
  assert.equal((await get('/metrics/probes', stranger)).status, 403);
});

test('/stats/summary: the Summary as JSON (indented as go-restful writes it), authorized as nodes/stats', async () => {
  const r = await get('/stats/summary?only_cpu_and_memory=true', scraper);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.type, 'application/json');
  assert.deepEqual(reviewed.at(-1), { user: 'system:metrics-server', a: { verb: 'get', resource: 'nodes', subresource: 'stats', name: 'n1' } });
  assert.match(r.text, /^\{\n "node": \{\n  "nodeName": "n1",\n/);
  const summary = JSON.parse(r.text);
  assert.equal(summary.node.cpu.usageCoreNanoSeconds, 3_000_000_000_000);
  assert.deepEqual(summary.pods.map((p: { podRef: unknown }) => p.podRef), [{ name: 'web-1', namespace: 'default', uid: 'u1' }]);
  assert.deepEqual(summary.pods[0].containers.map((c: { name: string }) => c.name), ['app', 'side']);
  assert.equal(summary.pods[0].memory.workingSetBytes, 3_100_000);
  const refused = await get('/stats/summary', stranger);
  assert.equal(refused.status, 403);
  assert.equal(refused.text, 'Forbidden (user=someone, verb=get, resource=nodes, subresource=stats)');
});
