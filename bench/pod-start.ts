/**
 * Pod start on one node agent (issue 13's goal: create → Running for 50 pods at once, image
 * present, p50 ≤ 300 ms, p99 ≤ 1 s; upstream's SLO is 5 s): a control plane in this process with
 * the CSR controllers, one agent joined by bootstrap token in a process of its own
 * (bench/pod-start-agent.ts), and BENCH_PODS (50) pods bound to its node created at once; each
 * pod's time runs from its create request to the first watch event that shows it Running. On the
 * runc runtime with a busybox image already in the node's store when this runs as root with runc
 * and busybox-static, else on the fake runtime (what the agent and the API add on their own) — the
 * result says which (BENCH_POD_RUNTIME=fake forces the fake). Baseline in the same run: the create
 * requests' own latency. Then pods are added up to BENCH_RSS_PODS (100) and the agent process's
 * resident memory is reported with that many running, and right after it joined, each with the
 * V8 heap after a full GC (issue 13: ≤ 100 MiB). BENCH_PHASES=1 adds
 * the time of each runtime and image-service call the agent made; BENCH_CPU_PROF=<dir> profiles the agent;
 * The agent process runs with the V8 flags and environment of `portcullis agent`
 * (bin/agent-process.mjs) and loads its command's modules; BENCH_AGENT_V8 adds V8 flags after
 * them (e.g. --max-semi-space-size=16, V8's default young generation). The busybox image is built here and imported by
 * the agent, as it would pull it. The agent process starts from a compile cache filled first, as
 * bin/portcullis starts one (BENCH_COLD_START=1: without, every module type-stripped in it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../src/server/control-plane.ts';
import { RestClient } from '../src/cluster/client/rest-client.ts';
import { resources } from '../src/cluster/client/resources.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';
import { createJoinToken } from '../src/cluster/agent/join-token.ts';
import { buildBenchImage, useRunc, type AgentMemory, type AgentReply, type AgentStart } from './pod-start-agent.ts';
import { ratio, summarize, type LatencySummary } from './stats.ts';
import { podStartTimeline, type PodTimes } from './pod-start-timeline.ts';
import { TS_EXEC_ARGV } from './ts-exec-argv.ts';
import { warmCompileCache } from '../bin/compile-cache.mjs';
import { AGENT_ENV, AGENT_MODULES, AGENT_NODE_FLAGS } from '../bin/agent-process.mjs';

export interface PodStartResult {
  runtime: 'runc' | 'fake';
  pods: number;
  podStartMs: LatencySummary;
  createAckMs: LatencySummary;
  podStartVsCreateP50: number;
  target: { p50Under300ms: boolean; p99Under1s: boolean };
  /** The agent process's VmRSS with `rssPods` pods running (and its heap after a full GC). */
  agentRssMiB: number;
  rssPods: number;
  agentMemory: { joined: AgentMemory; withPods: AgentMemory };
  /**
   * The agent process's CPU time per pod over the burst (its own: API calls, status, polling,
   * the launcher's pipe), ms; the processes it starts (runc, shims, mounts) are not in it.
   */
  agentCpuMsPerPod: number;
  /** The bench process's CPU time per pod over the burst, ms: the API server (creates, the agent's writes, watches) and the bench's own client. */
  controlPlaneCpuMsPerPod: number;
  /**
   * With BENCH_CPUACCT=<a cgroup v1 cpuacct directory the bench runs in>: every process's CPU time
   * per pod over the burst, ms (the bench, the agent, runc, shims, mounts; the agent places the
   * containers below its own cgroup).
   */
  allCpuMsPerPod?: number;
  /**
   * API writes per pod during the burst, by verb and resource (from the server's
   * apiserver_request_total, from before the creates until every pod of the burst is Running and
   * a second has passed): the bench's own pod creates are left out; the agent's node Lease and
   * status writes over that time are in.
   */
  apiWritesPerPod: Record<string, number>;
  phases?: Record<string, unknown>;
  /** With BENCH_PHASES=1: where the burst's pods spent their start, segment by segment (pod-start-timeline.ts). */
  timeline?: Record<string, LatencySummary>;
  /** With BENCH_PHASES=1: each start step's count per pod over the burst (syncs per pod start, status writes, worker wake-ups). */
  stepsPerPod?: Record<string, number>;
}

/** Writes the server counted so far (apiserver_request_total), keyed "VERB resource[/subresource]". */
async function writeCounts(cp: ControlPlane): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = cp.server.ctx.metrics?.registry.getSingleMetric('apiserver_request_total');
  if (!metric) return out;
  for (const v of (await metric.get()).values) {
    const { verb, resource, subresource } = v.labels as Record<string, string | undefined>;
    if (!verb || ['GET', 'LIST', 'WATCH', 'WATCHLIST', 'CONNECT'].includes(verb)) continue;
    const key = `${verb} ${resource}${subresource ? `/${subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

function writesPerPod(before: Map<string, number>, after: Map<string, number>, pods: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of after) {
    // The bench's own creates are not the agent's.
    const d = n - (before.get(key) ?? 0) - (key === 'POST pods' ? pods : 0);
    if (d > 0) out[key] = Math.round((d / pods) * 100) / 100;
  }
  return out;
}

const CHILD = fileURLToPath(new URL('./pod-start-agent.ts', import.meta.url));
const step = (m: string) => process.env.BENCH_DEBUG && process.stderr.write(`pod-start: ${m}\n`);

function request<T extends AgentReply['type']>(child: ChildProcess, type: T, send?: object): Promise<Extract<AgentReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: AgentReply) => {
      if (m.type !== type && m.type !== 'error') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (m.type === 'error') reject(new Error(`agent: ${m.message}`));
      else resolve(m as Extract<AgentReply, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`agent process exited (${code}) waiting for ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (send) child.send(send);
  });
}

export async function benchPodStart(n = Number(process.env.BENCH_PODS ?? 50), rssPods = Math.max(n, Number(process.env.BENCH_RSS_PODS ?? 100))): Promise<PodStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-podstart-'));
  const cp = await startControlPlane({
    dataDir: join(dir, 'cp'), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal',
    authn: { enableBootstrapTokenAuth: true }, controllers: ['certificatesigningrequest-approving-controller', 'certificatesigningrequest-signing-controller'], scheduler: false, leaderElect: false,
  });
  const admin = new RestClient({ server: cp.url, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'bench-pod-start' });
  step('control plane up');
  let child: ChildProcess | undefined;
  try {
    const token = await createJoinToken(admin, { now: Date.now });
    // BENCH_CPU_PROF=<dir>: the agent process's CPU profile goes there (bench/profile-summary.ts reads it).
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    // As bin/portcullis starts an agent: from a compile cache filled first (no type stripper in the
    // agent process). BENCH_COLD_START=1 measures it without (every module type-stripped in it).
    // With the V8 flags and environment `portcullis agent` runs with (bin/agent-process.mjs);
    // BENCH_AGENT_V8 flags come after them (the last of a flag wins) and the bench's own
    // environment wins over the agent's (MALLOC_ARENA_MAX=...), to measure another setting.
    const execArgv = [...TS_EXEC_ARGV, ...AGENT_NODE_FLAGS, '--expose-gc', ...(process.env.BENCH_AGENT_V8 ? process.env.BENCH_AGENT_V8.split(' ') : []), ...prof];
    const cache = join(dir, 'compile-cache');
    // The modules the agent process imports, its runtime's included (imported when it starts).
    const agentModules = [...['./pod-start-agent.ts', '../src/cluster/agent/runtime/runc.ts', '../src/cluster/agent/runtime/image-store.ts'].map((m) => new URL(m, import.meta.url).href), ...AGENT_MODULES];
    if (process.features.typescript && process.env.BENCH_COLD_START !== '1') warmCompileCache(cache, agentModules, execArgv);
    const cacheEnv = process.env.BENCH_COLD_START === '1' ? { NODE_DISABLE_COMPILE_CACHE: '1' } : { NODE_COMPILE_CACHE: cache };
    child = fork(CHILD, [], { env: { ...AGENT_ENV, ...process.env, ...cacheEnv }, execArgv, stdio: ['ignore', 2, 2, 'ipc'] });
    const layout = useRunc() ? await buildBenchImage(join(dir, 'image')) : undefined;
    const start: AgentStart = { type: 'start', server: cp.url, caPem: cp.pki.caCertPem, token, dir: join(dir, 'node'), phases: process.env.BENCH_PHASES === '1', ...(layout ? { layout } : {}) };
    const ready = await request(child, 'ready', start);
    step(`agent joined (${ready.runtime})`);
    const joinedReport = await request(child, 'report', { type: 'report' });
    const joined = joinedReport.memory;
    const started = new Map<string, number>();
    // Epoch times for the timeline: the agent process's clock is the same wall clock.
    const epoch = () => performance.timeOrigin + performance.now();
    const createdAt = new Map<string, number>();
    const ackedAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const uids = new Map<string, string>();
    const running = new Map<string, number>();
    const waiters: Array<{ count: number; resolve(): void }> = [];
    const list = await admin.list(resources.pods, 'bench');
    const watch = admin.watch<K8sObject>(resources.pods, 'bench', { resourceVersion: list.metadata.resourceVersion }, (e) => {
      const name = e.object.metadata?.name ?? '';
      if (e.object.status?.phase === 'Running' && !running.has(name) && started.has(name)) {
        running.set(name, performance.now() - started.get(name)!);
        runningAt.set(name, epoch());
        for (const w of waiters) if (running.size >= w.count) w.resolve();
      }
    }, () => {});
    const runningCount = (count: number) => Promise.race([
      new Promise<void>((resolve) => (running.size >= count ? resolve() : waiters.push({ count, resolve }))),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${running.size} of ${count} pods Running after 180 s`)), 180_000).unref()),
    ]);
    await admin.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }).catch(() => undefined);
    // No service account controller runs here: the namespace's default account is made by hand.
    await admin.create(resources.serviceaccounts, 'bench', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch(() => undefined);
    const acks: number[] = [];
    const createPods = (from: number, to: number) => Promise.all(Array.from({ length: to - from }, async (_, k) => {
      const name = `p${from + k}`;
      const t0 = performance.now();
      started.set(name, t0);
      createdAt.set(name, epoch());
      const made = await admin.create<K8sObject>(resources.pods, 'bench', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { nodeName: 'bench-node', terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [{ name: 'c', image: ready.image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      });
      if (from === 0) acks.push(performance.now() - t0);
      uids.set(name, made.metadata?.uid ?? '');
      ackedAt.set(name, epoch());
    }));
    const writesBefore = await writeCounts(cp);
    const cpuBefore = process.cpuUsage();
    const cpuacct = process.env.BENCH_CPUACCT;
    const allCpuMs = () => (cpuacct ? Number(readFileSync(join(cpuacct, 'cpuacct.usage'), 'utf8')) / 1e6 : NaN);
    const allBefore = allCpuMs();
    await createPods(0, n);
    await runningCount(n);
    const cpu = process.cpuUsage(cpuBefore);
    const allCpu = allCpuMs() - allBefore;
    const podStartMs = summarize([...running.values()]);
    const createAckMs = summarize(acks);
    const measured = await request(child, 'report', { type: 'report' });
    const timeline = measured.timelines && podStartTimeline([...createdAt].filter(([name]) => Number(name.slice(1)) < n).map(([name, created]): PodTimes => ({
      created, acked: ackedAt.get(name), running: runningAt.get(name), steps: measured.timelines![uids.get(name) ?? ''] ?? {},
    })));
    // Events and status writes that follow Running (Started is recorded after the start) land first.
    await new Promise((r) => setTimeout(r, 1_000));
    const apiWritesPerPod = writesPerPod(writesBefore, await writeCounts(cp), n);
    step(`${n} pods running; ${rssPods} for the memory figure`);
    await createPods(n, rssPods);
    await runningCount(rssPods);
    // A relist or two and a resync's worth of work with every pod running before memory is read.
    await new Promise((r) => setTimeout(r, 3_000));
    const withPods = (await request(child, 'report', { type: 'report' })).memory;
    watch.close();
    return {
      runtime: ready.runtime, pods: n, podStartMs, createAckMs, podStartVsCreateP50: ratio(podStartMs.p50, createAckMs.p50),
      target: { p50Under300ms: podStartMs.p50 <= 300, p99Under1s: podStartMs.p99 <= 1000 },
      agentRssMiB: withPods.rssMiB, rssPods, agentMemory: { joined, withPods }, agentCpuMsPerPod: Math.round(((measured.cpuMs - joinedReport.cpuMs) / n) * 10) / 10,
      controlPlaneCpuMsPerPod: Math.round(((cpu.user + cpu.system) / 1000 / n) * 10) / 10,
      ...(cpuacct ? { allCpuMsPerPod: Math.round((allCpu / n) * 10) / 10 } : {}), apiWritesPerPod, ...(measured.phases ? { phases: measured.phases } : {}), ...(timeline ? { timeline } : {}),
      ...(measured.stepCounts ? { stepsPerPod: Object.fromEntries(Object.entries(measured.stepCounts).filter(([k]) => k === 'sync' || k === 'update' || k.startsWith('status:')).map(([k, v]) => [k, Math.round((v / n) * 100) / 100])) } : {}),
    };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.send({ type: 'stop' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 120_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    admin.close();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchPodStart().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`), (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}
