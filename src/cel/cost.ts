/**
 * Runtime cost of CEL programs (upstream's per-call limit and per-request budget). cel-js has no
 * cost tracking, so a program is instrumented once: every node of its parse tree (including the
 * nodes a macro expands into, whose step runs once per iteration) charges one unit to the meter
 * found in the evaluation's variables. Nested comprehensions over large lists therefore stop at
 * the limit instead of stalling the server. Upstream weighs some calls by input size too; here
 * every evaluated node costs one, so limits count work in evaluated nodes.
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
  readonly limit: number;
  constructor(limit: number = PER_CALL_LIMIT) {
    this.limit = limit;
  }
  charge(units: number): void {
    this.used += units;
    if (this.used > this.limit) throw new CelCostExceeded();
  }
}

/** The variable the meter travels in: no CEL identifier can name it, so expressions cannot read it. */
const METER = '\u0000cost';

/** The variables of one metered evaluation (the original object is left as it was). */
export function meteredVars(vars: Record<string, unknown>, meter: CostMeter): Record<string, unknown> {
  const v = Object.create(vars) as Record<string, unknown>;
  v[METER] = meter;
  return v;
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
const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && (Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype);
const instrumented = new WeakSet<object>();

function charge(ctx: Ctx): void {
  const m = ctx.getValue(METER);
  if (m instanceof CostMeter) m.charge(1);
}

function wrap(node: Node): void {
  const meta = node.meta;
  // The same dispatch as cel-js's own first evaluate (alternate, macro, operator), plus the charge.
  node.evaluate = function (ev, ast, ctx) {
    charge(ctx);
    if (meta.alternate) return meta.alternate.evaluate(ev, meta.alternate, ctx);
    if (meta.macro) return meta.macro.evaluate.call(meta.macro, ev, meta.macro, ctx);
    return meta.evaluate.call(this, ev, ast, ctx);
  };
}

/** Instruments a checked parse tree in place (idempotent: a cached tree is instrumented once). */
export function instrumentCost(ast: unknown): void {
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || instrumented.has(x)) continue;
    if (isNode(x)) {
      instrumented.add(x);
      wrap(x);
      stack.push(x.args, x.meta.alternate, x.meta.macro);
    } else if (isPlain(x) || (typeof x === 'object' && 'evaluate' in x && 'typeCheck' in x)) {
      // Comprehension arguments and macro records: plain holders of further nodes.
      instrumented.add(x);
      for (const v of Object.values(x)) if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
}
