/**
 * What the scheduler holds per pod (issue 12: its worker's heap was 610-850 MiB after GC at
 * 150,000 pods), in-process: the scheduler as its process wires it (startSchedulerWithInformers:
 * informers with their transform, cache, queue, plugins) on a client that answers from memory
 * with the objects the API server sends at the scale bench's shapes (templates read back from an
 * in-process control plane once: a Node as the simulator writes it, a pod created, bound and set
 * Running, each with its managedFields), every list and watch event JSON-parsed as RestClient does.
 * Binds are answered at once and followed by the pod's bound and Running watch events, as the
 * server and the simulated kubelet would send them. After each batch: a full GC, the heap in use.
 * Memory, unlike throughput, means something on a shared machine.
 * Usage: node --expose-gc bench/scheduler-memory.ts [pods=50000] [batch=10000] [nodes=5000]
 *   BENCH_SCHEDULER_MEMORY_BACKLOG=N first holds every bind of N pods (the scheduler decides
 *   ~1,200 pods a CPU second at 5,000 nodes, binding at full size ran at ~70/s while the pods were
 *   created, so most pods waited assumed for a bind slot): heap with N pods assumed, then released.
 *   BENCH_HEAP_SNAPSHOT=FILE writes a heap snapshot at the end (bench/heap-summary.ts reads it), and
 *   with a backlog FILE.assumed while the binds are held.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { call, read, withControlPlane } from './in-process-dispatch.ts';
import { podBody } from './scale.ts';
import { nodeObject, nodeStatus, nodeIP } from '../src/cluster/sim/node-template.ts';
import { runningStatus } from '../src/cluster/sim/pod-status.ts';
import { DEFAULT_CAPACITY } from '../src/cluster/sim/config.ts';
import { startSchedulerWithInformers } from '../src/cluster/scheduler/process.ts';
import { stripManagedFields } from '../src/cluster/client/informer.ts';
import type { ApiClient, K8sObject, ListResult, ResourceRef, WatchEvent } from '../src/cluster/client/types.ts';

const PODS = Number(process.argv[2] ?? 50_000);
const BATCH = Number(process.argv[3] ?? 10_000);
const NODES = Number(process.argv[4] ?? 5_000);
const BACKLOG = Number(process.env.BENCH_SCHEDULER_MEMORY_BACKLOG ?? 0);
const NS = 'bench-scale';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

interface Templates { node: K8sObject; created: K8sObject; bound: K8sObject; running: K8sObject; namespace: K8sObject }

/** The objects as the API server answers them, once, from an in-process control plane. */
async function templates(): Promise<Templates> {
  let out: Templates | undefined;
  await withControlPlane(async (ctx) => {
    await call(ctx, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await call(ctx, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    const shape = { name: 'sim-node-0', index: 0, capacity: DEFAULT_CAPACITY };
    await call(ctx, 'POST', '/api/v1/nodes', nodeObject(shape), 'application/json', 'sim');
    await call(ctx, 'PATCH', '/api/v1/nodes/sim-node-0/status', { status: nodeStatus(shape, Date.now(), Date.now()) }, 'application/merge-patch+json', 'sim');
    const path = `/api/v1/namespaces/${NS}/pods/p-0`;
    await call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody(0), 'application/json', 'scale');
    const created = await read<K8sObject>(ctx, path);
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p-0', namespace: NS, uid: created.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: 'sim-node-0' } };
    await call(ctx, 'POST', `${path}/binding`, binding, 'application/json', 'kube-scheduler');
    const bound = await read<K8sObject>(ctx, path);
    await call(ctx, 'PATCH', `${path}/status`, { status: runningStatus(bound, { podIP: '10.0.0.1', hostIP: nodeIP(0) }, Date.now()) }, 'application/merge-patch+json', 'sim');
    out = { node: await read(ctx, '/api/v1/nodes/sim-node-0'), created, bound, running: await read(ctx, path), namespace: await read(ctx, `/api/v1/namespaces/${NS}`) };
  });
  return out!;
}

const t = await templates();
const base = Date.parse('2026-12-07T12:00:00Z');
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const uid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** Every object as new JSON text, so each parse makes its own strings, as a client's does. */
function nodeText(i: number): string {
  const name = `sim-node-${i}`;
  const n = structuredClone(t.node);
  n.metadata.name = name;
  n.metadata.uid = uid(1e9 + i);
  n.metadata.labels!['kubernetes.io/hostname'] = name;
  n.metadata.resourceVersion = String(10 + i);
  const s = nodeStatus({ name, index: i, capacity: DEFAULT_CAPACITY }, base, base + i);
  n.status = { ...s, conditions: s.conditions };
  return JSON.stringify(n);
}

let rv = 1_000_000;
function podObject(i: number, stage: 'created' | 'bound' | 'running', node = ''): K8sObject {
  const p = structuredClone(t[stage]);
  const at = base + i * 2;
  p.metadata.name = `p-${i}`;
  p.metadata.uid = uid(i);
  p.metadata.labels = { app: 'scale', group: `g${i % 100}` };
  p.metadata.creationTimestamp = stamp(at);
  p.metadata.resourceVersion = String(++rv);
  for (const m of p.metadata.managedFields ?? []) m.time = stamp(at + 1000);
  if (stage !== 'created') {
    p.spec!.nodeName = node;
    p.status!.conditions = p.status!.conditions.map((c: Record<string, unknown>) => ({ ...c, lastTransitionTime: stamp(at + 1000) }));
  }
  if (stage === 'running') {
    const idx = Number(node.slice('sim-node-'.length));
    p.status = { ...runningStatus({ ...p, status: t.bound.status }, { podIP: `10.${(idx >> 8) & 255}.${idx & 255}.${(i % 250) + 2}`, hostIP: nodeIP(idx) }, at + 2000), qosClass: 'Burstable' };
  }
  return p;
}
const parsed = <T>(o: unknown): T => JSON.parse(JSON.stringify(o)) as T;

type OnEvent = (e: WatchEvent<K8sObject>) => void;

/** An ApiClient answering from memory: lists of the templates, watches the bench feeds, binds held or answered. */
class MemoryApi {
  readonly config = { server: 'memory://', identity: {} } as ApiClient['config'];
  readonly watchers = new Map<string, OnEvent>();
  binds = 0;
  bindGate: Promise<void> | undefined;
  list<T extends K8sObject>(r: ResourceRef, _ns: string, opts: { limit?: number; continue?: string } = {}): Promise<ListResult<T>> {
    if (r.resource === 'namespaces') return Promise.resolve({ items: [parsed<T>(t.namespace)], metadata: { resourceVersion: '100' } });
    if (r.resource !== 'nodes') return Promise.resolve({ items: [], metadata: { resourceVersion: '100' } });
    const from = Number(opts.continue ?? 0);
    const to = Math.min(NODES, from + (opts.limit ?? 500));
    const items = Array.from({ length: to - from }, (_, k) => JSON.parse(nodeText(from + k)) as T);
    return Promise.resolve({ items, metadata: { resourceVersion: '100', ...(to < NODES ? { continue: String(to) } : {}) } });
  }
  watch<T extends K8sObject>(r: ResourceRef, _ns: string, _o: unknown, onEvent: (e: WatchEvent<T>) => void): { close(): void } {
    this.watchers.set(r.resource, onEvent as OnEvent);
    return { close: () => this.watchers.delete(r.resource) };
  }
  send(resource: string, type: WatchEvent<K8sObject>['type'], obj: K8sObject): void {
    this.watchers.get(resource)?.({ type, object: JSON.parse(JSON.stringify(obj)) as K8sObject });
  }
  async postSubresource<T extends K8sObject>(_r: ResourceRef, _ns: string, name: string, sub: string, body: K8sObject): Promise<T> {
    if (sub !== 'binding') throw new Error(`unexpected ${sub}`);
    if (this.bindGate) await this.bindGate;
    const i = Number(name.slice(2));
    const node = String(body.target.name);
    this.binds++;
    // The server's MODIFIED for the bind, then the simulated kubelet's Running status.
    setImmediate(() => {
      this.send('pods', 'MODIFIED', podObject(i, 'bound', node));
      this.send('pods', 'MODIFIED', podObject(i, 'running', node));
    });
    return {} as T;
  }
  create<T extends K8sObject>(_r: ResourceRef, _ns: string, obj: T): Promise<T> {
    return Promise.resolve(obj);
  }
  patch<T extends K8sObject>(): Promise<T> {
    return Promise.resolve({} as T);
  }
  get<T extends K8sObject>(): Promise<T> {
    return Promise.reject(new Error('not served'));
  }
  update<T extends K8sObject>(_r: ResourceRef, _ns: string, obj: T): Promise<T> {
    return Promise.resolve(obj);
  }
  delete(): Promise<void> {
    return Promise.resolve();
  }
  deleteCollection(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
function heapMiB(): number {
  gc!();
  gc!();
  return mib(process.memoryUsage().heapUsed);
}

const api = new MemoryApi();
const silent = { info() {}, warn() {}, error() {} };
// BENCH_SCHEDULER_MEMORY_TRANSFORM=strip: managedFields dropped only, as before informer-transform.ts.
const transform = process.env.BENCH_SCHEDULER_MEMORY_TRANSFORM === 'strip' ? stripManagedFields : undefined;
const { scheduler, informers } = startSchedulerWithInformers(api as unknown as ApiClient, { random: Math.random, now: Date.now, log: silent, hostname: 'bench', transform });
await informers.waitForCacheSync();
await scheduler.idle();
const samples: Array<{ label: string; pods: number; heapUsedMiB: number }> = [{ label: 'nodes synced', pods: 0, heapUsedMiB: heapMiB() }];
const note = (label: string, pods: number) => {
  samples.push({ label, pods, heapUsedMiB: heapMiB() });
  process.stderr.write(`[scheduler-memory] ${JSON.stringify(samples[samples.length - 1])}\n`);
};

async function addPods(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    api.send('pods', 'ADDED', podObject(i, 'created'));
    if (i % 200 === 199) await turn();
  }
}

const waitUntil = async (ok: () => boolean) => {
  while (!ok()) await turn();
};

let done = 0;
if (BACKLOG > 0) {
  let release!: () => void;
  api.bindGate = new Promise((r) => (release = r));
  await addPods(0, BACKLOG);
  await waitUntil(() => scheduler.queue.stats().active === 0 && scheduler.cache.assumedCount === BACKLOG);
  note('assumed, binds held', BACKLOG);
  if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}.assumed`);
  api.bindGate = undefined;
  release();
  await waitUntil(() => api.binds === BACKLOG);
  await scheduler.idle();
  await waitUntil(() => scheduler.cache.assumedCount === 0);
  note('bound and Running', BACKLOG);
  done = BACKLOG;
}
for (let from = done; from < PODS; from += BATCH) {
  const to = Math.min(PODS, from + BATCH);
  await addPods(from, to);
  await waitUntil(() => api.binds === to);
  await scheduler.idle();
  await waitUntil(() => scheduler.cache.assumedCount === 0);
  note('bound and Running', to);
}
const first = samples[0]!;
const last = samples[samples.length - 1]!;
const out = {
  bench: 'scheduler-memory',
  nodes: NODES,
  pods: PODS,
  samples,
  bytesPerPod: last.pods > 0 ? Math.round(((last.heapUsedMiB - first.heapUsedMiB) * 1048576) / last.pods) : null,
  cache: { assumed: scheduler.cache.assumedCount, queue: scheduler.queue.stats() },
};
if (process.env.BENCH_HEAP_SNAPSHOT) {
  gc!();
  writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
}
console.log(JSON.stringify(out, null, 1));
informers.stop();
await scheduler.stop();
