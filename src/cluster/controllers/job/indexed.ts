/**
 * Indexed Jobs (indexed_job_utils.go): each pod carries its completion index in an annotation
 * (and label); status.completedIndexes lists the succeeded ones as compressed intervals
 * ("0-2,5"); new pods take the lowest indexes that are neither succeeded nor running.
 */
import type { Pod } from '../pod-util.ts';
import { COMPLETION_INDEX, hasTrackingFinalizer, type Job } from './job-util.ts';

export const UNKNOWN_INDEX = -1;

/** getCompletionIndex: the annotation as a non-negative integer, else UNKNOWN_INDEX. */
export function completionIndexOf(pod: Pod): number {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX];
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,8})$/.test(v)) return UNKNOWN_INDEX;
  return Number(v);
}

/** parseIndexesFromString: indexes below `completions` named by "a-b,c"; malformed parts skipped. */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= Math.min(b, completions - 1); i++) out.add(i);
  }
  return out;
}

/** orderedIntervals.String(): ascending, consecutive runs as "first-last". */
export function formatIndexes(set: ReadonlySet<number>): string {
  const sorted = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * calculateSucceededIndexes: the indexes counted before (status) and those plus the valid indexes
 * of succeeded pods still holding the tracking finalizer.
 */
export function succeededIndexes(job: Job, pods: readonly Pod[]): { prev: Set<number>; all: Set<number> } {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIndexes(job.status?.completedIndexes, completions);
  const all = new Set(prev);
  for (const p of pods) {
    if (p.status?.phase !== 'Succeeded' || !hasTrackingFinalizer(p)) continue;
    const ix = completionIndexOf(p);
    if (ix !== UNKNOWN_INDEX && ix < completions) all.add(ix);
  }
  return { prev, all };
}

/** firstPendingIndexes: the lowest `count` indexes neither succeeded nor held by an active pod. */
export function firstPendingIndexes(active: readonly Pod[], succeeded: ReadonlySet<number>, count: number, completions: number): number[] {
  const taken = new Set(succeeded);
  for (const p of active) taken.add(completionIndexOf(p));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/**
 * The active pods an Indexed Job removes whatever its parallelism (activePodsForRemoval's first
 * pass): an unknown or out-of-range index, an index already succeeded, or a second pod of an index.
 */
export function redundantIndexedPods(active: readonly Pod[], succeeded: ReadonlySet<number>, completions: number): Pod[] {
  const seen = new Set<number>();
  const out: Pod[] = [];
  for (const p of active) {
    const ix = completionIndexOf(p);
    if (ix === UNKNOWN_INDEX || ix >= completions || succeeded.has(ix) || seen.has(ix)) out.push(p);
    else seen.add(ix);
  }
  return out;
}
