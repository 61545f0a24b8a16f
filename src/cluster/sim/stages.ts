/**
 * What a simulated node does to a pod, as data (kwok's Stage resources, DESIGN.md habit 8): each
 * stage has a selector over the pod's fields, a delay and a next step. The first stage whose
 * selector matches wins; a pod that no stage matches is left alone. The driver re-evaluates after
 * every change it sees, so the table is level-triggered: running it twice changes nothing.
 */
import type { K8sObject } from '../client/types.ts';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** kwok's selector: `key` is a dotted field path; a list on the way fans out (ownerReferences.kind). */
export interface FieldRequirement {
  key: string;
  operator: Operator;
  values?: readonly string[];
}

/** How long a stage waits: not at all, or the Job run time counted from the pod's startTime. */
export type StageDelay = 'none' | 'job-run-time';

/** What happens when a stage is due: a new status (by builder name) or a delete with grace 0. */
export type StageNext = { status: 'running' | 'succeeded' } | { delete: true };

export interface PodStage {
  name: string;
  matchExpressions: readonly FieldRequirement[];
  delay: StageDelay;
  next: StageNext;
}

export const POD_STAGES: readonly PodStage[] = Object.freeze([
  {
    // The kubelet confirms a graceful deletion once the containers are gone (grace period 0);
    // a simulated node has no containers to wait for.
    name: 'pod-delete',
    // Grace 0 already given: what remains waits for finalizers, not for a kubelet.
    matchExpressions: [
      { key: 'metadata.deletionTimestamp', operator: 'Exists' },
      { key: 'metadata.deletionGracePeriodSeconds', operator: 'NotIn', values: ['0'] },
    ],
    delay: 'none',
    next: { delete: true },
  },
  {
    name: 'pod-complete',
    matchExpressions: [
      { key: 'status.phase', operator: 'In', values: ['Running'] },
      { key: 'metadata.ownerReferences.kind', operator: 'In', values: ['Job'] },
    ],
    delay: 'job-run-time',
    next: { status: 'succeeded' },
  },
  {
    name: 'pod-ready',
    // A missing phase is NotIn, as a missing label is for label selectors.
    matchExpressions: [{ key: 'status.phase', operator: 'NotIn', values: ['Running', 'Succeeded', 'Failed'] }],
    delay: 'none',
    next: { status: 'running' },
  },
] satisfies PodStage[]);

/** The values at a dotted path; arrays on the way contribute every element's value. */
export function fieldValues(obj: unknown, path: string): string[] {
  let cur: unknown[] = [obj];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || typeof c !== 'object') continue;
      const v = Array.isArray(c) ? c.map((e) => (e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[part] : undefined)) : [(c as Record<string, unknown>)[part]];
      for (const x of v) {
        if (x === undefined || x === null) continue;
        if (Array.isArray(x)) next.push(...x);
        else next.push(x);
      }
    }
    cur = next;
  }
  return cur.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
}

export function matches(obj: unknown, reqs: readonly FieldRequirement[]): boolean {
  for (const r of reqs) {
    const vals = fieldValues(obj, r.key);
    const wanted = r.values ?? [];
    switch (r.operator) {
      case 'Exists':
        if (vals.length === 0) return false;
        break;
      case 'DoesNotExist':
        if (vals.length > 0) return false;
        break;
      case 'In':
        if (!vals.some((v) => wanted.includes(v))) return false;
        break;
      case 'NotIn':
        if (vals.some((v) => wanted.includes(v))) return false;
        break;
    }
  }
  return true;
}

/** The first stage that matches the pod, or undefined. */
export function podStage(pod: K8sObject, stages: readonly PodStage[] = POD_STAGES): PodStage | undefined {
  return stages.find((s) => matches(pod, s.matchExpressions));
}

/** When the stage is due, in ms since the epoch. */
export function dueAt(stage: PodStage, pod: K8sObject, now: number, jobRunTimeMs: number): number {
  if (stage.delay === 'none') return now;
  const started = Date.parse(String(pod.status?.startTime ?? ''));
  return (Number.isFinite(started) ? started : now) + jobRunTimeMs;
}
