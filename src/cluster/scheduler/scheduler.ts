/**
 * The scheduler (pkg/scheduler/scheduler.go + schedule_one.go): informers feed the cache (nodes,
 * bound pods) and the queue (pending pods of our profiles), one loop takes the next pod, runs its
 * profile's cycle over the cache's nodes, assumes the pod on the chosen node and binds it in the
 * background; failures write FailedScheduling and PodScheduled=False and requeue the pod.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { realTimers, type Timers } from '../client/timers.ts';
import type { ApiClient, Informer, InformerFactory, K8sObject } from '../client/types.ts';
import { ConcurrencyLimit } from '../../util/concurrency-limit.ts';
import { SchedulerCache, isTerminal } from './cache.ts';
import { EventSink } from './event-sink.ts';
import { EventSeriesCache, FINISH_MS as SERIES_FINISH_MS, REFRESH_MS as SERIES_REFRESH_MS, writeEvent } from './event-series.ts';
import { defaultProfile, DEFAULT_SCHEDULER_NAME, type Profile } from './profile.ts';
import { podEvent, setPodCondition } from './pod-status.ts';
import { SchedulingQueue, type BackoffSettings, type QueuedPod } from './queue.ts';
import { Framework } from './runtime.ts';
import type { CycleState, Status } from './framework.ts';
import { scaledDown, type Node, type Pod } from './resources.ts';

export interface SchedulerLog {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

export interface SchedulerOptions {
  client: ApiClient;
  /** Where Events are written (default `client`): upstream's scheduler has a client of its own for them, with its own rate limit. */
  eventClient?: ApiClient;
  informers: { nodes: Informer<Node>; pods: Informer<Pod>; namespaces?: Informer<K8sObject> };
  /** Informers for plugins that read other resources (VolumeBinding: claims, volumes, classes); started by the caller. */
  informerFactory?: InformerFactory;
  /** Default: upstream's default profile for schedulerName default-scheduler. */
  profiles?: Profile[];
  /** [0, 1): breaks ties between equally scored nodes. */
  random: () => number;
  now: () => number;
  log: SchedulerLog;
  timers?: Timers;
  /** reportingInstance of events: <schedulerName>-<hostname>. */
  hostname?: string;
  /** Bind calls (POST pods/binding) in flight at most; the binding cycles past it wait their turn (default 16). */
  parallelBinds?: number;
  /** podInitialBackoffSeconds / podMaxBackoffSeconds of the configuration (default 1 s / 10 s). */
  backoff?: BackoffSettings;
}

export interface RunningScheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  /** Resolves once the queue is idle, every bind started has finished and its events are written (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const FLUSH_BACKOFF_MS = 1_000;
const FLUSH_UNSCHEDULABLE_MS = 30_000;
/** 64: at 500 nodes / 10,000 pods 30 % more pods/s and 20 % less server CPU than 16, heartbeats unharmed at 5,000 nodes (README Benchmarks). */
export const DEFAULT_PARALLEL_BINDS = 64;
/** Beyond binds and events: the PodScheduled condition patches of pods that did not fit, and the like. */
export const SCHEDULER_SPARE_CONNECTIONS = 8;

/**
 * Connections the scheduler's client needs so that no bind waits for a socket: one per bind in
 * flight and one per Scheduled event written beside it (the event sink writes as many at once),
 * and a few spare (watches have connections of their own). Upstream's client multiplexes all of
 * them over HTTP/2 and bounds only by QPS; the client's default, 32, is exactly 16 binds and
 * their 16 events, nothing to spare, and 64 binds would queue 96 requests for a socket.
 */
export function schedulerClientConnections(parallelBinds: number = DEFAULT_PARALLEL_BINDS): number {
  return 2 * parallelBinds + SCHEDULER_SPARE_CONNECTIONS;
}

export function schedulerNameOf(pod: Pod): string {
  return pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
}

export function startScheduler(opts: SchedulerOptions): RunningScheduler {
  const { client, informers, random, now, log } = opts;
  const eventClient = opts.eventClient ?? client;
  const timers = opts.timers ?? realTimers;
  const hostname = opts.hostname ?? 'localhost';
  const profiles = opts.profiles ?? [defaultProfile()];
  const frameworks = new Map<string, Framework>();
  const namespaceLabels = (name: string) => informers.namespaces?.get('', name)?.metadata.labels;
  const cache = new SchedulerCache();
  const queue = new SchedulingQueue(now, opts.backoff);
  const moveAllToActive = () => queue.moveAllToActiveOrBackoff();
  for (const p of profiles) {
    if (frameworks.has(p.schedulerName)) throw new Error(`duplicate profile for schedulerName ${JSON.stringify(p.schedulerName)}`);
    frameworks.set(p.schedulerName, new Framework(p, { client, random, now, namespaceLabels, informers: opts.informerFactory, timers, moveAllToActive }));
  }
  const binds = new Set<Promise<void>>();
  // As upstream, binding runs beside the scheduling loop, many pods at once; bounded here so a
  // burst of decisions does not become thousands of simultaneous requests to the API server.
  const bindSlots = new ConcurrencyLimit(opts.parallelBinds ?? DEFAULT_PARALLEL_BINDS);
  // Events are written as many at a time as binds, so in step with them (client-go's
  // broadcaster writes each in its own goroutine; its queue fills only if the API falls behind).
  const events = new EventSink({ write: (e) => writeEvent(eventClient, e), concurrency: bindSlots.limit, log });
  // An event that happens again (a pod failing to fit, attempt after attempt) becomes a series.
  const series = new EventSeriesCache({ record: (e) => events.record(e), now });
  let stopped = false;
  let busy = false;
  let idleWaiters: Array<() => void> = [];

  const ours = (pod: Pod) => frameworks.has(schedulerNameOf(pod));
  const pending = (pod: Pod) => !pod.spec?.nodeName && !isTerminal(pod) && !pod.metadata.deletionTimestamp;

  informers.nodes.addEventHandler({
    add(n) { cache.addNode(n); queue.moveAllToActiveOrBackoff(); },
    update(_o, n) { cache.updateNode(n); queue.moveAllToActiveOrBackoff(); },
    delete(n) { cache.removeNode(n); },
  });
  informers.pods.addEventHandler({
    add(p) {
      if (p.spec?.nodeName) cache.setPod(p);
      else if (ours(p) && pending(p)) queue.add(p);
    },
    update(o, p) {
      if (p.spec?.nodeName) {
        cache.setPod(p);
        queue.delete(p);
        // An in-place resize down frees room (upstream's AssignedPodUpdate with UpdatePodScaleDown).
        if (scaledDown(o, p)) queue.moveAllToActiveOrBackoff();
      } else if (ours(p) && pending(p)) queue.add(p);
      else queue.delete(p);
    },
    delete(p) {
      const wasAssigned = !!p.spec?.nodeName || cache.isAssumed(`${p.metadata.namespace}/${p.metadata.name}`);
      cache.removePod(p);
      queue.delete(p);
      // A pod leaving frees room: pods waiting for room may fit now.
      if (wasAssigned) queue.moveAllToActiveOrBackoff();
    },
  });

  async function recordFailure(q: QueuedPod, profile: string, message: string, reason: 'Unschedulable' | 'SchedulerError', nominatedNodeName?: string): Promise<void> {
    const pod = informers.pods.get(q.pod.metadata.namespace ?? '', q.pod.metadata.name ?? '') ?? q.pod;
    const event = podEvent(pod, { type: 'Warning', reason: 'FailedScheduling', action: 'Scheduling', message, component: profile, instance: `${profile}-${hostname}`, now: now() });
    series.record(event);
    try {
      const extra = nominatedNodeName !== undefined ? { nominatedNodeName: nominatedNodeName || null } : {};
      await setPodCondition(client, pod, { type: 'PodScheduled', status: 'False', reason, message }, now(), extra);
    } catch (err) {
      log.warn({ err, pod: q.key }, 'updating PodScheduled condition failed');
    }
  }

  /** Binds parked in bindSlots (started or waiting), and who waits for them to end (stop). */
  let parkedBinds = 0;
  const parkedDrained: Array<() => void> = [];

  async function bindInBackground(fw: Framework, q: QueuedPod, pod: Pod, node: string, state: CycleState): Promise<void> {
    const status = await fw.preBind(state, pod, node);
    if (status.isSuccess()) parkBind(fw, q, pod, node, state);
    else await afterBind(fw, q, pod, node, state, status);
  }

  /**
   * The bind waits for its slot as one closure (ConcurrencyLimit.start), not as an async frame
   * and a chain of promises: decisions outrun binds (at full size ~100,000 pods waited while the
   * pods were created), and each waiting that way held ~2 KB more (bench/scheduler-memory.ts).
   */
  function parkBind(fw: Framework, q: QueuedPod, pod: Pod, node: string, state: CycleState): void {
    parkedBinds++;
    bindSlots.start(async () => {
      try {
        // A scheduler that stopped (lost its Lease) binds nothing more: the binds still waiting
        // for a slot are given up, their pods left pending for the next leader, as upstream's
        // cancelled context ends its binding goroutines.
        if (stopped) {
          fw.unreserve(state, pod, node);
          cache.forget(pod);
          queue.done(q);
          return;
        }
        await afterBind(fw, q, pod, node, state, await fw.bind(pod, node));
      } catch (err) {
        log.warn({ err, pod: q.key }, 'bind failed');
      } finally {
        if (--parkedBinds === 0) for (const f of parkedDrained.splice(0)) f();
        notifyIdle();
      }
    });
  }

  async function afterBind(fw: Framework, q: QueuedPod, pod: Pod, node: string, state: CycleState, status: Status): Promise<void> {
    if (status.isSuccess()) {
      cache.finishBinding(pod, now());
      queue.done(q);
      log.info({ pod: q.key, node }, 'bound pod');
      // As upstream's bindingCycle: the Scheduled event names the profile that bound the pod.
      const name = fw.profile.schedulerName;
      series.record(podEvent(pod, { type: 'Normal', reason: 'Scheduled', action: 'Binding', message: `Successfully assigned ${q.key} to ${node}`, component: name, instance: `${name}-${hostname}`, now: now() }));
      return;
    }
    fw.unreserve(state, pod, node);
    cache.forget(pod);
    // The room it held is free again: others waiting may fit.
    queue.moveAllToActiveOrBackoff();
    // As upstream: a PreBind failure is reported as such, a refused bind as "Binding rejected".
    const message = status.plugin && fw.preBinders.some((p) => p.name === status.plugin) ? `running PreBind plugin ${JSON.stringify(status.plugin)}: ${status.message()}` : `Binding rejected: ${status.message()}`;
    await recordFailure(q, fw.profile.schedulerName, message, 'SchedulerError');
    queue.addUnschedulable(q, { error: true });
  }

  async function scheduleOne(q: QueuedPod): Promise<void> {
    const current = informers.pods.get(q.pod.metadata.namespace ?? '', q.pod.metadata.name ?? '');
    if (!current || !pending(current) || !ours(current) || cache.isAssumed(q.key)) {
      queue.done(q);
      return;
    }
    q.pod = current;
    const fw = frameworks.get(schedulerNameOf(current))!;
    let result;
    try {
      result = await fw.schedulePod(current, cache.nodeInfos(), cache.affinityNodeLists());
    } catch (err) {
      result = { kind: 'error' as const, message: err instanceof Error ? err.message : String(err) };
    }
    if (result.kind === 'fit') {
      const reserved = fw.reserve(result.state, current, result.node);
      if (!reserved.isSuccess()) {
        const message = `running Reserve plugin ${JSON.stringify(reserved.plugin)}: ${reserved.message()}`;
        await recordFailure(q, fw.profile.schedulerName, message, reserved.isRejected() ? 'Unschedulable' : 'SchedulerError');
        queue.addUnschedulable(q, { error: !reserved.isRejected() });
        return;
      }
      cache.assume(current, result.node);
      const p = bindInBackground(fw, q, current, result.node, result.state).catch((err) => log.warn({ err, pod: q.key }, 'bind failed'));
      binds.add(p);
      void p.finally(() => { binds.delete(p); notifyIdle(); });
      return;
    }
    if (result.kind === 'unschedulable') {
      log.info({ pod: q.key, message: result.message }, 'unable to schedule pod');
      await recordFailure(q, fw.profile.schedulerName, result.message, 'Unschedulable', result.nominatedNodeName);
      queue.addUnschedulable(q);
      return;
    }
    log.warn({ pod: q.key, message: result.message }, 'error scheduling pod');
    await recordFailure(q, fw.profile.schedulerName, result.message, 'SchedulerError');
    queue.addUnschedulable(q, { error: true });
  }

  function notifyIdle(): void {
    if (busy || binds.size > 0 || parkedBinds > 0 || queue.stats().active > 0) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  }

  async function loop(): Promise<void> {
    for (;;) {
      notifyIdle();
      const q = await queue.pop();
      if (!q || stopped) return;
      busy = true;
      try {
        await scheduleOne(q);
      } catch (err) {
        log.warn({ err, pod: q.key }, 'scheduling cycle failed');
        queue.addUnschedulable(q, { error: true });
      } finally {
        busy = false;
      }
      // A cycle is synchronous and pop() answers from the active queue without waiting, so
      // without this turn the loop would never leave the microtask queue while pods keep coming:
      // bind answers, informer events and Event writes would wait until the queue ran dry
      // (binds starved while creates flowed). Upstream's scheduleOne goroutine is preempted;
      // here the loop gives the event loop one turn per cycle.
      await nextTurn();
    }
  }

  /** The periodic work's pending timers, one slot each, cleared on stop. */
  const periodic: unknown[] = [];
  const every = (ms: number, work: () => void) => {
    const slot = periodic.length;
    const tick = () => {
      if (stopped) return;
      work();
      periodic[slot] = timers.setTimeout(tick, ms);
    };
    periodic[slot] = timers.setTimeout(tick, ms);
  };
  every(FLUSH_BACKOFF_MS, () => {
    queue.flushBackoff();
    for (const p of cache.cleanupExpired(now())) log.warn({ pod: `${p.metadata.namespace}/${p.metadata.name}` }, 'assumed pod expired');
  });
  every(FLUSH_UNSCHEDULABLE_MS, () => queue.flushUnschedulableLeftover());
  every(SERIES_FINISH_MS, () => series.finish());
  every(SERIES_REFRESH_MS, () => series.refresh());

  const running = Promise.all([informers.nodes.synced(), informers.pods.synced()]).then(loop, (err) => {
    if (!stopped) log.warn({ err }, 'informers did not sync');
  });

  return {
    cache,
    queue,
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      queueMicrotask(notifyIdle);
    }).then(() => events.idle()),
    async stop() {
      stopped = true;
      for (const t of periodic) timers.clearTimeout(t);
      queue.close();
      for (const fw of frameworks.values()) fw.close();
      await running;
      await Promise.allSettled([...binds]);
      if (parkedBinds > 0) await new Promise<void>((resolve) => parkedDrained.push(resolve));
    },
  };
}
