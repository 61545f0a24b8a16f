/**
 * The kubelet eviction manager's local-storage pass (localStorageEviction), run on the agent's
 * eviction monitoring period (upstream's 10 s): every active pod with a limit is measured and
 * judged by local-storage-limits.ts; a pod over one gets a verdict, and its worker is woken to kill
 * it with upstream's status (phase Failed, reason Evicted, the message; no DisruptionTarget
 * condition: upstream's local-storage evictions pass none) and a 1 s grace period
 * (immediateEvictionGracePeriodSeconds). Killing through the pod worker, as upstream's killPodFunc
 * does, keeps a pod's sync and its eviction from running at once.
 *
 * Measured as the Summary API counts it, with du (allocated blocks, each inode once): a container's
 * writable layer (the overlay's upper directory) plus its log directory; the pod's total adds its
 * emptyDirs and configMaps on disk, the pod's whole log directory (every container's logs, as
 * upstream's pod log stats) and the files of its directory its containers can write (/etc/hosts as etcHostsStats, /etc/hostname, termination messages) to the running containers' layers. Bounded work per pass: pods without
 * a limit cost nothing, each walk stops once past the largest limit it can matter for, and at most
 * `maxInodes` inodes each (then the usage says `incomplete`: its figures are lower bounds).
 */
import { basename, dirname } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { du } from '../disk-usage.ts';
import type { ContainerRuntime, ContainerStatus } from '../runtime/types.ts';
import { EvictionVerdicts, podDesc } from './eviction-verdicts.ts';
import { localStorageEvictionMessage, storageLimits, type PodStorageUsage, type StorageLimits } from './local-storage-limits.ts';

export interface LocalStorageEvictionDeps {
  /** The pods bound to the node as last seen. */
  pods(): readonly Pod[];
  runtime: Pick<ContainerRuntime, 'list' | 'writableLayer'>;
  /** Where the pod's volume is set up on the node (none: not measured). */
  volumePath(uid: string, name: string): string | undefined;
  /**
   * The files of the pod's directory its containers can write (pod-managed-files.ts: /etc/hosts as
   * upstream's etcHostsStats, the CVE-2020-8557 fix; also /etc/hostname and the termination message
   * files, which upstream leaves out, kubernetes/kubernetes#122224): in the pod's total, so writing
   * them is no unbounded way past the pod's ephemeral-storage limit.
   */
  writableFiles?(uid: string): readonly string[];
  /** Wakes the pod's worker, which reads verdict(uid) and kills the pod. */
  evict(uid: string): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Inodes one du walks at most (default 1,000,000). */
  maxInodes?: number;
}

/** Volumes upstream counts in a pod's ephemeral storage (IsLocalEphemeralVolume) when on disk. */
const isLocalEphemeral = (v: NonNullable<NonNullable<Pod['spec']>['volumes']>[number]): boolean =>
  (v.emptyDir !== undefined && v.emptyDir.medium !== 'Memory') || v.configMap !== undefined || v.gitRepo !== undefined;

export class LocalStorageEviction {
  readonly #d: LocalStorageEvictionDeps;
  /** Eviction messages of pods judged over a limit (only pods still bound to the node are kept). */
  readonly #verdicts = new EvictionVerdicts();

  constructor(d: LocalStorageEvictionDeps) {
    this.#d = d;
  }

  /** The message the pod is being evicted with, if it is. */
  verdict(uid: string): string | undefined {
    return this.#verdicts.get(uid);
  }

  /** One pass over the node's pods; returns the uids newly judged over a limit. */
  async pass(): Promise<string[]> {
    const pods = this.#d.pods();
    this.#verdicts.keepOnly(new Set(pods.map((p) => p.metadata?.uid ?? '')));
    const judged: Array<{ pod: Pod; limits: StorageLimits }> = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      const phase = pod.status?.phase;
      // Active pods only: finished or being deleted ones are already on their way out.
      if (!uid || this.#verdicts.has(uid) || phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp) continue;
      const limits = storageLimits(pod);
      if (limits) judged.push({ pod, limits });
    }
    if (!judged.length) return [];
    const { containers } = await this.#d.runtime.list();
    const out: string[] = [];
    for (const { pod, limits } of judged) {
      const uid = pod.metadata?.uid ?? '';
      let message: string | undefined;
      try {
        message = localStorageEvictionMessage(limits, await this.measure(pod, limits, containers.filter((c) => c.pod.uid === uid)));
      } catch (err) {
        this.#d.log.warn({ pod: podDesc(pod), err: (err as Error).message }, 'eviction manager: could not measure local storage');
        continue;
      }
      if (message && this.#verdicts.give(pod, message, 'eviction manager: evicting pod over its local storage limit', this.#d)) out.push(uid);
    }
    return out;
  }

  /** What the pod uses, measured only as far as its limits need (`own`: the pod's containers in the runtime). */
  async measure(pod: Pod, limits: StorageLimits, own: readonly ContainerStatus[]): Promise<PodStorageUsage> {
    const uid = pod.metadata?.uid ?? '';
    const running = own.filter((c) => c.state === 'running');
    let incomplete = false;
    // Inodes of what the pod's total counts (layers, pod logs, local volumes), for inode pressure.
    let inodes = 0;
    const walk = async (path: string | undefined, bound: number, inTotal = false): Promise<number> => {
      if (!path) return 0;
      const r = await du(path, this.#d.maxInodes ?? 1_000_000, bound);
      if (r.truncated) incomplete = true;
      if (inTotal) inodes += r.inodes;
      return r.bytes;
    };
    const volumes = new Map<string, number>();
    const volumeInodes = new Map<string, number>();
    for (const { name, limit } of limits.emptyDirs) {
      const path = this.#d.volumePath(uid, name);
      if (!path) continue;
      const before = inodes;
      volumes.set(name, await walk(path, limits.pod ? Math.max(limit.bytes, limits.pod.bytes) : limit.bytes, true));
      volumeInodes.set(name, inodes - before);
      inodes = before;
    }
    const podBound = limits.pod?.bytes;
    const containers: Array<{ name: string; bytes: number }> = [];
    let layers = 0;
    for (const c of running) {
      const own = limits.containers.get(c.name)?.bytes;
      if (own === undefined && podBound === undefined) continue;
      const bound = Math.max(own ?? 0, podBound ?? 0);
      const layer = await walk(await this.#d.runtime.writableLayer(c.id).catch(() => undefined), bound, true);
      layers += layer;
      if (own !== undefined) containers.push({ name: c.name, bytes: layer + (layer > bound ? 0 : await walk(c.logPath ? dirname(c.logPath) : undefined, bound)) });
    }
    const cut = () => (incomplete ? { incomplete: true as const } : {});
    if (podBound === undefined) return { volumes, containers, ...cut() };
    let total = layers;
    // The pod's log directory: <logs>/<pod>/<container>/<attempt>.log.
    const logPath = own.find((c) => c.logPath)?.logPath;
    // Named for the pod (<namespace>_<name>_<uid>): never a directory of another pod, or of the node.
    const podLogs = logPath && basename(dirname(dirname(logPath))).includes(uid) ? dirname(dirname(logPath)) : undefined;
    if (total <= podBound) total += await walk(podLogs, podBound, true);
    for (const f of this.#d.writableFiles?.(uid) ?? []) if (total <= podBound) total += await walk(f, podBound, true);
    for (const v of pod.spec?.volumes ?? []) {
      if (total > podBound) break;
      if (!isLocalEphemeral(v)) continue;
      const held = volumes.get(v.name);
      if (held !== undefined) inodes += volumeInodes.get(v.name) ?? 0;
      total += held ?? (await walk(this.#d.volumePath(uid, v.name), podBound, true));
    }
    return { volumes, total, inodes, containers, ...cut() };
  }
}
