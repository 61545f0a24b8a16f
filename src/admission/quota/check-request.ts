/**
 * One request against a namespace's quotas, as upstream's CheckRequest: which quotas apply, what
 * the request adds to each, and whether that stays within status.hard. Pure: it returns the new
 * status.used per quota and leaves persisting them to the caller.
 */
import type { AdmissionAttributes } from '../types.ts';
import { quotaMatches, type Evaluator } from './evaluators.ts';
import { uncoveredLimits, type LimitedResource } from './limited-resources.ts';
import {
  addLists,
  lessThanOrEqual,
  mask,
  negativeResources,
  prettyPrint,
  prettyPrintNames,
  removeZeros,
  resourceListFrom,
  subtractNonNegative,
  type ResourceList,
} from './resource-list.ts';

type Obj = Record<string, any>;

export interface QuotaState {
  key: string;
  modRevision: number;
  /** The stored quota (frozen: never mutate). */
  value: Obj;
}

export type CheckResult = { allowed: true; used: (ResourceList | undefined)[] } | { allowed: false; reason: string; code?: number };

export function hardOf(q: QuotaState): ResourceList {
  return resourceListFrom(q.value.status?.hard);
}

export function usedOf(q: QuotaState): ResourceList {
  return resourceListFrom(q.value.status?.used);
}

/**
 * For each quota, the status.used it would have with this request admitted (undefined where the
 * request does not change it), or the reason the request is denied. `limited`: the admission
 * configuration's limitedResources, checked against all of `quotas` (./limited-resources.ts).
 */
export function checkRequest(quotas: QuotaState[], a: AdmissionAttributes, ev: Evaluator, now: Date, limited: LimitedResource[] = []): CheckResult {
  const obj = a.object as Obj;
  const unchanged: CheckResult = { allowed: true, used: quotas.map(() => undefined) };
  const interesting: number[] = [];
  for (let i = 0; i < quotas.length; i++) {
    const q = quotas[i]!;
    const name = String(q.value.metadata?.name ?? '');
    const hard = hardOf(q);
    const hardNames = Object.keys(hard);
    if (!quotaMatches(ev, q.value, obj, hardNames)) continue;
    const restricted = ev.matchingResources(hardNames);
    const violation = ev.constraints(restricted, obj);
    if (violation) return { allowed: false, reason: `failed quota: ${name}: ${violation}` };
    const used = usedOf(q);
    // Until the controller has counted, nobody can tell whether there is room.
    if (restricted.some((r) => !(r in used))) {
      return { allowed: false, reason: `status unknown for quota: ${name}, resources: ${prettyPrintNames(restricted)}` };
    }
    interesting.push(i);
  }
  const uncovered = uncoveredLimits(limited, quotas, a, ev, now);
  if (uncovered) return { allowed: false, ...uncovered };
  if (interesting.length === 0) return unchanged;

  const input = ev.usage(obj, now);
  const negative = negativeResources(input);
  if (negative.length > 0) return { allowed: false, reason: `quota usage is negative for resource(s): ${prettyPrintNames(negative)}` };

  const deltas = new Map<number, ResourceList>(interesting.map((i) => [i, input]));
  if (a.operation === 'UPDATE' && a.oldObject) {
    // An update is charged the growth only, for quotas the old object already counted in.
    const prev = ev.usage(a.oldObject, now);
    const delta = subtractNonNegative(input, prev);
    for (const i of interesting) {
      const q = quotas[i]!;
      if (quotaMatches(ev, q.value, a.oldObject, Object.keys(hardOf(q)))) deltas.set(i, delta);
    }
  }
  for (const [i, d] of deltas) {
    const nz = removeZeros(d);
    if (Object.keys(nz).length === 0) deltas.delete(i);
    else deltas.set(i, nz);
  }
  if (deltas.size === 0) return unchanged;

  const out: (ResourceList | undefined)[] = quotas.map(() => undefined);
  for (const i of interesting) {
    const delta = deltas.get(i);
    if (!delta) continue;
    const q = quotas[i]!;
    const hard = hardOf(q);
    const used = usedOf(q);
    const requested = mask(delta, Object.keys(hard));
    const next = addLists(used, requested);
    if (a.subresource !== 'status') {
      const { allowed, exceeded } = lessThanOrEqual(mask(next, Object.keys(requested)), hard);
      if (!allowed) {
        return {
          allowed: false,
          reason: `exceeded quota: ${q.value.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        };
      }
    }
    out[i] = next;
  }
  return { allowed: true, used: out };
}
