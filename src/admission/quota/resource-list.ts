/** corev1.ResourceList arithmetic as upstream's quota helpers (k8s.io/apiserver/pkg/quota/v1). */
import { ZERO, addQty, cmpQty, formatQty, isZeroQty, parseQty, subQty, type Qty } from '../../api/quantity.ts';

export type ResourceList = Record<string, Qty>;

/** From an object's JSON (`{cpu: "500m"}`); values that do not parse are left out. */
export function resourceListFrom(json: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(json ?? {})) {
    const q = parseQty(v);
    if (q) out[k] = q;
  }
  return out;
}

/** To JSON, keys sorted as Go's encoder writes maps. */
export function resourceListJSON(rl: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(rl).sort()) out[k] = formatQty(rl[k]!);
  return out;
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(a)) out[k] = k in b ? addQty(v, b[k]!) : v;
  for (const [k, v] of Object.entries(b)) if (!(k in out)) out[k] = v;
  return out;
}

/** a - b per resource, never below zero; resources only in b appear as zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(a)) {
    const d = k in b ? subQty(v, b[k]!) : v;
    out[k] = d.nanos > 0n ? d : ZERO;
  }
  for (const k of Object.keys(b)) if (!(k in out)) out[k] = ZERO;
  return out;
}

export function mask(rl: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (n in rl) out[n] = rl[n]!;
  return out;
}

export function resourceNames(rl: ResourceList): string[] {
  return Object.keys(rl);
}

/** Whether every resource of `a` that `b` limits is within it; the names that are not. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, limit] of Object.entries(b)) {
    const v = a[k];
    if (v && cmpQty(v, limit) > 0) exceeded.push(k);
  }
  return { allowed: exceeded.length === 0, exceeded };
}

export function negativeResources(rl: ResourceList): string[] {
  return Object.entries(rl).filter(([, v]) => v.nanos < 0n).map(([k]) => k);
}

export function removeZeros(rl: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(rl)) if (!isZeroQty(v)) out[k] = v;
  return out;
}

export function listsEqual(a: ResourceList | undefined, b: ResourceList | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => b![k] !== undefined && cmpQty(a![k]!, b![k]!) === 0);
}

/** "k=v,k=v" in key order, values canonical (upstream's prettyPrint). */
export function prettyPrint(rl: ResourceList): string {
  return Object.keys(rl).sort().map((k) => `${k}=${formatQty(rl[k]!)}`).join(',');
}

export function prettyPrintNames(names: Iterable<string>): string {
  return [...names].sort().join(',');
}
