/**
 * Outcomes of the expressions that read the request only (object, oldObject, request,
 * namespaceObject; no params, variables or authorizer), shared by every policy evaluated for one
 * request and matched resource. Policy libraries repeat such expressions word for word (the
 * `podSpec` and container-list variables of most pod policies): each is evaluated once per
 * request instead of once per policy. Each policy is still charged the cost the evaluation took,
 * so budgets and per-call limits stay as if it ran again. Outcomes cut short by a cost limit are
 * not kept (another policy may have more budget left).
 */
import type { CelProgram } from '../../cel/environment.ts';
import type { Outcome } from './evaluation.ts';
import type { PolicyExpression } from './policy-env.ts';

interface Kept {
  expression: string;
  outcome: Outcome;
  cost: number;
}

/** Request-only and compiled for more than one policy (else keeping it costs and saves nothing). */
const shareable = (expr: PolicyExpression): expr is PolicyExpression & { program: CelProgram } => expr.program !== undefined && (expr.requestOnly?.uses ?? 0) > 1;

export class RequestMemo {
  // Bounded by the policy set: one entry per distinct request-only expression evaluated.
  readonly #kept = new Map<CelProgram, Kept>();

  /** The kept outcome of `expr` and its cost, if it was evaluated for this request. */
  get(expr: PolicyExpression): Kept | undefined {
    if (!shareable(expr)) return undefined;
    const k = this.#kept.get(expr.program);
    // The program is shared by equal texts; the text names the expression in error messages.
    return k?.expression === expr.expression ? k : undefined;
  }

  set(expr: PolicyExpression, outcome: Outcome, cost: number): void {
    if (shareable(expr)) this.#kept.set(expr.program, { expression: expr.expression, outcome, cost });
  }
}
