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

/** `variables` before any is computed (most policies compute none for most expressions). */
const NO_VARIABLES: Record<string, unknown> = Object.freeze({});

/** Hands back an expression's outcome: the steps of a policy (src/admission/cel/evaluate.ts) call it in turn. */
export interface Runner {
  run(expr: PolicyExpression): Outcome;
}

/** Thrown through the steps when an outcome is not at hand yet. */
class Suspended extends Error {
  readonly pending: Promise<Outcome>;
  constructor(pending: Promise<Outcome>) {
    super('a CEL outcome was not at hand (an asynchronous expression outside drive())');
    this.pending = pending;
  }
}

/**
 * The expressions of one policy for one request, binding and param, evaluated one at a time (an
 * asynchronous outcome is awaited before the next expression starts).
 */
export class Evaluation implements Runner {
  /** A finished synchronous evaluation, emptied, that the next synchronous policy reuses (see of()). */
  static #spare: Evaluation | undefined;

  /** Every expression of the policy is synchronous: nothing can suspend (see drive). */
  sync: boolean;
  #p: CompiledPolicy;
  #base: Record<string, unknown>;
  /** Made when the first variable is computed. */
  #vars = NO_VARIABLES;
  /**
   * The variables computed (or being computed), made when the first is: most expressions read
   * none. At the policy's variable count, so it never grows (a push past an array's size makes
   * room for 17; a Set per policy was ~15 KB per library-shaped request).
   */
  #computed: (string | undefined)[] | undefined;
  #computedCount = 0;
  #remaining: number;
  #memo: RequestMemo | undefined;
  /** One meter, started over for each expression (they run one at a time). */
  readonly #meter = new CostMeter();

  /**
   * `base` holds the variables; `variables` and the cost meter are set on it before each
   * expression. A policy whose expressions are all synchronous evaluates on `base` itself (each
   * expression has it to itself while it runs: nothing else runs before it returns); any other
   * on a copy, which no other evaluation can change while an expression waits.
   * `memo`: outcomes shared with the other policies evaluated for the same request and matched resource.
   */
  constructor(p: CompiledPolicy, base: Record<string, unknown>, budget: number, memo?: RequestMemo) {
    this.#p = p;
    this.#memo = memo;
    this.sync = p.sync === true;
    this.#base = this.sync ? base : { ...base };
    this.#remaining = budget;
  }

  /**
   * An evaluation for `p`: for a synchronous policy the one the last synchronous policy finished
   * with, if it did (an Evaluation and its meter per policy were a third of what 100 policies
   * still allocated per request). A synchronous evaluation runs to its end before any other
   * starts; one that finds the spare taken (none does today) gets a new one.
   */
  static of(p: CompiledPolicy, base: Record<string, unknown>, budget: number, memo?: RequestMemo): Evaluation {
    const ev = p.sync === true ? Evaluation.#spare : undefined;
    if (ev === undefined) return new Evaluation(p, base, budget, memo);
    Evaluation.#spare = undefined;
    ev.#p = p;
    ev.#memo = memo;
    ev.#base = base;
    ev.#remaining = budget;
    return ev;
  }

  /** Done with it: a synchronous evaluation is emptied (it keeps no request's objects) and kept for of(). */
  done(): void {
    if (!this.sync) return;
    this.#base = NO_VARIABLES;
    this.#memo = undefined;
    this.#vars = NO_VARIABLES;
    this.#computed = undefined;
    this.#computedCount = 0;
    Evaluation.#spare = this;
  }

  #define(name: string, outcome: Outcome): void {
    if (this.#vars === NO_VARIABLES) this.#vars = {};
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
      if (this.#computed?.includes(name)) continue;
      const v = this.#p.variables.get(name);
      if (!v) continue;
      // Marked first: a variable that names itself reads as missing instead of recursing.
      (this.#computed ??= new Array<string | undefined>(this.#p.variables.size))[this.#computedCount++] = name;
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
      const vars = this.#base;
      vars.variables = this.#vars;
      const value = expr.program(meteredVars(vars, meter));
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
    const meter = this.#meter;
    meter.reset(Math.min(PER_CALL_LIMIT, this.#remaining + 1));
    const out = this.#run(expr, meter);
    return out instanceof Promise ? out.then((o) => this.#settle(meter, o)) : this.#settle(meter, out);
  }

  /** The outcome at once (drive runs the steps of a synchronous policy with the evaluation itself). */
  run(expr: PolicyExpression): Outcome {
    const r = this.eval(expr);
    if (r instanceof Promise) throw new Suspended(r);
    return r;
  }
}

/**
 * The steps of a policy: plain synchronous functions, not generators (a generator object, its
 * context and an iterator result per expression were most of what a policy evaluation
 * allocated, and that garbage set the tail: a scavenge every few dozen requests of 100 policies).
 */
export type Steps<A, T> = (arg: A, r: Runner) => T;

/** What drive evaluates with: an Evaluation (tests pass a fake). */
export type Evaluating = Runner & Pick<Evaluation, 'sync' | 'eval'>;

/** Logs the outcomes of a policy that may suspend; in a replay, hands back the logged ones first. */
class Logging implements Runner {
  readonly #ev: Evaluating;
  readonly #log: Outcome[];
  #next = 0;
  constructor(ev: Evaluating, log: Outcome[]) {
    this.#ev = ev;
    this.#log = log;
  }
  run(expr: PolicyExpression): Outcome {
    if (this.#next < this.#log.length) return this.#log[this.#next++]!;
    const r = this.#ev.eval(expr);
    if (r instanceof Promise) throw new Suspended(r);
    this.#log.push(r);
    this.#next++;
    return r;
  }
}

/**
 * Runs `steps` again after each outcome that was not at hand, with the outcomes known so far
 * replayed in order: the steps decide only from the outcomes they are given, so each replay takes
 * the same path up to the new outcome, and no expression is evaluated twice.
 */
async function replay<A, T>(steps: Steps<A, T>, arg: A, ev: Evaluating, log: Outcome[], pending: Promise<Outcome>): Promise<T> {
  for (;;) {
    log.push(await pending);
    try {
      return steps(arg, new Logging(ev, log));
    } catch (err) {
      if (!(err instanceof Suspended)) throw err;
      pending = err.pending;
    }
  }
}

/**
 * Runs `steps(arg, ...)` synchronously while every outcome is at hand, asynchronously from the
 * first that is not. A policy whose expressions are all synchronous runs with the evaluation
 * itself: no log, no closure.
 */
export function drive<A, T>(steps: Steps<A, T>, arg: A, ev: Evaluating): T | Promise<T> {
  if (ev.sync) return steps(arg, ev);
  const log: Outcome[] = [];
  try {
    return steps(arg, new Logging(ev, log));
  } catch (err) {
    if (!(err instanceof Suspended)) throw err;
    return replay(steps, arg, ev, log, err.pending);
  }
}
