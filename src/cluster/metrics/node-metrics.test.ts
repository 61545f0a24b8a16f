import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { NodeMetricsCollector, type ScrapeTarget } from './node-metrics.ts';

const node = (name: string, ready: boolean, ip: string, port?: number): K8sObject => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses: [{ type: 'InternalIP', address: ip }], ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) },
});
const pod = (name: string, nodeName: string): K8sObject => ({ metadata: { name, namespace: 'default', labels: { app: 'web' } }, spec: { nodeName } });

/** The agent's text for one pod with one container, and the node. */
function text(o: { at: number; cpu: number; mem: number; start: number; nodeCpu: number; pods?: string[] }): string {
  const lines = [
    '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
    '# TYPE container_cpu_usage_seconds_total counter',
    ...(o.pods ?? ['web-1']).map((p) => `container_cpu_usage_seconds_total{container="app",namespace="default",pod="${p}"} ${o.cpu} ${o.at}`),
    '# TYPE container_memory_working_set_bytes gauge',
    ...(o.pods ?? ['web-1']).map((p) => `container_memory_working_set_bytes{container="app",namespace="default",pod="${p}"} ${o.mem} ${o.at}`),
    '# TYPE container_start_time_seconds gauge',
    ...(o.pods ?? ['web-1']).map((p) => `container_start_time_seconds{container="app",namespace="default",pod="${p}"} ${o.start / 1000}`),
    '# TYPE node_cpu_usage_seconds_total counter',
    `node_cpu_usage_seconds_total ${o.nodeCpu} ${o.at}`,
    '# TYPE node_memory_working_set_bytes gauge',
    `node_memory_working_set_bytes 4.294967296e+09 ${o.at}`,
    '# TYPE scrape_error gauge',
    'scrape_error 0',
  ];
  return `${lines.join('\n')}\n`;
}

function setup() {
  const api = { nodes: [node('n1', true, '10.0.0.1'), node('n2', false, '10.0.0.2'), node('n3', true, '10.0.0.3', 10251)], pods: [pod('web-1', 'n1'), pod('pending', '')] };
  const client = { list: async (r: { resource: string }) => ({ items: r.resource === 'nodes' ? api.nodes : api.pods, metadata: {} }) } as unknown as ApiClient;
  let now = 100_000;
  const texts = new Map<string, string | Error>();
  const scraped: ScrapeTarget[] = [];
  const warnings: object[] = [];
  const c = new NodeMetricsCollector({
    client, now: () => now, resolutionMs: 15_000, log: { warn: (o) => warnings.push(o) },
    scrape: async (t) => {
      scraped.push(t);
      const x = texts.get(t.node);
      if (x instanceof Error || x === undefined) throw x ?? new Error('connection refused');
      return x;
    },
  });
  return { c, api, texts, scraped, warnings, at: (ms: number) => (now = ms) };
}

test('CPU is the rate between two scrapes, memory the last value, with the window; nothing after one scrape', async () => {
  const s = setup();
  s.texts.set('n1', text({ at: 100_000, cpu: 1, mem: 2097152, start: 10_000, nodeCpu: 1000 }));
  await s.c.collect();
  // Ready nodes only, at InternalIP and the kubelet port (10250 unless the Node says).
  assert.deepEqual(s.scraped, [{ node: 'n1', url: 'https://10.0.0.1:10250' }, { node: 'n3', url: 'https://10.0.0.3:10251' }]);
  assert.deepEqual(s.c.source.pods({}), []);
  assert.deepEqual(s.c.source.nodes(), []);

  s.at(115_000);
  s.texts.set('n1', text({ at: 115_000, cpu: 2.5, mem: 3145728, start: 10_000, nodeCpu: 1003 }));
  await s.c.collect();
  const [pm, ...more] = s.c.source.pods({ namespace: 'default' });
  assert.equal(more.length, 0);
  assert.deepEqual(pm, {
    apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '1970-01-01T00:01:55Z', labels: { app: 'web' } },
    timestamp: '1970-01-01T00:01:55Z', window: '15s', containers: [{ name: 'app', usage: { cpu: '100m', memory: '3Mi' } }],
  });
  assert.deepEqual(s.c.source.nodes('n1').map((n) => [n.metadata.name, n.usage, n.window, n.metadata.labels]), [['n1', { cpu: '200m', memory: '4Gi' }, '15s', { 'kubernetes.io/hostname': 'n1' }]]);
  assert.deepEqual(s.c.source.nodes('n3'), [], 'n3 failed its scrapes');
  assert.ok(s.warnings.some((w) => (w as { node?: string }).node === 'n3'));
  assert.deepEqual(s.c.source.pods({ namespace: 'other' }), []);
});

test('pods the API does not have are dropped, and a deleted pod or node goes from the store', async () => {
  const s = setup();
  s.texts.set('n1', text({ at: 100_000, cpu: 1, mem: 2097152, start: 10_000, nodeCpu: 1000, pods: ['web-1', 'stranger'] }));
  await s.c.collect();
  s.at(115_000);
  s.texts.set('n1', text({ at: 115_000, cpu: 2, mem: 2097152, start: 10_000, nodeCpu: 1001, pods: ['web-1', 'stranger'] }));
  await s.c.collect();
  assert.deepEqual(s.c.source.pods({}).map((p) => p.metadata.name), ['web-1']);
  s.api.pods = [];
  s.api.nodes = [];
  s.at(130_000);
  await s.c.collect();
  assert.deepEqual(s.c.source.pods({}), []);
  assert.deepEqual(s.c.source.nodes(), []);
});

test('a restart (start time after the stored point) or a counter that went down gives no usage for that round', async () => {
  const s = setup();
  s.texts.set('n1', text({ at: 100_000, cpu: 5, mem: 2097152, start: 10_000, nodeCpu: 1000 }));
  await s.c.collect();
  s.at(115_000);
  s.texts.set('n1', text({ at: 115_000, cpu: 0.1, mem: 2097152, start: 50_000, nodeCpu: 1001 }));
  await s.c.collect();
  assert.deepEqual(s.c.source.pods({}), [], 'restarted: starts over');
  s.at(130_000);
  s.texts.set('n1', text({ at: 130_000, cpu: 0.05, mem: 2097152, start: 50_000, nodeCpu: 1002 }));
  await s.c.collect();
  assert.deepEqual(s.c.source.pods({}), [], 'counter went down');
  s.at(145_000);
  s.texts.set('n1', text({ at: 145_000, cpu: 1.55, mem: 2097152, start: 50_000, nodeCpu: 1003 }));
  await s.c.collect();
  assert.deepEqual(s.c.source.pods({})[0]?.containers, [{ name: 'app', usage: { cpu: '100m', memory: '2Mi' } }]);
});

test('a container started within one resolution (at least 10 s before) has usage after its first scrape, from its start', async () => {
  const s = setup();
  s.texts.set('n1', text({ at: 100_000, cpu: 1.2, mem: 2097152, start: 88_000, nodeCpu: 1000 }));
  await s.c.collect();
  const [pm] = s.c.source.pods({ name: 'web-1' });
  assert.equal(pm?.window, '12s');
  assert.deepEqual(pm?.containers, [{ name: 'app', usage: { cpu: '100m', memory: '2Mi' } }]);
});
