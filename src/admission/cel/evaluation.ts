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

export class Evaluation {
  readonly #p: CompiledPolicy;
  readonly #base: Record<string, unknown>;
  readonly #vars: Record<string, unknown> = {};
  readonly #computed = new Set<string>();
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
      if (this.#computed.has(name)) continue;
      const v = this.#p.variables.get(name);
      if (!v) continue;
      // Marked first: a variable that names itself reads as missing instead of recursing.
      this.#computed.add(name);
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
      this.#memo?.set(expr, { ok: true, value }, meter.used - before);
      return { ok: true, value };
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

/** Steps that ask for expressions to be evaluated (yield) and get their outcomes back. */
export type Steps<T> = Generator<PolicyExpression, T, Outcome>;

async function driveAsync<T>(steps: Steps<T>, ev: Evaluation, pending: Promise<Outcome>): Promise<T> {
  let next = steps.next(await pending);
  while (!next.done) next = steps.next(await ev.eval(next.value));
  return next.value;
}

/** Runs `steps` synchronously while every outcome is at hand, asynchronously from the first that is not. */
export function drive<T>(steps: Steps<T>, ev: Evaluation): T | Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const r = ev.eval(next.value);
    if (r instanceof Promise) return driveAsync(steps, ev, r);
    next = steps.next(r);
  }
  return next.value;
}
