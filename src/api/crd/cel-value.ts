/**
 * Custom resource values as CEL sees them, and the bound on what one evaluation may read.
 * Integers become CEL ints (BigInt) where the schema says integer (or a number is integral and the
 * schema does not say number), so `self.replicas + 1` is int arithmetic as upstream. cel-js has
 * no runtime cost limit, so every read of a list element or map entry goes through a proxy that
 * draws on a budget shared by all rules of one object: nested comprehensions over a large list
 * stop at the budget instead of stalling the server (upstream's RuntimeCELCostBudget, by reads).
 */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';

export class CelBudgetExceeded extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

/** Reads allowed per object, across all of its rules. */
export const CEL_READ_BUDGET = 300_000;

export interface CelBudget {
  remaining: number;
}

function scalar(s: JSONSchemaProps | undefined, v: unknown): unknown {
  if (typeof v !== 'number') return v;
  if (s?.type === 'number') return v;
  return Number.isSafeInteger(v) ? BigInt(v) : v;
}

/** toCelValue without a schema: every request's objects for admission policies, so without per-field schema lookups or entry arrays. */
function schemaless(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = schemaless(v[i]);
    return out;
  }
  if (isJsonObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k in v) if (Object.hasOwn(v, k)) out[k] = schemaless(v[k]);
    return out;
  }
  return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
}

/** A copy of `v` with CEL's number kinds, following the schema (unknown fields: integral means int). */
export function toCelValue(s: JSONSchemaProps | undefined, v: unknown): unknown {
  if (s === undefined) return schemaless(v);
  if (Array.isArray(v)) {
    const items = itemSchema(s);
    return v.map((x) => toCelValue(items, x));
  }
  if (isJsonObject(v)) {
    const out: Record<string, unknown> = {};
    const extra = additionalSchema(s);
    for (const [k, x] of Object.entries(v)) out[k] = toCelValue(propertySchema(s, k) ?? extra, x);
    return out;
  }
  return scalar(s, v);
}

/** `v` behind a proxy that charges the budget for every property read. */
export function metered(v: unknown, budget: CelBudget): unknown {
  if (typeof v !== 'object' || v === null) return v;
  return new Proxy(v, {
    get(target, key, receiver) {
      if (--budget.remaining < 0) throw new CelBudgetExceeded();
      return metered(Reflect.get(target, key, receiver), budget);
    },
  });
}
