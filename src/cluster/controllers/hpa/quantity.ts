/** Quantities as the HPA computes with them: milli-units (Quantity.MilliValue / NewMilliQuantity). */
import { formatQty, mustParseQty, qtyFromMilli, qtyMilliValue } from '../../../api/quantity.ts';

/** MilliValue of a quantity string; an unparsable one is an error (upstream would not have decoded it). */
export function milliValue(q: unknown): number {
  return Number(qtyMilliValue(mustParseQty(q)));
}

/** resource.NewMilliQuantity(milli, DecimalSI).String(). */
export function milliQuantity(milli: number): string {
  return formatQty(qtyFromMilli(Math.trunc(milli)));
}
