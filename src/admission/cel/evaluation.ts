/**
 * The expressions of one policy evaluated for one request, binding and param: each within the
 * per-call cost limit, all within one runtime budget. Variables are computed when an expression
 * first reads them and kept for the rest of the evaluation; a variable that fails is an error only
 * where it is read. Evaluation is synchronous unless an expression is (only the authorizer's
 * checks are): a policy without them costs no promise per expression.
 */
import { CelCostExceeded, CostMeter, PER_CALL_LIMIT, meteredVars } from '../../cel/cost.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import type { PolicyExpression } from './policy-env.ts';
import type { RequestMemo } from './request-memo.ts';

export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** The request's budget is spent: upstream stops evaluating the binding. */
export class OutOfBudget extends Error {}

const firstLine = (s: string): string => s.split('\n')[0]!.trim().replace(/^No such key:/, 'no such key:');

/** Most outcomes are `true` (a validation that holds): one shared object for them. Never mutated. */
const TRUE: Outcome = Object.freeze({ ok: true, value: true });

export class Evaluation {
  readonly #p: CompiledPolicy;
  readonly #base: Record<string, unknown>;
  readonly #vars: Record<string, unknown> = {};
  /** Made when the first variable is computed: most expressions read none. */
  #computed: Set<string> | undefined;
  #remaining: number;
  readonly #memo: RequestMemo | undefined;

  /** `memo`: outcomes shared with the other policies evaluated for the same request and matched resource. */
  constructor(p: CompiledPolicy, base: Record<string, unknown>, budget: number, memo?: RequestMemo) {
    this.#p = p;
    this.#memo = memo;
    // Owned by this evaluation: the meter of each expression is set on it in turn.
    this.#base = { ...base, variables: this.#vars };
    this.#remaining = budget;
  }

  #define(name: string, outcome: Outcome): void {
    // A value is a plain property (no closure per variable and evaluation); an error throws where read.
    if (outcome.ok) this.#vars[name] = outcome.value;
    else {
      const error = outcome.error;
      Object.defineProperty(this.#vars, name, { enumerable: true, configurable: true, get: () => { throw new Error(error); } });
    }
  }

  /** Computes the variables `expr` reads (and theirs), then runs it. */
  #run(expr: PolicyExpression, meter: CostMeter): Outcome | Promise<Outcome> {
    if (!expr.program) return { ok: false, error: `compilation error: ${expr.error}` };
    // Most expressions read no variable: no iterator for them.
    if (expr.variableRefs.size > 0) for (const name of expr.variableRefs) {
      if (this.#computed?.has(name)) continue;
      const v = this.#p.variables.get(name);
      if (!v) continue;
      // Marked first: a variable that names itself reads as missing instead of recursing.
      (this.#computed ??= new Set()).add(name);
      const r = this.#run(v, meter);
      if (r instanceof Promise) {
        return r.then((o) => {
          this.#define(name, o);
          return this.#run(expr, meter);
        });
      }
      this.#define(name, r);
    }
    const kept = this.#memo?.get(expr);
    const before = meter.used;
    try {
      if (kept) {
        meter.charge(kept.cost);
        return kept.outcome;
      }
      meter.charge(expr.staticCost);
      const value = expr.program(meteredVars(this.#base, meter));
      if (value instanceof Promise) return value.then((v) => ({ ok: true, value: v }), (err: unknown) => this.#failed(expr, meter, err));
      const out = value === true ? TRUE : { ok: true as const, value };
      this.#memo?.set(expr, out, meter.used - before);
      return out;
    } catch (err) {
      const out = this.#failed(expr, meter, err);
      // An outcome cut short by the limit is this evaluation's, not the expression's.
      if (!kept && meter.used <= meter.limit) this.#memo?.set(expr, out, meter.used - before);
      return out;
    }
  }

  #failed(expr: PolicyExpression, meter: CostMeter, err: unknown): Outcome {
    // cel-js's quantifiers keep the first error and go on; the meter says whether the limit was hit.
    const overLimit = meter.used > meter.limit;
    if (overLimit && meter.used > this.#remaining) throw new OutOfBudget();
    const message = overLimit ? new CelCostExceeded().message : firstLine((err as Error).message);
    return { ok: false, error: `expression '${expr.expression}' resulted in error: ${message}` };
  }

  #settle(meter: CostMeter, out: Outcome): Outcome {
    this.#remaining -= meter.used;
    if (this.#remaining < 0) throw new OutOfBudget();
    return out;
  }

  /** Evaluates with the per-call limit and charges the request's budget; throws OutOfBudget. */
  eval(expr: PolicyExpression): Outcome | Promise<Outcome> {
    const meter = new CostMeter(Math.min(PER_CALL_LIMIT, this.#remaining + 1));
    const out = this.#run(expr, meter);
    return out instanceof Promise ? out.then((o) => this.#settle(meter, o)) : this.#settle(meter, out);
  }
}

/**
 * Evaluates an expression and hands back its outcome (the steps of a policy call it in turn).
 * Steps are plain synchronous functions, not generators: a generator object, its context and an
 * iterator result per expression were most of what a policy evaluation allocated, and that
 * garbage set the tail (a scavenge every few dozen requests of 100 policies).
 */
export type Run = (expr: PolicyExpression) => Outcome;

/** Thrown through the steps when an outcome is not at hand yet. */
class Suspended {
  readonly pending: Promise<Outcome>;
  constructor(pending: Promise<Outcome>) {
    this.pending = pending;
  }
}

/**
 * Runs `steps` again after each outcome that was not at hand, with the outcomes known so far
 * replayed in order: the steps decide only from the outcomes they are given, so each replay takes
 * the same path up to the new outcome, and no expression is evaluated twice.
 */
async function replay<T>(steps: (run: Run) => T, ev: Pick<Evaluation, 'eval'>, log: Outcome[], pending: Promise<Outcome>): Promise<T> {
  for (;;) {
    log.push(await pending);
    let i = 0;
    const run: Run = (expr) => {
      if (i < log.length) return log[i++]!;
      const r = ev.eval(expr);
      if (r instanceof Promise) throw new Suspended(r);
      log.push(r);
      i++;
      return r;
    };
    try {
      return steps(run);
    } catch (err) {
      if (!(err instanceof Suspended)) throw err;
      pending = err.pending;
    }
  }
}

/** Runs `steps` synchronously while every outcome is at hand, asynchronously from the first that is not. */
export function drive<T>(steps: (run: Run) => T, ev: Pick<Evaluation, 'eval'>): T | Promise<T> {
  const log: Outcome[] = [];
  const run: Run = (expr) => {
    const r = ev.eval(expr);
    if (r instanceof Promise) throw new Suspended(r);
    log.push(r);
    return r;
  };
  try {
    return steps(run);
  } catch (err) {
    if (!(err instanceof Suspended)) throw err;
    return replay(steps, ev, log, err.pending);
  }
}
