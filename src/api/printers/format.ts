/** Small formatting helpers shared by the printers, after their upstream namesakes. */
import { selectorFromMetav1 } from '../selectors/label-selector.ts';
import type { Obj } from './types.ts';

export const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
export const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const count = (v: unknown): number => (Array.isArray(v) ? v.length : Object.keys(obj(v)).length);

/** labels.FormatLabels: sorted k=v pairs, "<none>" when empty. */
export function formatLabels(m: unknown): string {
  const o = obj(m);
  const s = Object.keys(o)
    .sort()
    .map((k) => `${k}=${str(o[k])}`)
    .join(',');
  return s === '' ? '<none>' : s;
}

/** LabelSelectorAsSelector(...).String(); undefined when the selector is invalid. */
export function selectorString(sel: unknown): string | undefined {
  try {
    return selectorFromMetav1(sel === undefined || sel === null ? null : (obj(sel) as Parameters<typeof selectorFromMetav1>[0])).toString();
  } catch {
    return undefined;
  }
}

/** metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: names and images joined by commas. */
export function containerCells(containers: unknown): [string, string] {
  const cs = arr(containers);
  return [cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(',')];
}

/** intstr.IntOrString.String(). */
export function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(Math.trunc(v)) : str(v);
}

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once. */
export function accessModes(modes: unknown): string {
  const have = new Set(Array.isArray(modes) ? modes : []);
  const out: string[] = [];
  if (have.has('ReadWriteOnce')) out.push('RWO');
  if (have.has('ReadOnlyMany')) out.push('ROX');
  if (have.has('ReadWriteMany')) out.push('RWX');
  if (have.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** Whether a condition of the type is present with status True (the first of that type decides). */
export function conditionTrue(conditions: unknown, type: string): boolean {
  const c = arr(conditions).find((x) => x.type === type);
  return c !== undefined && c.status === 'True';
}

/** The value of resource "storage" in a resource list, as stored. */
export function storageOf(list: unknown): string {
  const v = obj(list).storage;
  // A missing quantity prints as the zero Quantity does.
  return v === undefined || v === null ? '0' : str(v);
}
