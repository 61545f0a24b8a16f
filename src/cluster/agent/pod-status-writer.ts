/**
 * The agent's pod status writes (the kubelet's status manager, cut down): a status is patched
 * through pods/status only when it differs from the last one written, compared without the
 * transition times; the start time and each unchanged condition's transition time are kept from
 * that last write rather than taken from the informer's copy, which can be a watch event behind.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../../api/json-equal.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { tracePodStart } from './pod-start-trace.ts';

type Cond = { type?: string; status?: string; lastTransitionTime?: string };

/** Status without the transition times, so a recomputation against a stale copy is not a change. */
const comparable = (s: Record<string, unknown>) => ({ ...s, conditions: ((s.conditions ?? []) as Array<Record<string, unknown>>).map(({ lastTransitionTime: _t, ...c }) => c) });

/** Each condition whose status is as last written keeps the transition time written then. */
function keepTransitionTimes(written: unknown, now: readonly Cond[]): Cond[] {
  const before = new Map(((Array.isArray(written) ? written : []) as Cond[]).map((c) => [c.type, c]));
  return now.map((c) => {
    const w = before.get(c.type);
    return w && w.status === c.status && w.lastTransitionTime ? { ...c, lastTransitionTime: w.lastTransitionTime } : c;
  });
}

export class PodStatusWriter {
  readonly #client: ApiClient;
  /** Last status written per pod uid (bounded by the pods on the node; dropped with the pod). */
  #written = new Map<string, Record<string, unknown>>();

  constructor(client: ApiClient) {
    this.#client = client;
  }

  /** The status last written for the pod, if any. */
  last(uid: string): Record<string, unknown> | undefined {
    return this.#written.get(uid);
  }

  async write(pod: Pod, status: Record<string, unknown>): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const prev = this.#written.get(uid);
    // The start time never changes once written (the kubelet's status manager keeps its cached
    // one). The informer's pod can be older than our last write: a start time taken from it
    // would alternate with each write's own echo, a status write per sync for as long as the
    // writes stay a watch event behind (seen in a 50-pod burst: up to 50 writes for one pod).
    if (prev?.startTime !== undefined && status.startTime !== undefined) status = { ...status, startTime: prev.startTime };
    // Likewise a condition's transition time: kept from the last write while its status is the same
    // (the status manager's updateLastTransitionTime against its cache, not the informer's copy).
    if (prev && Array.isArray(status.conditions)) status = { ...status, conditions: keepTransitionTimes(prev.conditions, status.conditions) };
    if (prev && jsonEqual(comparable(prev), comparable(status))) return;
    // metadata.uid in the patch is a precondition: a pod recreated under the same name is not ours.
    tracePodStart(uid, `status:${String(status.phase)}`);
    await this.#client.patch<K8sObject>(resources.pods, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', 'merge', { metadata: { uid }, status }, 'status');
    tracePodStart(uid, `written:${String(status.phase)}`);
    this.#written.set(uid, status);
  }

  forget(uid: string): void {
    this.#written.delete(uid);
  }
}
