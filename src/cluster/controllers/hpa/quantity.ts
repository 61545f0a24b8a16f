/** Quantities as the HPA computes with them: milli-units (Quantity.MilliValue / NewMilliQuantity). */
import { formatQty, parseQty, qtyMilliValue } from '../../../admission/quota/quantity.ts';

/** MilliValue of a quantity string; an unparsable one is an error (upstream would not have decoded it). */
export function milliValue(q: unknown): number {
  const parsed = parseQty(q);
  if (!parsed) throw new Error(`quantities must match the regular expression: ${JSON.stringify(q)}`);
  return Number(qtyMilliValue(parsed));
}

/** resource.NewMilliQuantity(milli, DecimalSI).String(). */
export function milliQuantity(milli: number): string {
  return formatQty({ nanos: BigInt(Math.trunc(milli)) * 1_000_000n, format: 'DecimalSI' });
}
