/**
 * TriggerTimeTracker (pkg/controller/util/endpoint/trigger_time_tracker.go): the value of the
 * endpoints.kubernetes.io/last-change-trigger-time annotation — for a Service seen for the first
 * time its creation time, afterwards the earliest of the pod trigger times (Ready condition's
 * lastTransitionTime) that changed since the last sync. One entry per live Service; deleteService
 * drops it, so the map is bounded by the Services in the cache.
 */
import type { Pod } from '../pod-util.ts';
import { parseTime } from '../pod-util.ts';
import type { Service } from './pod-address.ts';

export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

interface State {
  service: number;
  pods: Map<string, number>;
}

function podTriggerTime(pod: Pod): number | undefined {
  const conds = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  return parseTime(conds.find((c: { type?: string }) => c?.type === 'Ready')?.lastTransitionTime);
}

export class TriggerTimeTracker {
  readonly #states = new Map<string, State>();

  /** Milliseconds for the annotation, or undefined when it should not be written. */
  compute(key: string, svc: Service, pods: readonly Pod[]): number | undefined {
    const prev = this.#states.get(key);
    let min: number | undefined;
    const next: State = { service: parseTime(svc.metadata.creationTimestamp) ?? 0, pods: new Map() };
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      next.pods.set(pod.metadata.name ?? '', t);
      if (t > (prev?.pods.get(pod.metadata.name ?? '') ?? -Infinity) && (min === undefined || t < min)) min = t;
    }
    if (next.service > (prev?.service ?? -Infinity) && (min === undefined || next.service < min)) min = next.service;
    this.#states.set(key, next);
    if (!prev) return parseTime(svc.metadata.creationTimestamp);
    return min;
  }

  deleteService(key: string): void {
    this.#states.delete(key);
  }
}
