/**
 * The eviction manager's response to a met threshold (synchronize after the local-storage pass):
 * the thresholds whose grace period has passed are taken memory first (byEvictionPriority), an
 * EvictionThresholdMet Warning goes on the Node ("Attempting to reclaim <resource>"), for a disk
 * signal node-level reclaim comes first (unused images deleted, upstream's DeleteUnusedImages) and
 * when no threshold is met after it nothing more is done; otherwise one pod is evicted per pass,
 * chosen by upstream's ranking for the resource:
 * - memory (rankMemoryPressure): pods whose working set exceeds their memory request first, then
 *   lower priority, then the larger working set over request;
 * - ephemeral-storage and inodes (rankDiskPressureFunc): the same over ephemeral-storage use (inodes: by
 *   inodes, against no request, as no container requests inodes);
 * - pids (rankPIDPressure): lower priority first, then more processes (those in the pod's
 *   containers' and sandbox's cgroups).
 * Only pods that had anything running are candidates; one without stats goes first, as upstream's
 * comparators put it. Critical pods are skipped. The
 * pod is killed by its worker, phase Failed, reason Evicted, "The node was low on resource: …"
 * and a DisruptionTarget condition (TerminationByKubelet), as evictPod. While an evicted pod is
 * still active no other is chosen (upstream waits for its clean-up).
 *
 * Disk use is measured as ES's local-storage pass measures a pod's total (writable layers, logs,
 * local volumes; du, bounded walks); inode signals rank by the inodes of the same (rankedUsage).
 * Memory is the working set of the pod's own cgroup (pod-cgroups.ts: everything the pod ran, as
 * upstream's pod stats), or for a pod from before pod cgroups its running containers' and sandbox's;
 * and at least what its memory-backed emptyDirs hold (memory-volumes.ts: pages written by a
 * container no longer running count for no cgroup measured; max rather than sum, as a running
 * writer's pages are in its working set already).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatQty, parseQty, qtyFromInt, ZERO } from '../../../api/quantity.ts';
import type { ContainerRuntime, ContainerStatus } from '../runtime/types.ts';
import { podRequest } from '../pod-admission.ts';
import type { PressureMonitor } from './pressure-monitor.ts';
import { byEvictionPriority, DISK_SIGNALS, resourceOf, thresholdQuantity, type Observations, type Threshold } from './thresholds.ts';
import { evictionGracePeriod, EvictionVerdicts, podDesc } from './eviction-verdicts.ts';
import { rankedUsage, type PodStorageUsage, type StorageLimits } from './local-storage-limits.ts';

export interface NodePressureEvictionDeps {
  monitor: Pick<PressureMonitor, 'pass' | 'thresholdsMet' | 'unresolved' | 'observations'>;
  pods(): readonly Pod[];
  runtime: Pick<ContainerRuntime, 'list' | 'usageStats' | 'podUsageStats'>;
  /** Bytes the pod's memory-backed emptyDirs hold (memory-volumes.ts). */
  memoryVolumes?(pod: Pod): Promise<number>;
  /** The clock of the wait for an evicted pod's memory volumes (default Date.now). */
  now?: () => number;
  /** A pod's disk use, as the local-storage pass measures it. */
  measure(pod: Pod, limits: StorageLimits, own: readonly ContainerStatus[]): Promise<PodStorageUsage>;
  /** Node-level reclaim before any pod goes for a disk signal (unused images deleted). */
  reclaim(): Promise<void>;
  /** Wakes the pod's worker, which reads verdict(uid) and kills the pod. */
  evict(uid: string): void;
  /** --eviction-max-pod-grace-period: the most a soft threshold's eviction gives a pod (default 0). */
  maxPodGracePeriodSeconds?: number;
  /** A Warning event on the Node. */
  warn(reason: string, message: string): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

const NANO = 1_000_000_000n;
/** Upstream's podCleanupTimeout: how long an eviction waits for the last evicted pod's resources. */
const POD_CLEANUP_TIMEOUT_MS = 30_000;
const binary = (n: number): string => formatQty(qtyFromInt(Math.trunc(n), 'BinarySI'));
const decimal = (n: number): string => formatQty(qtyFromInt(Math.trunc(n), 'DecimalSI'));
const active = (p: Pod): boolean => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
const isDisk = (t: Threshold): boolean => (DISK_SIGNALS as readonly string[]).includes(t.signal);

/** Everything measured: no limit bounds the walks (the totals rank the pods). */
function unbounded(pod: Pod): StorageLimits {
  const all = { qty: qtyFromInt(0, 'BinarySI'), bytes: Number.MAX_SAFE_INTEGER, text: '' };
  return { emptyDirs: [], pod: all, containers: new Map((pod.spec?.containers ?? []).map((c) => [c.name, all])) };
}

export interface Ranked {
  pod: Pod;
  /** Stats were found for the pod (upstream's statsFunc). */
  found: boolean;
  usage: number;
  request: number;
  containers: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

const byPriority = (a: Ranked, b: Ranked): number => (a.pod.spec?.priority ?? 0) - (b.pod.spec?.priority ?? 0);
/** cmpBool: true first. */
const trueFirst = (a: boolean, b: boolean): number => (a === b ? 0 : a ? -1 : 1);

/** rankMemoryPressure / rankDiskPressureFunc: over the request first, then priority, then use over request; rankPIDPressure: priority, then more processes. */
export function rankPods(pods: readonly Ranked[], resource: string): Ranked[] {
  if (resource === 'pids') return [...pods].sort((a, b) => byPriority(a, b) || (!a.found || !b.found ? trueFirst(!a.found, !b.found) : b.usage - a.usage));
  return [...pods].sort((a, b) => {
    if (!a.found || !b.found) return trueFirst(!a.found, !b.found);
    const exceeds = trueFirst(a.usage > a.request, b.usage > b.request);
    if (exceeds) return exceeds;
    return byPriority(a, b) || b.usage - b.request - (a.usage - a.request);
  });
}

/** evictionMessage: the starved resource, the threshold and what was available, the containers over their requests. */
export function evictionMessage(resource: string, met: readonly Threshold[], obs: Observations | undefined, r: Ranked): string {
  let m = `The node was low on resource: ${resource}. `;
  // getThresholdMetInfo: the first met threshold of the resource that has an observation.
  for (const t of met) {
    const o = obs?.[t.signal];
    if (resourceOf(t.signal) !== resource || !o) continue;
    const show = resource === 'inodes' || resource === 'pids' ? decimal : binary;
    m += `Threshold quantity: ${t.text ?? binary(thresholdQuantity(t, o.capacity))}, available: ${show(o.available)}. `;
    break;
  }
  if (resource !== 'ephemeral-storage' && resource !== 'memory') return m;
  const specs = [...(r.pod.spec?.containers ?? []), ...(r.pod.spec?.initContainers ?? [])];
  for (const c of r.containers) {
    const spec = specs.find((x) => x.name === c.name);
    if (!spec) continue;
    const req = parseQty(spec.resources?.requests?.[resource] ?? '0') ?? ZERO;
    if (c.bytes > Number(req.nanos / NANO)) m += `Container ${c.name} was using ${binary(c.bytes)}, request is ${formatQty(req)}, has larger consumption of ${resource}. `;
  }
  return m;
}

export class NodePressureEviction {
  readonly #d: NodePressureEvictionDeps;
  readonly #verdicts = new EvictionVerdicts();
  /** When each evicted pod was first seen still holding memory volumes (at most one per verdict). */
  readonly #heldSince = new Map<string, number>();

  constructor(d: NodePressureEvictionDeps) {
    this.#d = d;
  }

  /** The message the pod is being evicted with, if it is. */
  verdict(uid: string): string | undefined {
    return this.#verdicts.get(uid);
  }

  /** The grace period the pod's containers are stopped with (evictionGracePeriod), if it is being evicted. */
  gracePeriod(uid: string): number | undefined {
    return this.#verdicts.graceOf(uid);
  }

  /**
   * A pod's working set (memory: its own cgroup's where it has one) or processes (pids): else its
   * running containers' and sandbox's cgroups; found: any had stats.
   */
  async #cgroupUsage(resource: 'memory' | 'pids', uid: string, containers: readonly ContainerStatus[], sandboxIds: readonly string[]): Promise<Omit<Ranked, 'pod' | 'request'>> {
    const own: Array<{ name: string; bytes: number }> = [];
    const pod = resource === 'memory' ? await this.#d.runtime.podUsageStats?.(uid) : undefined;
    let total = 0;
    let found = false;
    for (const [id, name] of [...containers.map((c) => [c.id, c.name] as const), ...sandboxIds.map((id) => [id, undefined] as const)]) {
      const u = await this.#d.runtime.usageStats(id);
      if (!u) continue;
      found = true;
      total += resource === 'memory' ? u.memoryWorkingSetBytes : (u.processCount ?? 0);
      if (name !== undefined) own.push({ name, bytes: u.memoryWorkingSetBytes });
    }
    if (pod) return { found: true, usage: pod.memoryWorkingSetBytes, containers: own };
    return { found, usage: total, containers: own };
  }

  async #rank(resource: string, pods: readonly Pod[]): Promise<Ranked[]> {
    const { sandboxes, containers } = await this.#d.runtime.list();
    // Only pods that had anything running (a pod not admitted yet is its admission's to refuse).
    const started = new Set([...sandboxes.map((s) => s.pod.uid), ...containers.map((c) => c.pod.uid)]);
    const measured: Ranked[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      if (!started.has(uid)) continue;
      const own = containers.filter((c) => c.pod.uid === uid && c.state === 'running');
      const request = resource === 'memory' || resource === 'ephemeral-storage' ? Number(podRequest(pod, resource)) : 0;
      try {
        if (resource === 'memory' || resource === 'pids') {
          const u = await this.#cgroupUsage(resource, uid, own, sandboxes.filter((s) => s.pod.uid === uid).map((s) => s.id));
          const volumes = resource === 'memory' ? ((await this.#d.memoryVolumes?.(pod)) ?? 0) : 0;
          measured.push({ pod, request, ...u, found: u.found || volumes > 0, usage: Math.max(u.usage, volumes) });
        } else {
          const u = await this.#d.measure(pod, unbounded(pod), containers.filter((c) => c.pod.uid === uid));
          measured.push({ pod, request, found: true, usage: rankedUsage(u, resource), containers: u.containers });
        }
      } catch (err) {
        this.#d.log.warn({ pod: podDesc(pod), err: (err as Error).message }, 'eviction manager: could not measure the pod');
        measured.push({ pod, request, found: false, usage: 0, containers: [] });
      }
    }
    return rankPods(measured, resource);
  }

  /**
   * An evicted pod whose memory-backed emptyDirs are still mounted has not given back what its
   * eviction was to free: no other pod is chosen until they are gone (upstream's waitForPodsCleanup
   * waits for podResourcesAreReclaimed, its volumes unmounted), for at most podCleanupTimeout; and
   * the pass that finds them gone leaves the choice to the next, whose observations follow it.
   */
  async #memoryVolumesHeld(live: ReadonlyMap<string, Pod>): Promise<boolean> {
    for (const uid of [...this.#heldSince.keys()]) if (!this.#verdicts.has(uid)) this.#heldSince.delete(uid);
    const count = this.#d.memoryVolumes;
    if (!count) return false;
    const now = (this.#d.now ?? Date.now)();
    let released = false;
    for (const uid of this.#verdicts.uids()) {
      const p = live.get(uid);
      if (!p || (await count(p)) === 0) {
        // Freed since the last pass: this pass's observations may predate it, the next one's will not.
        released ||= this.#heldSince.delete(uid);
        continue;
      }
      const since = this.#heldSince.get(uid) ?? now;
      this.#heldSince.set(uid, since);
      if (now - since < POD_CLEANUP_TIMEOUT_MS) return true;
    }
    return released;
  }

  /** One pass after the monitor's: undefined when nothing had to go, else the uid evicted ('' when reclaim sufficed or nothing could go). */
  async pass(): Promise<string | undefined> {
    const pods = this.#d.pods();
    const live = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    this.#verdicts.keepOnly(live);
    const met = byEvictionPriority(this.#d.monitor.thresholdsMet);
    if (!met.length) return undefined;
    // Still killing the last one (waitForPodsCleanup): what it held is not free yet.
    if ([...this.#verdicts.uids()].some((uid) => { const p = live.get(uid); return p !== undefined && active(p); })) return undefined;
    if (await this.#memoryVolumesHeld(live)) return undefined;
    const observations = this.#d.monitor.observations;
    const t = met[0]!;
    const resource = resourceOf(t.signal);
    this.#d.log.info({ resourceName: resource }, 'Eviction manager: attempting to reclaim');
    this.#d.warn('EvictionThresholdMet', `Attempting to reclaim ${resource}`);
    // Node-level reclaim exists for the disk signals only (no reclaim function for memory or pids).
    if (isDisk(t)) {
      try {
        await this.#d.reclaim();
      } catch (err) {
        this.#d.log.warn({ err: (err as Error).message }, 'eviction manager: node-level reclaim failed');
      }
      await this.#d.monitor.pass();
      if (!this.#d.monitor.unresolved.length) {
        this.#d.log.info({ resourceName: resource }, 'Eviction manager: able to reduce resource pressure without evicting pods.');
        return '';
      }
    }
    const ranked = await this.#rank(resource, pods.filter((p) => active(p) && p.metadata?.uid));
    if (!ranked.length) {
      this.#d.log.warn({}, 'Eviction manager: eviction thresholds have been met, but no pods are active to evict');
      return '';
    }
    for (const r of ranked) {
      const grace = evictionGracePeriod(t.gracePeriodMs === 0, r.pod, this.#d.maxPodGracePeriodSeconds ?? 0);
      if (this.#verdicts.give(r.pod, evictionMessage(resource, met, observations, r), 'Eviction manager: evicting pod to reclaim ' + resource, this.#d, grace)) return r.pod.metadata?.uid ?? '';
    }
    this.#d.log.warn({}, 'Eviction manager: unable to evict any pods from the node');
    return '';
  }
}
