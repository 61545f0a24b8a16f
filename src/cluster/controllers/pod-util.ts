/**
 * Pod readiness and availability as upstream's pkg/api/v1/pod (IsPodReady, IsPodAvailable) and
 * controller_utils.go (IsPodActive) judge them. Times are milliseconds from an injected clock.
 */
import type { K8sObject } from '../client/types.ts';

export type Pod = K8sObject;

function readyCondition(pod: Pod): Record<string, any> | undefined {
  const conds = pod.status?.conditions;
  return Array.isArray(conds) ? conds.find((c: any) => c?.type === 'Ready') : undefined;
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became ready (ms), or undefined when unknown or not ready. */
export function podReadyTime(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  return parseTime(c.lastTransitionTime);
}

/** Ready for at least minReadySeconds (a ready pod without a transition time counts only at 0). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const t = parseTime(readyCondition(pod)?.lastTransitionTime);
  return t !== undefined && t + minReadySeconds * 1000 < nowMs;
}

/** Not finished and not being deleted: counts towards the replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** metav1.Time as serialized: RFC 3339 with whole seconds. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
