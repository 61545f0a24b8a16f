/**
 * The verdicts an eviction pass has given: the message each pod is being evicted with. The pass
 * wakes the pod's worker, which reads the verdict and kills the pod with it (upstream's killPodFunc
 * through the pod worker), so a pod's sync and its eviction never run at once. The local-storage
 * pass and the node-pressure pass keep one each; a verdict stays until its pod is no longer bound
 * to the node, so the map holds at most one entry per bound pod.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isCriticalPod } from './local-storage-limits.ts';

export interface VerdictDeps {
  /** Wakes the pod's worker, which reads the verdict and kills the pod. */
  evict(uid: string): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/** namespace/name, as the eviction manager's log lines name a pod. */
export const podDesc = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/**
 * evictPod's grace period override: immediateEvictionGracePeriodSeconds (1) for a hard threshold;
 * for a soft one --eviction-max-pod-grace-period, capped by the pod's terminationGracePeriodSeconds
 * (upstream with AllowOverwriteTerminationGracePeriodSeconds off, its default). 0 or negative is
 * not "defer to the pod" whatever the flag's help says: upstream kills at once (its 2 s minimum
 * here), kubernetes/kubernetes#118172.
 */
export function evictionGracePeriod(hard: boolean, pod: Pod, maxPodGracePeriodSeconds: number): number {
  if (hard) return 1;
  const own = pod.spec?.terminationGracePeriodSeconds;
  return own === undefined || own === null ? maxPodGracePeriodSeconds : Math.min(maxPodGracePeriodSeconds, own);
}

export class EvictionVerdicts {
  readonly #byUid = new Map<string, { message: string; grace?: number }>();

  /** The message the pod is being evicted with, if it is. */
  get(uid: string): string | undefined {
    return this.#byUid.get(uid)?.message;
  }

  /** The grace period its containers are stopped with, when the verdict gave one. */
  graceOf(uid: string): number | undefined {
    return this.#byUid.get(uid)?.grace;
  }

  has(uid: string): boolean {
    return this.#byUid.has(uid);
  }

  /** The pods given a verdict (and still bound as of the last keepOnly). */
  uids(): IterableIterator<string> {
    return this.#byUid.keys();
  }

  /** Forgets the verdicts of pods no longer bound to the node. */
  keepOnly(bound: { has(uid: string): boolean }): void {
    for (const uid of [...this.#byUid.keys()]) if (!bound.has(uid)) this.#byUid.delete(uid);
  }

  /**
   * Evicts the pod with this message (`line`: what the log says) and grace period: records the
   * verdict and wakes its worker. A critical pod is never evicted (upstream logs it and goes on): false.
   */
  give(pod: Pod, message: string, line: string, d: VerdictDeps, grace?: number): boolean {
    if (isCriticalPod(pod)) {
      d.log.warn({ pod: podDesc(pod) }, 'Eviction manager: cannot evict a critical pod');
      return false;
    }
    const uid = pod.metadata?.uid ?? '';
    this.#byUid.set(uid, grace === undefined ? { message } : { message, grace });
    d.log.info({ pod: podDesc(pod), message }, line);
    d.evict(uid);
    return true;
  }
}
