/**
 * The eviction manager's response to a met disk threshold (synchronize after the local-storage
 * pass): an EvictionThresholdMet Warning on the Node ("Attempting to reclaim <resource>"), node-level
 * reclaim first (unused images deleted, upstream's DeleteUnusedImages) and, when the threshold is
 * still met after it, one pod evicted per pass, chosen by upstream's rankDiskPressureFunc: pods
 * using more than their ephemeral-storage request first, then lower priority, then the larger
 * use over request. Critical pods are skipped. The pod is killed by its worker with a 1 s grace,
 * phase Failed, reason Evicted, "The node was low on resource: …" and a DisruptionTarget condition
 * (TerminationByKubelet), as evictPod. While an evicted pod is still active no other is chosen
 * (upstream waits for its clean-up).
 *
 * Use is measured as ES's local-storage pass measures a pod's total (writable layers, logs, local
 * volumes; du, bounded walks). Inode signals rank by bytes too (upstream ranks them by inodes).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatQty, parseQty, type Qty } from '../../../admission/quota/quantity.ts';
import type { ContainerRuntime, ContainerStatus } from '../runtime/types.ts';
import { podRequest } from '../pod-admission.ts';
import type { DiskPressureMonitor, DiskSignal, DiskThreshold } from './disk-pressure.ts';
import { isCriticalPod, rankedUsage, type PodStorageUsage, type StorageLimits } from './local-storage-limits.ts';

export interface NodePressureEvictionDeps {
  monitor: Pick<DiskPressureMonitor, 'pass' | 'thresholdsMet' | 'observations'>;
  pods(): readonly Pod[];
  runtime: Pick<ContainerRuntime, 'list'>;
  /** A pod's use, as the local-storage pass measures it. */
  measure(pod: Pod, limits: StorageLimits, own: readonly ContainerStatus[]): Promise<PodStorageUsage>;
  /** Node-level reclaim before any pod goes (unused images deleted). */
  reclaim(): Promise<void>;
  /** Wakes the pod's worker, which reads verdict(uid) and kills the pod. */
  evict(uid: string): void;
  /** A Warning event on the Node. */
  warn(reason: string, message: string): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

const NANO = 1_000_000_000n;
const binary = (n: number): string => formatQty({ nanos: BigInt(Math.trunc(n)) * NANO, format: 'BinarySI' } satisfies Qty);
const decimal = (n: number): string => formatQty({ nanos: BigInt(Math.trunc(n)) * NANO, format: 'DecimalSI' } satisfies Qty);
const active = (p: Pod): boolean => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
const desc = (p: Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;

/** signalToResource: the resource a disk signal starves. */
export const resourceOf = (s: DiskSignal): string => (s.endsWith('inodesFree') ? 'inodes' : 'ephemeral-storage');

/** Everything measured: no limit bounds the walks (the totals rank the pods). */
function unbounded(pod: Pod): StorageLimits {
  const all = { qty: { nanos: 0n, format: 'BinarySI' } as Qty, bytes: Number.MAX_SAFE_INTEGER, text: '' };
  return { emptyDirs: [], pod: all, containers: new Map((pod.spec?.containers ?? []).map((c) => [c.name, all])) };
}

interface Ranked {
  pod: Pod;
  usage: number;
  request: number;
  containers: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

/** rankDiskPressureFunc: exceedDiskRequests, then priority (lower first), then use over request (larger first). */
export function rankForDiskPressure(pods: Ranked[]): Ranked[] {
  return [...pods].sort((a, b) => {
    const ea = a.usage > a.request ? 1 : 0;
    const eb = b.usage > b.request ? 1 : 0;
    if (ea !== eb) return eb - ea;
    const pa = a.pod.spec?.priority ?? 0;
    const pb = b.pod.spec?.priority ?? 0;
    if (pa !== pb) return pa - pb;
    return b.usage - b.request - (a.usage - a.request);
  });
}

export class NodePressureEviction {
  readonly #d: NodePressureEvictionDeps;
  readonly #verdicts = new Map<string, string>();

  constructor(d: NodePressureEvictionDeps) {
    this.#d = d;
  }

  /** The message the pod is being evicted with, if it is. */
  verdict(uid: string): string | undefined {
    return this.#verdicts.get(uid);
  }

  /** evictionMessage: the starved resource, the threshold and what was available, the containers over their requests. */
  message(t: DiskThreshold, r: Ranked): string {
    const resource = resourceOf(t.signal);
    let m = `The node was low on resource: ${resource}. `;
    const o = this.#d.monitor.observations?.[t.signal];
    if (o) {
      const quantity = t.fraction !== undefined ? Math.trunc(o.capacity * t.fraction) : (t.quantity ?? 0);
      const show = resource === 'inodes' ? decimal : binary;
      m += `Threshold quantity: ${binary(quantity)}, available: ${show(o.available)}. `;
    }
    if (resource !== 'ephemeral-storage') return m;
    for (const c of r.containers) {
      const spec = r.pod.spec?.containers?.find((x) => x.name === c.name);
      const req = parseQty(spec?.resources?.requests?.['ephemeral-storage'] ?? '0') ?? { nanos: 0n, format: 'DecimalSI' };
      if (c.bytes > Number(req.nanos / NANO)) m += `Container ${c.name} was using ${binary(c.bytes)}, request is ${formatQty(req)}, has larger consumption of ${resource}. `;
    }
    return m;
  }

  /** One pass after the monitor's: undefined when nothing had to go, else the uid evicted ('' when reclaim sufficed or nothing could go). */
  async pass(): Promise<string | undefined> {
    const pods = this.#d.pods();
    const live = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    for (const uid of [...this.#verdicts.keys()]) if (!live.has(uid)) this.#verdicts.delete(uid);
    const met = this.#d.monitor.thresholdsMet;
    if (!met.length) return undefined;
    // Still killing the last one (waitForPodsCleanup): its space is not free yet.
    if ([...this.#verdicts.keys()].some((uid) => { const p = live.get(uid); return p !== undefined && active(p); })) return undefined;
    const t = met[0]!;
    const resource = resourceOf(t.signal);
    this.#d.log.info({ resourceName: resource }, 'Eviction manager: attempting to reclaim');
    this.#d.warn('EvictionThresholdMet', `Attempting to reclaim ${resource}`);
    try {
      await this.#d.reclaim();
    } catch (err) {
      this.#d.log.warn({ err: (err as Error).message }, 'eviction manager: node-level reclaim failed');
    }
    await this.#d.monitor.pass();
    const still = this.#d.monitor.thresholdsMet.find((x) => x.signal === t.signal) ?? this.#d.monitor.thresholdsMet[0];
    if (!still) {
      this.#d.log.info({ resourceName: resource }, 'Eviction manager: able to reduce resource pressure without evicting pods.');
      return '';
    }
    const candidates = pods.filter((p) => active(p) && p.metadata?.uid);
    if (!candidates.length) {
      this.#d.log.warn({}, 'Eviction manager: eviction thresholds have been met, but no pods are active to evict');
      return '';
    }
    const { containers } = await this.#d.runtime.list();
    const measured: Ranked[] = [];
    for (const pod of candidates) {
      const uid = pod.metadata?.uid ?? '';
      try {
        const u = await this.#d.measure(pod, unbounded(pod), containers.filter((c) => c.pod.uid === uid));
        measured.push({ pod, usage: rankedUsage(u), request: Number(podRequest(pod, 'ephemeral-storage')), containers: u.containers });
      } catch (err) {
        this.#d.log.warn({ pod: desc(pod), err: (err as Error).message }, 'eviction manager: could not measure the pod');
      }
    }
    for (const r of rankForDiskPressure(measured)) {
      if (isCriticalPod(r.pod)) {
        this.#d.log.warn({ pod: desc(r.pod) }, 'Eviction manager: cannot evict a critical pod');
        continue;
      }
      const uid = r.pod.metadata?.uid ?? '';
      const message = this.message(t, r);
      this.#verdicts.set(uid, message);
      this.#d.log.info({ pod: desc(r.pod), message }, 'Eviction manager: evicting pod to reclaim ' + resource);
      this.#d.evict(uid);
      return uid;
    }
    this.#d.log.warn({}, 'Eviction manager: unable to evict any pods from the node');
    return '';
  }
}
