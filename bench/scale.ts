/**
 * The scale scenario (issue 12): a control plane with its scheduler in its own process, N
 * simulated nodes and a pod watch in this process, and a load client creating M bare pods through
 * the API at bounded concurrency. Reports create latency over the whole run and per window (the
 * p99 target holds "throughout"), scheduling throughput from the times the watch first shows each
 * pod's spec.nodeName (sustained = the middle 80% of the bindings), the control plane's RSS, and
 * with a profile directory a CPU profile summary of the control plane over the run.
 * The load client and the nodes meet the server as a real cluster's would (scale-identities.ts): a
 * tenant user under RBAC and API Priority and Fairness, retrying a 429 after its Retry-After as
 * client-go does, and one system:node:<name> identity per simulated node.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RestClient } from '../src/cluster/client/rest-client.ts';
import { resources } from '../src/cluster/client/resources.ts';
import { startSimNodes, type SimNodes } from '../src/cluster/sim/sim-nodes.ts';
import { summarizeProfile } from './profile-summary.ts';
import { RawConnection, type RawResponse } from './raw-client.ts';
import { countScheduledEvents, rssOf, watchBindings } from './scale-observe.ts';
import { phaseSampler, type PhaseReport } from './scale-phases.ts';
import type { SliReport } from './scale-sli.ts';
import { startProgress } from './scale-progress.ts';
import { grantScaleIdentities, writeScaleIdentities, SIM_USER, TENANT } from './scale-identities.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface ScaleOptions {
  nodes: number;
  pods: number;
  /** Create requests in flight at most. */
  concurrency: number;
  dataDir: string;
  cpuProfDir?: string;
  /** Give up when no pod was bound for this long. */
  stallMs: number;
  windowMs: number;
  /** Watch backlog per watcher in events (the server's default, 100, when unset). */
  watchBacklogEvents?: number;
  /**
   * The simulated nodes' Lease renewals and NodeStatus writes in flight at most (default 64):
   * real kubelets each beat on their own, so past this bound a slow answer makes renewals late
   * in the simulator, not at the server (phases.*.leaseRenewals.queueMs shows the wait).
   */
  heartbeatInFlight?: number;
  /** The scheduler's binds in flight at most (its default, 16, when unset); its client gets connections to match. */
  parallelBinds?: number;
  progress(msg: string): void;
}

export interface ScaleResult {
  nodes: number;
  pods: number;
  concurrency: number;
  watchBacklogEvents: number | null;
  /** How often the server ended this bench's own pod watch (a watcher that falls 100 events behind is closed). */
  benchWatchRestarts: number;
  phasesMs: { startControlPlane: number; registerNodes: number; createPods: number; allBound: number | null };
  /** Who the load client and the simulated nodes were (scale-identities.ts). */
  identities: { load: string; nodes: string; simWatch: string };
  /** throttled429: answers 429 the load client got and retried after their Retry-After, as client-go does (counted in the create's latency). */
  create: { latencyMs: LatencySummary; errors: number; statuses: Record<string, number>; throttled429: number; rps: number; worstWindowP99Ms: number; windows: Array<{ atS: number; requests: number; p99Ms: number }> };
  /**
   * The nodes' heartbeats (kubelet: a Lease renewal every 10 s, so nodes/10 a second): renewals
   * done (donePerSec from the end of registration on), the longest gap any node had between two,
   * and renewals later than the Lease's 40 s (that node would have been marked NotReady).
   */
  heartbeats: { leaseRenewals: number; wantedPerSec: number; donePerSec: number; maxLeaseGapMs: number; lateRenewals: number; nodeStatusWrites: number };
  /** Writes of the simulated nodes that failed (each is retried with backoff), and the first one's message. */
  simErrors: { count: number; first: string };
  /** podsRunning: pods the simulated nodes had set Running by the end; scheduledEvents: the Scheduled Events written (the scheduler drops events when its queue of 1,000 is full, as client-go's broadcaster). */
  scheduling: { bound: number; podsRunning: number; sustainedPodsPerSec: number | null; overallPodsPerSec: number | null; createToBindMs: LatencySummary | null; scheduledEvents: number };
  /** heapUsedAfterGcMiB: the API server's heap in use after a full GC at the end (the watch cache and everything else on its thread; not the scheduler's worker): what it holds, where RSS also counts garbage not yet collected. */
  controlPlane: { rssMiB: number | null; peakRssMiB: number | null; heapUsedAfterGcMiB: number | null; cpuSeconds: number; cpuPctOfOneCore: number };
  /**
   * Upstream's API call latency SLI (scale-sli.ts): per single-object mutating (verb, resource),
   * the server's own p99 over 5-minute windows, read from its /metrics every 15 s; the run's worst.
   */
  apiLatencySli: SliReport;
  /**
   * createP99Under1sThroughout: the load client's own view (its latencies, 5 s windows: stricter
   * and noisier than upstream's); mutatingP99Under1sSli: every kind's worst 5-minute p99 from the
   * server's histogram, as upstream's SLO measures it (its per-day allowance not used).
   */
  targets: { sustained1000PodsPerSec: boolean | null; createP99Under1sThroughout: boolean; mutatingP99Under1sSli: boolean | null; rssUnder4GiB: boolean | null };
  profile?: ReturnType<typeof summarizeProfile>;
  /** With a profile directory: the components worker's thread (the scheduler) over its whole life, start to stop. */
  schedulerProfile?: ReturnType<typeof summarizeProfile>;
  /**
   * Where the server's time went, per phase (while the load client creates; after, while the
   * scheduler and the nodes catch up): requests per second per kind and per APF flow from the
   * server's /metrics, and CPU per server thread (main = the API server, WorkerThread = the
   * scheduler). Null where /metrics could not be read.
   */
  phases: { creating: PhaseReport | null; afterCreates: PhaseReport | null };
}


const NS = 'bench-scale';
const NODE_PREFIX = 'sim-node-';
/** client-go's rest client: a 429 with Retry-After is tried again, at most 10 times. */
const MAX_429_RETRIES = 10;

export function podBody(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: NS, labels: { app: 'scale', group: `g${i % 100}` } },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
    },
  });
}

export async function runScale(o: ScaleOptions): Promise<ScaleResult> {
  const t0 = performance.now();
  const asAdmin = process.env.BENCH_SCALE_IDENTITIES === 'admin';
  const nodeNames = Array.from({ length: o.nodes }, (_, i) => `${NODE_PREFIX}${i}`);
  mkdirSync(o.dataDir, { recursive: true });
  const ids = asAdmin ? undefined : writeScaleIdentities(o.dataDir, nodeNames);
  const server: ServerProcess = await spawnServer('portcullis', {
    dataDir: o.dataDir,
    cpuProfDir: o.cpuProfDir,
    // As portcullis up: the scheduler in a worker thread (BENCH_SCALE_IN_PROCESS=1 keeps it on the server's loop).
    // No controllers, so no node lifecycle controller to lift the not-ready:NoSchedule taint
    // TaintNodesByCondition gives each new Node: the plugin is off here (the simulated nodes
    // register Ready), which keeps the measured work what it was before the plugin.
    env: { BENCH_CONTROL_PLANE: JSON.stringify({ controllers: [], leaderElect: false, admission: { disable: ['TaintNodesByCondition'] }, componentsInWorker: process.env.BENCH_SCALE_IN_PROCESS !== '1', ...(ids ? { authn: { tokenAuthFile: ids.tokenAuthFile } } : {}), ...(o.watchBacklogEvents ? { watch: { maxBacklogEvents: o.watchBacklogEvents } } : {}), ...(o.parallelBinds ? { schedulerParallelBinds: o.parallelBinds } : {}) }) },
  });
  let sim: SimNodes | undefined;
  const clients: RestClient[] = [];
  let watch: ReturnType<typeof watchBindings> | undefined;
  let stopProgress = () => {};
  let result: ScaleResult | undefined;
  try {
    const tStarted = performance.now();
    const { tls } = server.target;
    const url = `https://${server.target.host}:${server.target.port}`;
    const config = (agent: string, token?: string) => ({
      server: url,
      identity: token ? { caPem: tls.caPem, token } : { caPem: tls.caPem, certPem: tls.certPem, keyPem: tls.keyPem },
      userAgent: `portcullis-bench/${agent}`,
    });
    // The bench's own instruments (setup, the binding watch, the Event count) stay admin.
    const admin = new RestClient(config('scale'));
    const simClient = new RestClient(config('sim', ids?.simToken));
    const watcher = new RestClient(config('watch'));
    clients.push(admin, simClient, watcher);
    await admin.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // No controllers run: the ServiceAccount admission plugin needs the default account to exist.
    await admin.create(resources.serviceaccounts, NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NS } });
    if (ids) await grantScaleIdentities(admin, NS);
    // A refused node write would only show as a pod that never runs: count them, keep the first.
    const simErrors = { count: 0, first: '' };
    const simLog = {
      info() {},
      error(obj: unknown, msg?: string) {
        simErrors.count++;
        if (!simErrors.first) simErrors.first = `${msg ?? ''} ${String((obj as { err?: unknown })?.err ?? JSON.stringify(obj))}`.slice(0, 500);
      },
    };
    // One client per node, as each kubelet holds its own, with two connections at most: the
    // kubelet's heartbeats go through a client of their own (HTTP/2 there, one request per
    // connection here). The bound is a transport option: in the config it was ignored (32).
    const clientFor = (name: string): RestClient => {
      const c = new RestClient(config(`kubelet-${name}`, ids!.nodeToken(name)), { maxConnections: 2 });
      clients.push(c);
      return c;
    };
    o.progress(`scale: registering ${o.nodes} simulated nodes`);
    // Heartbeats have their own pool (a kubelet's Lease does not wait for its pods' writes); 5,000
    // nodes renewing every 10 s are 500 renewals a second, so it keeps more of them in flight.
    sim = await startSimNodes({ client: simClient, ...(ids ? { clientFor } : {}), namePrefix: NODE_PREFIX, count: o.nodes, maxInFlight: 16, heartbeatMaxInFlight: o.heartbeatInFlight ?? 64, log: simLog });
    const tRegistered = performance.now();
    const beatsAtStart = sim.heartbeats().leaseRenewals;

    const boundAt = new Map<string, number>();
    let lastBound = performance.now();
    const rv = (await watcher.list(resources.pods, NS, { limit: 1 })).metadata.resourceVersion;
    watch = watchBindings(watcher, NS, rv, boundAt, () => (lastBound = performance.now()));

    const cpuStart = await server.cpuMicros();
    const { sample, phaseOf, sli, stop: stopSampler } = phaseSampler(server, () => sim?.takeRenewalTimes() ?? null);
    const atCreate = await sample();
    const saveProfile = await server.profile();
    o.progress(`scale: creating ${o.pods} pods, ${o.concurrency} in flight`);
    const createdAt = new Float64Array(o.pods);
    const latency = new Float64Array(o.pods);
    const doneAt = new Float64Array(o.pods);
    const statuses: Record<string, number> = {};
    let errors = 0;
    let throttled429 = 0;
    let next = 0;
    let created = 0;
    const tCreate = performance.now();
    stopProgress = startProgress(() => ({ created, bound: boundAt.size, running: sim!.runningPods().length }), o.progress);
    const worker = async () => {
      const conn = new RawConnection(server.target, ids ? { bearerToken: ids.tenantToken } : {});
      try {
        while (next < o.pods) {
          const i = next++;
          const a = performance.now();
          let status = -1;
          const body = podBody(i);
          try {
            let res: RawResponse;
            for (let attempt = 0; ; attempt++) {
              res = await conn.request('POST', `/api/v1/namespaces/${NS}/pods`, body, 30_000);
              if (res.status !== 429) break;
              throttled429++;
              if (res.retryAfterS === undefined || attempt >= MAX_429_RETRIES) break;
              await new Promise((r) => setTimeout(r, res.retryAfterS! * 1000));
            }
            status = res.status;
          } catch {
            conn.close();
          }
          const b = performance.now();
          createdAt[i] = a;
          latency[i] = b - a;
          doneAt[i] = b;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 201) errors++;
          else created++;
        }
      } finally {
        conn.close();
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const tCreated = performance.now();
    const atCreated = await sample();
    const wanted = o.pods - errors;
    o.progress(`scale: all created in ${round((tCreated - tCreate) / 1000, 1)} s; waiting for ${wanted - boundAt.size} more bindings`);
    while (boundAt.size < wanted && performance.now() - lastBound < o.stallMs) await new Promise((r) => setTimeout(r, 200));
    const tBound = boundAt.size >= wanted ? performance.now() : null;
    stopProgress();
    const cpuEnd = await server.cpuMicros();
    const atEnd = await sample();
    stopSampler();
    const apiLatencySli = sli();
    const mem = rssOf(server.pid);
    const heapUsed = await server.heapUsedAfterGc();
    const scheduledEvents = await countScheduledEvents(admin, NS);
    // The nodes' own writes went through (a refused one is retried quietly by the write pool).
    const podsRunning = sim.runningPods().length;
    const beats = sim.heartbeats();
    const simSeconds = (performance.now() - tRegistered) / 1000;

    let profile: ScaleResult['profile'];
    if (o.cpuProfDir) {
      await saveProfile('scale');
      profile = summarizeProfile(JSON.parse(readFileSync(join(o.cpuProfDir, 'portcullis-scale.cpuprofile'), 'utf8')), 15);
    }

    // Per-window p99 of the creates that finished in each window.
    const windows: ScaleResult['create']['windows'] = [];
    const nWin = Math.max(1, Math.ceil((tCreated - tCreate) / o.windowMs));
    const buckets: number[][] = Array.from({ length: nWin }, () => []);
    for (let i = 0; i < o.pods; i++) buckets[Math.min(nWin - 1, Math.floor((doneAt[i]! - tCreate) / o.windowMs))]!.push(latency[i]!);
    buckets.forEach((b, w) => windows.push({ atS: round((w * o.windowMs) / 1000, 1), requests: b.length, p99Ms: summarize(b).p99 }));
    const worstWindowP99Ms = Math.max(...windows.filter((w) => w.requests > 0).map((w) => w.p99Ms));

    const times = [...boundAt.values()].sort((a, b) => a - b);
    let sustained: number | null = null;
    if (times.length >= 100) {
      const lo = Math.floor(times.length * 0.1);
      const hi = Math.floor(times.length * 0.9);
      sustained = round(((hi - lo) / (times[hi]! - times[lo]!)) * 1000, 1);
    }
    const overall = times.length ? round((times.length / (times[times.length - 1]! - tCreate)) * 1000, 1) : null;
    const createToBind: number[] = [];
    for (const [name, at] of boundAt) {
      const i = Number(name.slice(2));
      if (createdAt[i]) createToBind.push(at - createdAt[i]!);
    }
    const cpuSeconds = round((cpuEnd - cpuStart) / 1e6, 1);
    const createP99 = summarize(latency).p99;
    result = {
      nodes: o.nodes,
      pods: o.pods,
      concurrency: o.concurrency,
      watchBacklogEvents: o.watchBacklogEvents ?? null,
      benchWatchRestarts: watch.restarts(),
      phasesMs: {
        startControlPlane: Math.round(tStarted - t0),
        registerNodes: Math.round(tRegistered - tStarted),
        createPods: Math.round(tCreated - tCreate),
        allBound: tBound === null ? null : Math.round(tBound - tCreate),
      },
      identities: ids
        ? { load: `${TENANT} (token; Role: create pods in ${NS}; APF global-default)`, nodes: 'system:node:<name> in system:nodes, one token and connection each (Node authorizer, NodeRestriction; APF system-nodes / system-node-high)', simWatch: `${SIM_USER} (ClusterRole: read pods)` }
        : { load: 'admin (system:masters, APF-exempt)', nodes: 'admin (system:masters, APF-exempt)', simWatch: 'admin' },
      create: { latencyMs: summarize(latency), errors, statuses, throttled429, rps: round((o.pods / (tCreated - tCreate)) * 1000, 1), worstWindowP99Ms, windows },
      apiLatencySli,
      heartbeats: { ...beats, wantedPerSec: round(o.nodes / 10, 1), donePerSec: round((beats.leaseRenewals - beatsAtStart) / simSeconds, 1) },
      simErrors,
      scheduling: { bound: boundAt.size, podsRunning, sustainedPodsPerSec: sustained, overallPodsPerSec: overall, createToBindMs: createToBind.length ? summarize(createToBind) : null, scheduledEvents },
      controlPlane: { rssMiB: mem.rss, peakRssMiB: mem.peak, heapUsedAfterGcMiB: Number.isFinite(heapUsed) ? round(heapUsed / 1048576, 1) : null, cpuSeconds, cpuPctOfOneCore: round((cpuSeconds * 1e5) / ((tBound ?? performance.now()) - tCreate), 1) },
      targets: {
        sustained1000PodsPerSec: sustained === null ? null : sustained >= 1000,
        createP99Under1sThroughout: createP99 <= 1000 && worstWindowP99Ms <= 1000,
        mutatingP99Under1sSli: apiLatencySli.worst === null ? null : apiLatencySli.worst.p99Ms <= 1000,
        rssUnder4GiB: mem.peak === null ? null : mem.peak <= 4096,
      },
      ...(profile ? { profile } : {}),
      phases: { creating: phaseOf(atCreate, atCreated), afterCreates: phaseOf(atCreated, atEnd) },
    };
    return result;
  } finally {
    stopProgress();
    watch?.close();
    sim?.stop();
    for (const c of clients) c.close();
    await server.stop();
    // The worker writes its profile when it stops, so only now; the caller gets the same object.
    const workerProfile = o.cpuProfDir ? join(o.cpuProfDir, 'components-worker.cpuprofile') : undefined;
    if (result && workerProfile && existsSync(workerProfile)) result.schedulerProfile = summarizeProfile(JSON.parse(readFileSync(workerProfile, 'utf8')), 15);
  }
}
