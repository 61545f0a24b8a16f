/**
 * Kubernetes' CEL lists and sets libraries (apiserver/pkg/cel/library/lists.go, sets.go):
 * `isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf` on lists, and `sets.contains`,
 * `sets.equivalent`, `sets.intersects`. Elements compare by CEL value (ints, doubles, strings,
 * bools, and lists/maps by content).
 */
import type { Environment } from '@marcbachmann/cel-js';

/** A key equal for equal CEL values (1 and 1.0 are equal numbers in CEL's heterogeneous equality). */
export function celKey(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number') return `n:${Number(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  if (Array.isArray(v)) return `l:[${v.map(celKey).join(',')}]`;
  if (v instanceof Map) return `m:{${[...v.entries()].map(([k, x]) => `${celKey(k)}=${celKey(x)}`).sort().join(',')}}`;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return `m:{${Object.entries(v).map(([k, x]) => `${celKey(k)}=${celKey(x)}`).sort().join(',')}}`;
  }
  return `${typeof v}:${String(v)}`;
}

function compare(a: unknown, b: unknown): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`no such overload: ${typeof a} < ${typeof b}`);
}

function extreme(l: unknown[], sign: number, name: string): unknown {
  if (l.length === 0) throw new Error(`${name}(list) called on empty list`);
  return l.reduce((m, x) => (compare(x, m) * sign > 0 ? x : m));
}

class KubernetesSets {}

export function registerListsLibrary(env: Environment): Environment {
  const T = 'kubernetes.Sets';
  return env
    .registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0))
    .registerFunction('list.sum(): dyn', (l: unknown[]) => {
      if (l.length === 0) return 0n;
      return l.reduce((s, x) => {
        if (typeof s === 'bigint' && typeof x === 'bigint') return s + x;
        if (typeof s === 'number' && typeof x === 'number') return s + x;
        throw new Error('no such overload: sum of mixed or non-numeric list');
      });
    })
    .registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, -1, 'min'))
    .registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 1, 'max'))
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.map(celKey).indexOf(celKey(v))))
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.map(celKey).lastIndexOf(celKey(v))))
    .registerType(T, KubernetesSets)
    .registerConstant('sets', T, new KubernetesSets())
    .registerFunction(`${T}.contains(list, list): bool`, (_s: KubernetesSets, a: unknown[], b: unknown[]) => {
      const have = new Set(a.map(celKey));
      return b.every((x) => have.has(celKey(x)));
    })
    .registerFunction(`${T}.equivalent(list, list): bool`, (_s: KubernetesSets, a: unknown[], b: unknown[]) => {
      const x = new Set(a.map(celKey));
      const y = new Set(b.map(celKey));
      return x.size === y.size && [...x].every((k) => y.has(k));
    })
    .registerFunction(`${T}.intersects(list, list): bool`, (_s: KubernetesSets, a: unknown[], b: unknown[]) => {
      const have = new Set(a.map(celKey));
      return b.some((x) => have.has(celKey(x)));
    });
}
