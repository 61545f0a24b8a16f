/**
 * Runs an expression's closures (src/cel/closures.ts) and cel-js's interpreter side by side and
 * says where they differ: the value (types included: int is a BigInt, double a number), the
 * error message, and the cost charged to the meter. The differential tests use it, and with
 * PORTCULLIS_CEL_CROSSCHECK=1 every compiled program checks itself on each evaluation (any
 * test suite becomes a differential test; the interpreter's run then costs twice).
 */
import { isDeepStrictEqual } from 'node:util';
import { CostMeter, meterOf, meteredVars } from './cost.ts';

type Program = (vars: Record<string, unknown>) => unknown;

export type Observed = { ok: true; value: unknown; cost: number } | { ok: false; error: string; cost: number };

/** One evaluation on a copy of `vars` with a copy of its meter (if it has one). */
export function observe(program: Program, vars: Record<string, unknown>): Observed {
  // Non-object activations (null, a Map) are cel-js's to report: no meter to copy from them.
  const meter = typeof vars === 'object' && vars !== null ? meterOf(vars) : undefined;
  const copy = { ...vars };
  let m: CostMeter | undefined;
  if (meter) {
    m = new CostMeter(meter.limit);
    m.used = meter.used;
    meteredVars(copy, m);
  }
  try {
    return { ok: true, value: program(copy), cost: m?.used ?? 0 };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), cost: m?.used ?? 0 };
  }
}

/** Why two observations differ, or undefined when they agree. */
export function difference(a: Observed, b: Observed): string | undefined {
  if (a.cost !== b.cost) return `cost ${a.cost} != ${b.cost}`;
  if (a.ok !== b.ok) return `${describe(a)} != ${describe(b)}`;
  if (!a.ok || !b.ok) return a.ok || b.ok || a.error === b.error ? undefined : `error ${JSON.stringify(a.error)} != ${JSON.stringify(b.error)}`;
  return isDeepStrictEqual(a.value, b.value) ? undefined : `${describe(a)} != ${describe(b)}`;
}

function describe(o: Observed): string {
  if (!o.ok) return `error ${JSON.stringify(o.error)}`;
  const v = o.value;
  const type = typeof v === 'object' && v !== null ? v.constructor?.name ?? 'object' : typeof v;
  return `${type} ${typeof v === 'bigint' ? `${v}n` : String(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)))}`;
}

/** A program that evaluates with `closures` and throws if cel-js's `interpreted` disagrees. */
export function crossChecked(expression: string, closures: Program, interpreted: Program): Program {
  return (vars) => {
    const want = observe(interpreted, vars);
    const got = observe(closures, vars);
    const diff = difference(got, want);
    if (diff !== undefined) throw new Error(`CEL closures differ from cel-js for ${JSON.stringify(expression)}: ${diff}`);
    return closures(vars);
  };
}
