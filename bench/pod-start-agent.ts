/**
 * The node agent of the pod-start bench, in a process of its own (forked by bench/pod-start.ts),
 * so that its resident memory is its own and it does not share an event loop with the API server,
 * as a real node. Messages: the parent sends {start}, the child answers {ready, image, runtime};
 * {report} → {rss, phases}; {stop} → the agent stops, the runtime's pods are removed, exit.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
// What `portcullis agent` loads besides the agent (its command and the CLI), resident as in it.
import '../src/cli/main.ts';
import '../src/cli/agent.ts';
import { startAgent } from '../src/cluster/agent/agent.ts';
import { missingForRunc, removeEverything } from '../src/cluster/agent/node-runtime.ts';
import { FakeImageService, FakeRuntime } from '../src/cluster/agent/runtime/fake.ts';
import type { ContainerRuntime, ImageService } from '../src/cluster/agent/runtime/types.ts';
import { timedCalls, type CallTimes } from './timed-calls.ts';
import { podStartChannel, type PodStartStep } from '../src/cluster/agent/pod-start-trace.ts';

export interface AgentStart {
  type: 'start';
  server: string;
  caPem: string;
  token: string;
  dir: string;
  phases: boolean;
  /** The busybox image as an OCI layout, built by the bench's process (a node imports it, as it would pull it); none: the fake runtime. */
  layout?: string;
}
/** The agent process's memory: resident, and the V8 heap in use after a full collection (what is live, not garbage yet to collect). */
export interface AgentMemory {
  rssMiB: number;
  /** Of rssMiB: anonymous memory (V8's heap, malloc) and file-backed pages (mostly the node binary's text, shared with other node processes). */
  anonMiB: number;
  fileMiB: number;
  heapUsedMiB: number;
  /** The V8 heap's committed size, and of it the young generation's (both semi-spaces). */
  heapCommittedMiB: number;
  newSpaceMiB: number;
  externalMiB: number;
}
/** Each pod's start steps (pod-start-trace.ts) by uid: the first time of each step, ms since the epoch. */
export type Timelines = Record<string, Record<string, number>>;
export type AgentReply = { type: 'ready'; runtime: 'runc' | 'fake'; image: string } | { type: 'report'; memory: AgentMemory; cpuMs: number; phases?: Record<string, unknown>; timelines?: Timelines; stepCounts?: Record<string, number> } | { type: 'error'; message: string };

const quiet = { info() {}, warn() {}, error() {} };

/** Whether the bench runs on runc: root, runc and busybox-static, unless BENCH_POD_RUNTIME=fake. */
export function useRunc(): boolean {
  return process.env.BENCH_POD_RUNTIME !== 'fake' && missingForRunc().length === 0 && existsSync('/bin/busybox');
}

/** The busybox image as an OCI layout under dir (in the bench's process: building is no node's work). */
export async function buildBenchImage(dir: string): Promise<string> {
  const { busyboxRootfs } = await import('../src/cluster/agent/runtime/busybox-rootfs.ts');
  const { buildImage } = await import('../src/image-policy/oci/build.ts');
  const ctx = await busyboxRootfs(join(dir, 'ctx'));
  await buildImage({ contextDir: ctx.rootfs, outputDir: join(dir, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
  return join(dir, 'bb.oci');
}

async function realRuntime(dir: string, layout: string | undefined): Promise<{ runtime: ContainerRuntime; images: ImageService; image: string; close(): Promise<void> } | undefined> {
  if (!layout) return undefined;
  const { ImageStore } = await import('../src/cluster/agent/runtime/image-store.ts');
  const { RuncRuntime } = await import('../src/cluster/agent/runtime/runc.ts');
  const images = new ImageStore({ root: join(dir, 'runtime') });
  const image = 'portcullis.local/bench-bb:v1';
  await images.importLayout(layout, image);
  const runtime = new RuncRuntime({ stateRoot: join(dir, 'runtime') });
  return {
    runtime, images, image,
    async close() {
      await removeEverything(runtime);
      runtime.close();
    },
  };
}

/** The agent process's own CPU time so far (user + system), ms: runc and the shims are not in it. */
function agentCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function memory(): Promise<AgentMemory> {
  const status = await readFile('/proc/self/status', 'utf8');
  const bytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const committed = getHeapStatistics().total_heap_size;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rssMiB: mib(bytes('VmRSS')), anonMiB: mib(bytes('RssAnon')), fileMiB: mib(bytes('RssFile')), heapUsedMiB: mib(m.heapUsed),
    heapCommittedMiB: mib(committed), newSpaceMiB: mib(newSpace), externalMiB: mib(m.external),
  };
}

async function main(start: AgentStart): Promise<void> {
  const send = (m: AgentReply) => process.send!(m);
  const real = await realRuntime(start.dir, start.layout);
  let runtime: ContainerRuntime = real?.runtime ?? new FakeRuntime();
  let images: ImageService = real?.images ?? new FakeImageService();
  const phases: CallTimes[] = [];
  const timelines: Timelines = {};
  /** How often each step happened over all pods (the syncs a start takes, the status writes). */
  const stepCounts: Record<string, number> = {};
  if (start.phases) {
    // The clock both processes share: the epoch, to a fraction of a millisecond.
    podStartChannel.subscribe((m) => {
      const { uid, step } = m as PodStartStep;
      (timelines[uid] ??= {})[step] ??= performance.timeOrigin + performance.now();
      stepCounts[step] = (stepCounts[step] ?? 0) + 1;
    });
    const r = timedCalls(runtime, 'runtime');
    const i = timedCalls(images, 'images');
    runtime = r.object;
    images = i.object;
    phases.push(r.times, i.times);
  }
  const agent = await startAgent({
    nodeName: 'bench-node', dataDir: start.dir, bootstrap: { server: start.server, identity: { caPem: start.caPem, token: start.token }, userAgent: 'bench' },
    runtime, images, runtimeScheme: real ? 'runc' : 'fake', runtimeVersion: real ? 'runc://' : 'fake://0',
    host: { hostname: 'bench', internalIP: '127.0.0.1', capacity: { cpu: '8', memory: '16Gi', pods: '500' }, allocatable: { cpu: '8', memory: '16Gi', pods: '500' }, nodeInfo: {} },
    log: quiet, csrPollMs: 50, ...(process.env.BENCH_START_CONCURRENCY ? { startConcurrency: Number(process.env.BENCH_START_CONCURRENCY) } : {}),
  });
  send({ type: 'ready', runtime: real ? 'runc' : 'fake', image: real?.image ?? 'bench.test/app:1' });
  let reports = 0;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'report') {
      // BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot at each report, after the memory is read (bench/heap-summary.ts reads it; it inflates the later reports' RSS).
      const snapshot = () => process.env.BENCH_HEAP_SNAPSHOT && writeHeapSnapshot(join(process.env.BENCH_HEAP_SNAPSHOT, `agent-${++reports}.heapsnapshot`));
      void memory().then((mem) => (snapshot(), mem)).then((mem) => send({ type: 'report', memory: mem, cpuMs: agentCpuMs(), ...(start.phases ? { phases: Object.assign({}, ...phases.map((p) => p.summary())), timelines, stepCounts: { ...stepCounts } } : {}) }));
    } else if (m.type === 'stop') {
      void (async () => {
        await agent.stop();
        await real?.close();
        process.exit(0);
      })();
    }
  });
}

// Only as the forked child (pod-start.ts imports the image helpers from here).
if (import.meta.url === `file://${process.argv[1]}`) {
  process.once('message', (m: AgentStart) => {
    process.channel?.ref();
    main(m).catch((err: Error) => {
      process.send!({ type: 'error', message: err.stack ?? err.message } satisfies AgentReply);
      process.exit(1);
    });
  });
}
