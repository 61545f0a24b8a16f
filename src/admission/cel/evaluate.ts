/**
 * One policy evaluated for one request, binding and param (upstream's validating.Validator):
 * matchConditions, then the validations (with their messages), then the audit annotations, all
 * within one runtime cost budget (src/admission/cel/evaluation.ts runs the expressions).
 */
import { RUNTIME_CEL_COST_BUDGET } from '../../cel/cost.ts';
import type { CompiledPolicy, CompiledValidation } from './compile-policy.ts';
import { drive, Evaluation, OutOfBudget, type Runner } from './evaluation.ts';
import type { RequestMemo } from './request-memo.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

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

/** Read-only: results are shared (between the bindings of a policy, and when every validation holds). */
export interface ValidateResult {
  readonly decisions: readonly Decision[];
  readonly auditAnnotations: readonly AuditAnnotationResult[];
}

/** Upstream's celconfig.MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;
const OUT_OF_BUDGET = 'validation failed due to running out of cost budget, no further validation rules will be run';

/** The decision of a validation that holds, shared: one per validation and request otherwise. Never mutated. */
const ADMIT: Decision = Object.freeze({ action: 'admit', evaluation: 'admit' });
const NONE: readonly never[] = Object.freeze([]);
const NOT_MATCHED: ValidateResult = Object.freeze({ decisions: NONE, auditAnnotations: NONE });

/**
 * The result of a policy whose n validations all hold and which has no audit annotations (most
 * policies, most requests), shared by n: one array and result object per policy and request
 * otherwise. Policies with up to 64 validations share them; more are rare and get their own.
 */
const allAdmitted: ValidateResult[] = [];
function admitted(n: number): ValidateResult {
  const known = allAdmitted[n];
  if (known !== undefined) return known;
  const r: ValidateResult = Object.freeze({ decisions: Object.freeze(new Array<Decision>(n).fill(ADMIT)), auditAnnotations: NONE });
  if (n <= 64) allAdmitted[n] = r;
  return r;
}

const errorDecision = (failOpen: boolean, message: string): Decision => ({ action: failOpen ? 'admit' : 'deny', evaluation: 'error', message });

const MATCHES: { matches: boolean; error?: string } = Object.freeze({ matches: true });
const NO_MATCH: { matches: boolean; error?: string } = Object.freeze({ matches: false });

/** Upstream's matchconditions Matcher: any false skips; otherwise errors follow the failurePolicy. */
export function matchConditions(p: CompiledPolicy, runner: Runner): { matches: boolean; error?: string } {
  let errors: string[] | undefined;
  const conditions = p.matchConditions;
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i]!.condition;
    const r = runner.run(condition);
    if (!r.ok) (errors ??= []).push(r.error);
    else if (r.value === false) return NO_MATCH;
    else if (r.value !== true) (errors ??= []).push(`expression '${condition.expression}' resulted in error: must evaluate to bool`);
  }
  if (errors === undefined) return MATCHES;
  if (p.failOpen) return NO_MATCH;
  // utilerrors.NewAggregate(errorList): repeated messages dropped.
  return { matches: false, error: aggregateMessage(errors)! };
}

function pickMessage(value: unknown): string {
  if (typeof value !== 'string') return '';
  const m = value.trim();
  // Too long or multi-line messages are refused, as upstream, and the fallbacks used instead.
  if (Buffer.byteLength(m) > MAX_MESSAGE_BYTES || m.includes('\n')) return '';
  return m;
}

function validation(p: CompiledPolicy, v: CompiledValidation, runner: Runner): Decision {
  const r = runner.run(v.condition);
  if (!r.ok) return errorDecision(p.failOpen, r.error);
  if (r.value === true) return ADMIT;
  let message = '';
  if (v.messageExpression) {
    const m = runner.run(v.messageExpression);
    if (m.ok) message = pickMessage(m.value);
  }
  if (message === '' && v.message) message = v.message.trim();
  if (message === '') message = `failed expression: ${v.condition.expression.trim()}`;
  return { action: 'deny', evaluation: 'deny', message, reason: v.reason || 'Invalid' };
}

/** The decisions, in order; undefined when every validation holds (the caller shares that result). */
function validations(p: CompiledPolicy, runner: Runner): Decision[] | undefined {
  let out: Decision[] | undefined;
  const vs = p.validations;
  for (let i = 0; i < vs.length; i++) {
    const d = validation(p, vs[i]!, runner);
    if (out !== undefined) out.push(d);
    else if (d !== ADMIT) {
      out = new Array<Decision>(i).fill(ADMIT);
      out.push(d);
    }
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

function auditAnnotations(p: CompiledPolicy, runner: Runner): AuditAnnotationResult[] {
  const out: AuditAnnotationResult[] = [];
  for (const a of p.auditAnnotations) {
    const r = runner.run(a.value);
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

function policy(p: CompiledPolicy, runner: Runner): ValidateResult {
  const m = p.matchConditions.length > 0 ? matchConditions(p, runner) : MATCHES;
  if (m.error !== undefined) return { decisions: [errorDecision(p.failOpen, m.error)], auditAnnotations: NONE };
  if (!m.matches) return NOT_MATCHED;
  const decisions = validations(p, runner);
  if (p.auditAnnotations.length === 0) return decisions === undefined ? admitted(p.validations.length) : { decisions, auditAnnotations: NONE };
  return { decisions: decisions ?? admitted(p.validations.length).decisions, auditAnnotations: auditAnnotations(p, runner) };
}

function outOfBudget(p: CompiledPolicy, err: unknown): ValidateResult {
  if (err instanceof OutOfBudget) return { decisions: [errorDecision(p.failOpen, OUT_OF_BUDGET)], auditAnnotations: NONE };
  throw err;
}

/**
 * `vars` holds object, oldObject, request, params, namespaceObject and authorizer; `variables` and
 * the cost meter are set on it for each expression (src/admission/cel/evaluation.ts). The budget is
 * upstream's RuntimeCELCostBudget unless a test asks for less. Synchronous unless an expression
 * is asynchronous (the authorizer's checks). `memo` shares request-only outcomes between the
 * policies of one request and matched resource (src/admission/cel/request-memo.ts).
 */
export function validatePolicy(p: CompiledPolicy, vars: Record<string, unknown>, budget = RUNTIME_CEL_COST_BUDGET, memo?: RequestMemo): ValidateResult | Promise<ValidateResult> {
  const ev = Evaluation.of(p, vars, budget, memo);
  try {
    const r = drive(policy, p, ev);
    if (r instanceof Promise) return r.catch((err: unknown) => outOfBudget(p, err));
    ev.done();
    return r;
  } catch (err) {
    ev.done();
    return outOfBudget(p, err);
  }
}
