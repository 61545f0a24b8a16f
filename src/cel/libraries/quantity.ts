/**
 * Kubernetes' CEL quantity library (apiserver/pkg/cel/library/quantity.go): `quantity(s)`,
 * `isQuantity(s)`, and on a Quantity `sign`, `isInteger`, `asInteger`, `asApproximateFloat`,
 * `add`, `sub`, `isGreaterThan`, `isLessThan`, `compareTo`. Amounts are exact (the project's
 * one resource.Quantity implementation, in nano units).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { addQty, cmpQty, formatQty, parseQty, qtyFromInt, subQty, type Qty } from '../../admission/quota/quantity.ts';

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;

export class CelQuantity {
  readonly q: Qty;
  constructor(q: Qty) {
    this.q = q;
  }
}

function parse(s: string): CelQuantity {
  const q = parseQty(s);
  if (!q) throw new Error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  return new CelQuantity(q);
}

function asInteger(c: CelQuantity): bigint {
  const { nanos } = c.q;
  if (nanos % NANO !== 0n || nanos / NANO > MAX_INT64 || nanos / NANO < -MAX_INT64 - 1n) throw new Error('cannot convert value to integer');
  return nanos / NANO;
}

export function registerQuantityLibrary(env: Environment): Environment {
  const T = 'kubernetes.Quantity';
  const wrap = (q: Qty) => new CelQuantity(q);
  return env
    .registerType(T, CelQuantity)
    .registerFunction(`quantity(string): ${T}`, parse)
    .registerFunction('isQuantity(string): bool', (s: string) => parseQty(s) !== undefined)
    .registerFunction(`string(${T}): string`, (c: CelQuantity) => formatQty(c.q))
    .registerFunction(`${T}.sign(): int`, (c: CelQuantity) => (c.q.nanos > 0n ? 1n : c.q.nanos < 0n ? -1n : 0n))
    .registerFunction(`${T}.isInteger(): bool`, (c: CelQuantity) => c.q.nanos % NANO === 0n && c.q.nanos / NANO <= MAX_INT64 && c.q.nanos / NANO >= -MAX_INT64 - 1n)
    .registerFunction(`${T}.asInteger(): int`, asInteger)
    .registerFunction(`${T}.asApproximateFloat(): double`, (c: CelQuantity) => Number(c.q.nanos) / 1e9)
    .registerFunction(`${T}.add(${T}): ${T}`, (a: CelQuantity, b: CelQuantity) => wrap(addQty(a.q, b.q)))
    .registerFunction(`${T}.add(int): ${T}`, (a: CelQuantity, b: bigint) => wrap(addQty(a.q, qtyFromInt(b))))
    .registerFunction(`${T}.sub(${T}): ${T}`, (a: CelQuantity, b: CelQuantity) => wrap(subQty(a.q, b.q)))
    .registerFunction(`${T}.sub(int): ${T}`, (a: CelQuantity, b: bigint) => wrap(subQty(a.q, qtyFromInt(b))))
    .registerFunction(`${T}.isGreaterThan(${T}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQty(a.q, b.q) > 0)
    .registerFunction(`${T}.isLessThan(${T}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQty(a.q, b.q) < 0)
    .registerFunction(`${T}.compareTo(${T}): int`, (a: CelQuantity, b: CelQuantity) => BigInt(cmpQty(a.q, b.q)));
}
