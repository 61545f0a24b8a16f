/**
 * The local-storage limit decision of the kubelet's eviction manager (eviction_manager.go
 * localStorageEviction), without any measuring: given what a pod uses, the message it is evicted
 * with, if any. Checked in upstream's order, the first hit wins:
 * - an emptyDir on disk over its sizeLimit: `Usage of EmptyDir volume "x" exceeds the limit "1Gi". `
 * - the pod's ephemeral storage (writable layers, logs, emptyDirs and configMaps on disk) over
 *   PodLimits' ephemeral-storage (the containers' sum, raised to the largest init container, plus
 *   overhead; there only when some container sets one):
 *   `Pod ephemeral local storage usage exceeds the total limit of containers 4Mi. `
 * - a running container's writable layer plus its logs over its own limit (only spec.containers,
 *   as upstream): `Container app exceeded its local ephemeral storage limit "2Mi". `
 * Critical pods (priority at or above system-cluster-critical's 2000000000) are never evicted, as
 * evictPod refuses them. Limits are read as upstream's Quantity.String() prints them.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podLimits } from '../../../admission/quota/pod-resources.ts';
import { formatQty, parseQty, type Qty } from '../../../api/quantity.ts';

const NANO = 1_000_000_000n;
const EPHEMERAL = 'ephemeral-storage';
/** scheduling.SystemCriticalPriority: IsCriticalPodBasedOnPriority. */
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** One limit: the exact amount, the bytes a du may stop past, and how upstream prints it. */
export interface StorageLimit {
  readonly qty: Qty;
  /** floor(limit) in bytes: a walk past this many bytes is over the limit whatever follows. */
  readonly bytes: number;
  readonly text: string;
}

/** What a pod's limits ask the agent to measure; undefined when the pod sets none. */
export interface StorageLimits {
  /** Disk emptyDirs with a positive sizeLimit, in spec order. */
  readonly emptyDirs: ReadonlyArray<{ readonly name: string; readonly limit: StorageLimit }>;
  /** PodLimits' ephemeral-storage. */
  readonly pod?: StorageLimit;
  /** Each app container's own non-zero limit. */
  readonly containers: ReadonlyMap<string, StorageLimit>;
}

/** What a pod uses, in bytes (a du may stop early: then the figure is only known to be above its bound). */
export interface PodStorageUsage {
  /** Per volume name, those measured. */
  readonly volumes: ReadonlyMap<string, number>;
  /** The pod's ephemeral storage in all (absent when there is no pod limit to compare it with). */
  readonly total?: number;
  /** The inodes of what `total` counts (present with it). */
  readonly inodes?: number;
  /** Per running container: writable layer plus logs. */
  readonly containers: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /**
   * A walk stopped at its inode cap: the figures are lower bounds (a limit they pass is passed),
   * and the pod's true use is unknown (rankedUsage).
   */
  readonly incomplete?: true;
}

/**
 * A pod's use for ranking under node pressure (`resource` 'ephemeral-storage' or 'inodes'): unknown
 * use ranks as the largest, as upstream ranks a pod without stats first; otherwise a pod could hide
 * a disk it fills behind a million empty files and have its neighbours evicted in its place. Under
 * inode pressure pods rank by inodes, as upstream's rankDiskPressureFunc(…, resourceInodes): by
 * bytes, a pod holding most of the inodes in empty files would rank after its neighbours.
 */
export function rankedUsage(u: PodStorageUsage, resource = 'ephemeral-storage'): number {
  if (u.incomplete) return Number.POSITIVE_INFINITY;
  return resource === 'inodes' ? (u.inodes ?? 0) : (u.total ?? 0);
}

function limitOf(q: Qty | undefined): StorageLimit | undefined {
  if (!q || q.nanos <= 0n) return undefined;
  return { qty: q, bytes: Number(q.nanos / NANO), text: formatQty(q) };
}

/** used > limit, exactly (the limit may have a fraction of a byte). */
export function exceeds(usedBytes: number, limit: StorageLimit): boolean {
  return BigInt(Math.floor(usedBytes)) * NANO > limit.qty.nanos;
}

/** The limits the eviction manager checks for this pod, or undefined when there are none. */
export function storageLimits(pod: Pod): StorageLimits | undefined {
  const emptyDirs: Array<{ name: string; limit: StorageLimit }> = [];
  for (const v of pod.spec?.volumes ?? []) {
    // A memory emptyDir is a tmpfs sized to its limit: writes past it fail, there is nothing to evict for.
    if (!v.emptyDir || v.emptyDir.medium === 'Memory') continue;
    const limit = limitOf(parseQty(v.emptyDir.sizeLimit));
    if (limit) emptyDirs.push({ name: v.name, limit });
  }
  const pod_ = podLimits(pod.spec, true)[EPHEMERAL];
  // PodLimits has the resource when any container sets it; a zero sum is a limit nothing can stay under, as upstream's Cmp.
  const podLimit = pod_ ? { qty: pod_, bytes: Number(pod_.nanos / NANO), text: formatQty(pod_) } : undefined;
  const containers = new Map<string, StorageLimit>();
  for (const c of pod.spec?.containers ?? []) {
    const limit = limitOf(parseQty(c.resources?.limits?.[EPHEMERAL]));
    if (limit) containers.set(c.name, limit);
  }
  if (!emptyDirs.length && !podLimit && !containers.size) return undefined;
  return { emptyDirs, ...(podLimit ? { pod: podLimit } : {}), containers };
}

/**
 * kubelettypes.IsCriticalPod for the pods an agent runs. Upstream's static and mirror pods are
 * critical; an agent has no static pods, so a pod it runs came from the API server, where any
 * client with pods/create may write the kubernetes.io/config.mirror annotation (upstream's kubelet
 * never runs such a pod: it takes it for the mirror of a static pod). The annotation proves nothing
 * here and makes no pod critical: otherwise a tenant's pod could fill the node's disk and be the
 * one pod never evicted for it. Priority comes from the PriorityClass (admission plugin Priority).
 */
export function isCriticalPod(pod: Pod): boolean {
  return pod.spec?.priority !== undefined && pod.spec.priority >= SYSTEM_CRITICAL_PRIORITY;
}

/** The eviction message for the first limit the pod's usage is over, in upstream's order; undefined when it is within them all. */
export function localStorageEvictionMessage(limits: StorageLimits, usage: PodStorageUsage): string | undefined {
  for (const { name, limit } of limits.emptyDirs) {
    const used = usage.volumes.get(name);
    if (used !== undefined && exceeds(used, limit)) return `Usage of EmptyDir volume "${name}" exceeds the limit "${limit.text}". `;
  }
  if (limits.pod && exceeds(usage.total ?? 0, limits.pod)) return `Pod ephemeral local storage usage exceeds the total limit of containers ${limits.pod.text}. `;
  for (const c of usage.containers) {
    const limit = limits.containers.get(c.name);
    if (limit && exceeds(c.bytes, limit)) return `Container ${c.name} exceeded its local ephemeral storage limit "${limit.text}". `;
  }
  return undefined;
}
