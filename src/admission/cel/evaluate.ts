/**
 * One policy evaluated for one request, binding and param (upstream's validating.Validator):
 * matchConditions, then the validations (with their messages), then the audit annotations, all
 * within one runtime cost budget. Variables are computed when an expression first needs them and
 * kept for the rest of the evaluation; a variable that fails is an error only where it is read.
 */
import { CelCostExceeded, CostMeter, PER_CALL_LIMIT, RUNTIME_CEL_COST_BUDGET, meteredVars } from '../../cel/cost.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import type { PolicyExpression } from './policy-env.ts';

export type Action = 'admit' | 'deny';

export interface Decision {
  action: Action;
  evaluation: 'admit' | 'deny' | 'error';
  message?: string;
  reason?: string;
}

export interface AuditAnnotationResult {
  key: string;
  action: 'publish' | 'exclude' | 'error';
  value?: string;
  error?: string;
}

export interface ValidateResult {
  decisions: Decision[];
  auditAnnotations: AuditAnnotationResult[];
}

/** Upstream's celconfig.MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;
const OUT_OF_BUDGET = 'validation failed due to running out of cost budget, no further validation rules will be run';

class OutOfBudget extends Error {}

const firstLine = (s: string): string => s.split('\n')[0]!.trim().replace(/^No such key:/, 'no such key:');

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

class Evaluation {
  readonly #p: CompiledPolicy;
  readonly #base: Record<string, unknown>;
  readonly #vars: Record<string, unknown> = {};
  readonly #computed = new Map<string, Outcome>();
  #remaining: number;

  constructor(p: CompiledPolicy, base: Record<string, unknown>, budget: number) {
    this.#p = p;
    this.#base = { ...base, variables: this.#vars };
    this.#remaining = budget;
  }

  async #variable(name: string, meter: CostMeter): Promise<void> {
    if (this.#computed.has(name)) return;
    const expr = this.#p.variables.get(name);
    if (!expr) return;
    // Marked first: a variable that names itself reads as missing instead of recursing.
    this.#computed.set(name, { ok: false, error: `no such key: ${name}` });
    const outcome = await this.#run(expr, meter);
    this.#computed.set(name, outcome);
    Object.defineProperty(this.#vars, name, {
      enumerable: true,
      get: () => {
        if (outcome.ok) return outcome.value;
        throw new Error(outcome.error);
      },
    });
  }

  async #run(expr: PolicyExpression, meter: CostMeter): Promise<Outcome> {
    if (!expr.program) return { ok: false, error: `compilation error: ${expr.error}` };
    for (const v of expr.variableRefs) await this.#variable(v, meter);
    try {
      return { ok: true, value: await expr.program(meteredVars(this.#base, meter)) };
    } catch (err) {
      // cel-js's quantifiers keep the first error and go on; the meter says whether the limit was hit.
      const overLimit = meter.used > meter.limit;
      if (overLimit && meter.used > this.#remaining) throw new OutOfBudget();
      const message = overLimit ? new CelCostExceeded().message : firstLine((err as Error).message);
      return { ok: false, error: `expression '${expr.expression}' resulted in error: ${message}` };
    }
  }

  /** Evaluates with the per-call limit and charges the request's budget. */
  async eval(expr: PolicyExpression): Promise<Outcome> {
    const meter = new CostMeter(Math.min(PER_CALL_LIMIT, this.#remaining + 1));
    const out = await this.#run(expr, meter);
    this.#remaining -= meter.used;
    if (this.#remaining < 0) throw new OutOfBudget();
    return out;
  }
}

const errorDecision = (failOpen: boolean, message: string): Decision => ({ action: failOpen ? 'admit' : 'deny', evaluation: 'error', message });

/** Upstream's matchconditions Matcher: any false skips; otherwise errors follow the failurePolicy. */
async function matchConditions(p: CompiledPolicy, ev: Evaluation): Promise<{ matches: boolean; error?: string }> {
  const errors: string[] = [];
  for (const { condition } of p.matchConditions) {
    const r = await ev.eval(condition);
    if (!r.ok) errors.push(r.error);
    else if (r.value === false) return { matches: false };
    else if (r.value !== true) errors.push(`expression '${condition.expression}' resulted in error: must evaluate to bool`);
  }
  if (errors.length === 0) return { matches: true };
  if (p.failOpen) return { matches: false };
  return { matches: false, error: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` };
}

function pickMessage(value: unknown): string {
  if (typeof value !== 'string') return '';
  const m = value.trim();
  // Too long or multi-line messages are refused, as upstream, and the fallbacks used instead.
  if (Buffer.byteLength(m) > MAX_MESSAGE_BYTES || m.includes('\n')) return '';
  return m;
}

async function validations(p: CompiledPolicy, ev: Evaluation): Promise<Decision[]> {
  const out: Decision[] = [];
  for (const v of p.validations) {
    const r = await ev.eval(v.condition);
    if (!r.ok) {
      out.push(errorDecision(p.failOpen, r.error));
      continue;
    }
    if (r.value === true) {
      out.push({ action: 'admit', evaluation: 'admit' });
      continue;
    }
    let message = '';
    if (v.messageExpression) {
      const m = await ev.eval(v.messageExpression);
      if (m.ok) message = pickMessage(m.value);
    }
    if (message === '' && v.message) message = v.message.trim();
    if (message === '') message = `failed expression: ${v.condition.expression.trim()}`;
    out.push({ action: 'deny', evaluation: 'deny', message, reason: v.reason || 'Invalid' });
  }
  return out;
}

function celTypeName(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'map' : typeof v;
}

async function auditAnnotations(p: CompiledPolicy, ev: Evaluation): Promise<AuditAnnotationResult[]> {
  const out: AuditAnnotationResult[] = [];
  for (const a of p.auditAnnotations) {
    const r = await ev.eval(a.value);
    if (!r.ok) out.push({ key: a.key, action: p.failOpen ? 'exclude' : 'error', error: r.error });
    else if (r.value === null || r.value === undefined) out.push({ key: a.key, action: 'exclude' });
    else if (typeof r.value === 'string') {
      const value = r.value.trim();
      out.push(value === '' ? { key: a.key, action: 'exclude' } : { key: a.key, action: 'publish', value });
    } else {
      out.push({
        key: a.key,
        action: 'error',
        error: `valueExpression '${a.value.expression}' resulted in unsupported return type: ${celTypeName(r.value)}. Return type must be either string or null.`,
      });
    }
  }
  return out;
}

/**
 * `vars` holds object, oldObject, request, params, namespaceObject and authorizer. The budget is
 * upstream's RuntimeCELCostBudget unless a test asks for less.
 */
export async function validatePolicy(p: CompiledPolicy, vars: Record<string, unknown>, budget = RUNTIME_CEL_COST_BUDGET): Promise<ValidateResult> {
  const ev = new Evaluation(p, vars, budget);
  try {
    const m = await matchConditions(p, ev);
    if (m.error !== undefined) return { decisions: [errorDecision(p.failOpen, m.error)], auditAnnotations: [] };
    if (!m.matches) return { decisions: [], auditAnnotations: [] };
    return { decisions: await validations(p, ev), auditAnnotations: await auditAnnotations(p, ev) };
  } catch (err) {
    if (err instanceof OutOfBudget) return { decisions: [errorDecision(p.failOpen, OUT_OF_BUDGET)], auditAnnotations: [] };
    throw err;
  }
}
