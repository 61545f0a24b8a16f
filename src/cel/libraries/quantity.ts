/**
 * Kubernetes' CEL quantity library (apiserver/pkg/cel/library/quantity.go): `quantity(s)`,
 * `isQuantity(s)`, and on a Quantity `sign`, `isInteger`, `asInteger`, `asApproximateFloat`,
 * `add`, `sub`, `isGreaterThan`, `isLessThan`, `compareTo`, over the project's one
 * resource.Quantity (src/api/quantity.ts).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { addQty, cmpQty, formatQty, parseQty, qtyApproximateFloat, qtyAsInt64, qtyFromInt, qtySign, quantityParseError, QUANTITY_FORMAT_ERROR, subQty, type Qty } from '../../api/quantity.ts';

export class CelQuantity {
  readonly q: Qty;
  constructor(q: Qty) {
    this.q = q;
  }
}

function parse(s: string): CelQuantity {
  const q = parseQty(s);
  if (!q) throw new Error(quantityParseError(s) ?? QUANTITY_FORMAT_ERROR);
  return new CelQuantity(q);
}

/** Quantity.AsInt64(): false for a fraction, an overflow, or an amount held as an inf.Dec. */
function asInteger(c: CelQuantity): bigint {
  const v = qtyAsInt64(c.q);
  if (v === undefined) throw new Error('cannot convert value to integer');
  return v;
}

export function registerQuantityLibrary(env: Environment): Environment {
  const T = 'kubernetes.Quantity';
  const wrap = (q: Qty) => new CelQuantity(q);
  return env
    .registerType(T, CelQuantity)
    .registerFunction(`quantity(string): ${T}`, parse)
    .registerFunction('isQuantity(string): bool', (s: string) => parseQty(s) !== undefined)
    .registerFunction(`string(${T}): string`, (c: CelQuantity) => formatQty(c.q))
    .registerFunction(`${T}.sign(): int`, (c: CelQuantity) => BigInt(qtySign(c.q)))
    .registerFunction(`${T}.isInteger(): bool`, (c: CelQuantity) => qtyAsInt64(c.q) !== undefined)
    .registerFunction(`${T}.asInteger(): int`, asInteger)
    .registerFunction(`${T}.asApproximateFloat(): double`, (c: CelQuantity) => qtyApproximateFloat(c.q))
    .registerFunction(`${T}.add(${T}): ${T}`, (a: CelQuantity, b: CelQuantity) => wrap(addQty(a.q, b.q)))
    .registerFunction(`${T}.add(int): ${T}`, (a: CelQuantity, b: bigint) => wrap(addQty(a.q, qtyFromInt(b, 'DecimalExponent'))))
    .registerFunction(`${T}.sub(${T}): ${T}`, (a: CelQuantity, b: CelQuantity) => wrap(subQty(a.q, b.q)))
    .registerFunction(`${T}.sub(int): ${T}`, (a: CelQuantity, b: bigint) => wrap(subQty(a.q, qtyFromInt(b, 'DecimalExponent'))))
    .registerFunction(`${T}.isGreaterThan(${T}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQty(a.q, b.q) > 0)
    .registerFunction(`${T}.isLessThan(${T}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQty(a.q, b.q) < 0)
    .registerFunction(`${T}.compareTo(${T}): int`, (a: CelQuantity, b: CelQuantity) => BigInt(cmpQty(a.q, b.q)));
}
