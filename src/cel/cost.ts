/**
 * Runtime cost of CEL programs (upstream's per-call limit and per-request budget). cel-js has no
 * cost tracking, so a program is instrumented once: an evaluation costs its node count, and every
 * iteration of a comprehension (all, exists, map, filter...) the node count of its step, charged
 * to the meter found in the evaluation's variables. Nested comprehensions over large lists
 * therefore stop at the limit instead of stalling the server. Upstream weighs some calls by input
 * size too (string functions, list concatenation); here cost counts evaluated nodes only.
 */

/** Upstream's celconfig.PerCallLimit: the most one evaluation may cost. */
export const PER_CALL_LIMIT = 1_000_000;
/** Upstream's celconfig.RuntimeCELCostBudget: the most all expressions of one policy binding may cost per request. */
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;

/** cel-go's message when a program passes its cost limit. */
export class CelCostExceeded extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

export class CostMeter {
  used = 0;
  limit: number;
  constructor(limit: number = PER_CALL_LIMIT) {
    this.limit = limit;
  }
  /** Starts over with a new limit: one meter serves the expressions of an evaluation in turn. */
  reset(limit: number): void {
    this.used = 0;
    this.limit = limit;
  }
  charge(units: number): void {
    this.used += units;
    if (this.used > this.limit) throw new CelCostExceeded();
  }
}

/** The variable the meter travels in: no CEL identifier can name it, so expressions cannot read it. */
const METER = '\u0000cost';

/**
 * Puts the meter into an evaluation's variables and returns them. The object is changed in place
 * (a copy, or a prototype chain, per call costs more than the evaluation itself): pass an object
 * that only this evaluation uses.
 */
export function meteredVars<T extends Record<string, unknown>>(vars: T, meter: CostMeter): T {
  (vars as Record<string, unknown>)[METER] = meter;
  return vars;
}

type Ctx = { getValue(key: string): unknown };
type Evaluate = (this: unknown, ev: unknown, ast: unknown, ctx: Ctx) => unknown;
interface Node {
  op: string;
  args: unknown;
  meta: { alternate?: Node; macro?: Record<string, unknown> & { evaluate: Evaluate }; evaluate: Evaluate };
  evaluate: Evaluate;
}

const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && 'op' in x && 'meta' in x && typeof (x as Node).evaluate === 'function';
const isHolder = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && (Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype);

/** The nodes under `root` (a comprehension's own repeated work counted once), and its comprehensions. */
function walk(root: unknown): { nodes: number; comprehensions: Node[] } {
  let nodes = 0;
  const comprehensions: Node[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (isNode(x)) {
      nodes++;
      if (x.op === 'comprehension') comprehensions.push(x);
      stack.push(x.args, x.meta.alternate, x.meta.macro);
    } else if (isHolder(x)) {
      // Comprehension arguments and macro records: plain holders of further nodes.
      for (const [k, v] of Object.entries(x)) if (k !== 'ast' && typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return { nodes, comprehensions };
}

const instrumented = new WeakMap<object, number>();

/** The meter an evaluation's variables carry, if any. */
export function meterOf(vars: unknown): CostMeter | undefined {
  const m = (vars as Record<string, unknown>)[METER];
  return m instanceof CostMeter ? m : undefined;
}

/** What one iteration of a comprehension's step costs: the step's node count and one. */
export function stepWeight(step: unknown): number {
  return walk(step).nodes + 1;
}

/**
 * Instruments a checked parse tree in place and returns its static cost (its node count). Each
 * comprehension's step is wrapped to charge the size of the step on every iteration: that is where
 * evaluation time grows beyond the size of the expression. Wrapping only there keeps the price of
 * metering to one lookup per iteration. Idempotent: a cached tree is instrumented once.
 */
export function instrumentCost(ast: unknown): number {
  if (typeof ast !== 'object' || ast === null) return 1;
  const known = instrumented.get(ast);
  if (known !== undefined) return known;
  const { nodes, comprehensions } = walk(ast);
  for (const c of comprehensions) {
    const step = (c.args as { step?: unknown }).step;
    if (!isNode(step)) continue;
    const weight = stepWeight(step);
    const meta = step.meta;
    // cel-js's own first evaluate (alternate, macro, operator) replaces itself with the resolved
    // one; the wrapper resolves the same way on every call so that it stays in place.
    step.evaluate = function (ev, a, ctx) {
      const m = ctx.getValue(METER);
      if (m instanceof CostMeter) m.charge(weight);
      if (meta.alternate) return meta.alternate.evaluate(ev, meta.alternate, ctx);
      if (meta.macro) return meta.macro.evaluate.call(meta.macro, ev, meta.macro, ctx);
      return meta.evaluate.call(this, ev, a, ctx);
    };
  }
  instrumented.set(ast, nodes);
  return nodes;
}
