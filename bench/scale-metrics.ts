/**
 * Where the scale run's server time goes, from outside the profile: the server's own /metrics
 * (apiserver_request_total and API Priority and Fairness counters) read at phase boundaries, so
 * the report shows requests per second per kind (creates, bindings, Events, pods/status, Leases,
 * node status, lists = relists) and per priority level with their mean latency and queue wait, and
 * the CPU of each of the server's threads from /proc (the main thread vs the components worker).
 */
import { request } from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import type { Target } from './load.ts';
import { round } from './stats.ts';
import { addBucket, type LatencyBuckets } from './scale-sli.ts';

/** One sample line: metric name, its labels, value. */
type Sample = { name: string; labels: Record<string, string>; value: number };

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string, wanted: ReadonlySet<string>): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m || !wanted.has(m[1]!)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const WANTED = new Set([
  'apiserver_request_total',
  'apiserver_request_duration_seconds_sum',
  'apiserver_request_duration_seconds_count',
  // Single-object mutating calls' latency by bucket: upstream's API call latency SLI (scale-sli.ts).
  'apiserver_request_duration_seconds_bucket',
  'apiserver_flowcontrol_dispatched_requests_total',
  'apiserver_flowcontrol_rejected_requests_total',
  'apiserver_flowcontrol_request_wait_duration_seconds_sum',
  'apiserver_flowcontrol_request_wait_duration_seconds_count',
  'nodejs_gc_duration_seconds_sum',
  'nodejs_gc_duration_seconds_count',
  // prom-client's event-loop delay of the API server's thread, reset at each read of /metrics: a
  // reading covers the time since the one before (scale-phases.ts loopDelayOver joins a phase's).
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_max_seconds',
]);

/** Counters summed by a key made of some of their labels. */
export interface MetricsSnapshot {
  at: number;
  requests: Map<string, number>;
  durationSum: Map<string, number>;
  apfDispatched: Map<string, number>;
  apfRejected: Map<string, number>;
  apfWaitSum: Map<string, number>;
  apfWaitCount: Map<string, number>;
  /** The API server thread's garbage collection time by kind (prom-client's nodejs_gc_duration_seconds). */
  gcSeconds: Map<string, number>;
  /** How many collections of each kind (the young generation's size sets how many scavenges: minor). */
  gcCount: Map<string, number>;
  /** The server thread's event-loop delay since the previous read of /metrics (ms): mean, p99, max; prom-client samples every 10 ms and counts that in (idle reads ~10). */
  loopDelayMs: { mean: number; p99: number; max: number };
  /** Cumulative latency buckets of the single-object mutating calls (scale-sli.ts sliKey). */
  buckets: LatencyBuckets;
}

/** verb resource[/subresource] (group left out: the names are unique enough here). */
const requestKey = (l: Record<string, string>) => `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`;
const flowKey = (l: Record<string, string>) => `${l.priority_level}/${l.flow_schema}`;

export function snapshotOf(samples: Sample[], at: number): MetricsSnapshot {
  const s: MetricsSnapshot = { at, requests: new Map(), durationSum: new Map(), apfDispatched: new Map(), apfRejected: new Map(), apfWaitSum: new Map(), apfWaitCount: new Map(), gcSeconds: new Map(), gcCount: new Map(), loopDelayMs: { mean: 0, p99: 0, max: 0 }, buckets: new Map() };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const x of samples) {
    switch (x.name) {
      case 'apiserver_request_total': add(s.requests, requestKey(x.labels), x.value); break;
      case 'apiserver_request_duration_seconds_sum': add(s.durationSum, requestKey(x.labels), x.value); break;
      case 'apiserver_request_duration_seconds_bucket': addBucket(s.buckets, x.labels, x.value); break;
      case 'apiserver_flowcontrol_dispatched_requests_total': add(s.apfDispatched, flowKey(x.labels), x.value); break;
      case 'apiserver_flowcontrol_rejected_requests_total': add(s.apfRejected, flowKey(x.labels), x.value); break;
      case 'apiserver_flowcontrol_request_wait_duration_seconds_sum': if (x.labels.execute === 'true') add(s.apfWaitSum, flowKey(x.labels), x.value); break;
      case 'apiserver_flowcontrol_request_wait_duration_seconds_count': if (x.labels.execute === 'true') add(s.apfWaitCount, flowKey(x.labels), x.value); break;
      case 'nodejs_gc_duration_seconds_sum': add(s.gcSeconds, x.labels.kind ?? '', x.value); break;
      case 'nodejs_gc_duration_seconds_count': add(s.gcCount, x.labels.kind ?? '', x.value); break;
      case 'nodejs_eventloop_lag_mean_seconds': s.loopDelayMs.mean = round(x.value * 1000, 1); break;
      case 'nodejs_eventloop_lag_p99_seconds': s.loopDelayMs.p99 = round(x.value * 1000, 1); break;
      case 'nodejs_eventloop_lag_max_seconds': s.loopDelayMs.max = round(x.value * 1000, 1); break;
    }
  }
  return s;
}

/** Reads the server's /metrics with the bench's admin client certificate. */
export function readMetrics(target: Target, now: () => number): Promise<MetricsSnapshot> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.host, port: target.port, path: '/metrics', method: 'GET', ca: target.tls.caPem, cert: target.tls.certPem, key: target.tls.keyPem, servername: 'localhost', timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET /metrics: ${res.statusCode}`));
        resolve(snapshotOf(parseMetrics(Buffer.concat(chunks).toString('utf8'), WANTED), now()));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('GET /metrics: timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface PhaseRates {
  seconds: number;
  /** Requests per second by "verb resource[/subresource]", with their mean latency; the busiest first. */
  requests: Array<{ kind: string; perSec: number; total: number; meanMs: number }>;
  /** Per priority level / FlowSchema: dispatched per second, mean wait in its queue, rejections (429). */
  apf: Array<{ flow: string; perSec: number; meanWaitMs: number; rejected: number }>;
  /** Seconds the API server's thread spent in garbage collection, by kind (major = mark-compact). */
  gcSeconds: Record<string, number>;
  /** Collections of the API server's thread by kind. */
  gcCount: Record<string, number>;
  /** The API server thread's event-loop delay over the phase (ms): how long a ready socket may wait to be read. */
  serverLoopDelayMs: MetricsSnapshot['loopDelayMs'];
}

/** What happened between two snapshots. */
export function ratesBetween(a: MetricsSnapshot, b: MetricsSnapshot): PhaseRates {
  const seconds = (b.at - a.at) / 1000;
  const delta = (m1: Map<string, number>, m2: Map<string, number>, k: string) => (m2.get(k) ?? 0) - (m1.get(k) ?? 0);
  const requests: PhaseRates['requests'] = [];
  for (const k of b.requests.keys()) {
    const n = delta(a.requests, b.requests, k);
    if (n <= 0) continue;
    requests.push({ kind: k, perSec: round(n / seconds, 1), total: n, meanMs: round((delta(a.durationSum, b.durationSum, k) / n) * 1000, 1) });
  }
  requests.sort((x, y) => y.total - x.total);
  const apf: PhaseRates['apf'] = [];
  for (const k of new Set([...b.apfDispatched.keys(), ...b.apfRejected.keys()])) {
    const n = delta(a.apfDispatched, b.apfDispatched, k);
    const rejected = delta(a.apfRejected, b.apfRejected, k);
    if (n <= 0 && rejected <= 0) continue;
    const waits = delta(a.apfWaitCount, b.apfWaitCount, k);
    apf.push({ flow: k, perSec: round(n / seconds, 1), meanWaitMs: waits > 0 ? round((delta(a.apfWaitSum, b.apfWaitSum, k) / waits) * 1000, 1) : 0, rejected });
  }
  apf.sort((x, y) => y.perSec - x.perSec);
  const gcSeconds: Record<string, number> = {};
  for (const k of b.gcSeconds.keys()) gcSeconds[k] = round(delta(a.gcSeconds, b.gcSeconds, k), 2);
  const gcCount: Record<string, number> = {};
  for (const k of b.gcCount.keys()) gcCount[k] = delta(a.gcCount, b.gcCount, k);
  return { seconds: round(seconds, 1), requests, apf, gcSeconds, gcCount, serverLoopDelayMs: b.loopDelayMs };
}

/** CPU seconds (user + system) of each thread of a process, by thread name; empty where /proc is not there. */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  const tick = 100; // USER_HZ on Linux
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces; the fields after it are space-separated.
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      const name = tid === String(pid) ? 'main' : stat.slice(open + 1, close);
      const cpu = (Number(fields[11]) + Number(fields[12])) / tick;
      out.set(name, (out.get(name) ?? 0) + cpu);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** CPU seconds per thread name spent between two threadCpu readings, the busiest first. */
export function threadCpuBetween(a: Map<string, number>, b: Map<string, number>, seconds: number): Array<{ thread: string; cpuSeconds: number; pctOfOneCore: number }> {
  const out = [...b].map(([thread, v]) => ({ thread, cpuSeconds: round(v - (a.get(thread) ?? 0), 1), pctOfOneCore: round(((v - (a.get(thread) ?? 0)) / seconds) * 100, 1) }));
  return out.filter((t) => t.cpuSeconds > 0).sort((x, y) => y.cpuSeconds - x.cpuSeconds);
}
