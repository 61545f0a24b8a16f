/**
 * One policy evaluated for one request, binding and param (upstream's validating.Validator):
 * matchConditions, then the validations (with their messages), then the audit annotations, all
 * within one runtime cost budget (src/admission/cel/evaluation.ts runs the expressions).
 */
import { RUNTIME_CEL_COST_BUDGET } from '../../cel/cost.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import { drive, Evaluation, OutOfBudget, type Run } from './evaluation.ts';
import type { RequestMemo } from './request-memo.ts';

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

/** The decision of a validation that holds, shared: one per validation and request otherwise. Never mutated. */
const ADMIT: Decision = Object.freeze({ action: 'admit', evaluation: 'admit' });

const errorDecision = (failOpen: boolean, message: string): Decision => ({ action: failOpen ? 'admit' : 'deny', evaluation: 'error', message });

/** Upstream's matchconditions Matcher: any false skips; otherwise errors follow the failurePolicy. */
export function matchConditions(p: CompiledPolicy, run: Run): { matches: boolean; error?: string } {
  const errors: string[] = [];
  for (const { condition } of p.matchConditions) {
    const r = run(condition);
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

function validations(p: CompiledPolicy, run: Run): Decision[] {
  const out: Decision[] = [];
  for (const v of p.validations) {
    const r = run(v.condition);
    if (!r.ok) {
      out.push(errorDecision(p.failOpen, r.error));
      continue;
    }
    if (r.value === true) {
      out.push(ADMIT);
      continue;
    }
    let message = '';
    if (v.messageExpression) {
      const m = run(v.messageExpression);
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

function auditAnnotations(p: CompiledPolicy, run: Run): AuditAnnotationResult[] {
  const out: AuditAnnotationResult[] = [];
  for (const a of p.auditAnnotations) {
    const r = run(a.value);
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

const NO_CONDITIONS: { matches: boolean; error?: string } = { matches: true };

function policy(p: CompiledPolicy, run: Run): ValidateResult {
  const m = p.matchConditions.length > 0 ? matchConditions(p, run) : NO_CONDITIONS;
  if (m.error !== undefined) return { decisions: [errorDecision(p.failOpen, m.error)], auditAnnotations: [] };
  if (!m.matches) return { decisions: [], auditAnnotations: [] };
  return { decisions: validations(p, run), auditAnnotations: p.auditAnnotations.length > 0 ? auditAnnotations(p, run) : [] };
}

function outOfBudget(p: CompiledPolicy, err: unknown): ValidateResult {
  if (err instanceof OutOfBudget) return { decisions: [errorDecision(p.failOpen, OUT_OF_BUDGET)], auditAnnotations: [] };
  throw err;
}

/**
 * `vars` holds object, oldObject, request, params, namespaceObject and authorizer. The budget is
 * upstream's RuntimeCELCostBudget unless a test asks for less. Synchronous unless an expression
 * is asynchronous (the authorizer's checks). `memo` shares request-only outcomes between the
 * policies of one request and matched resource (src/admission/cel/request-memo.ts).
 */
export function validatePolicy(p: CompiledPolicy, vars: Record<string, unknown>, budget = RUNTIME_CEL_COST_BUDGET, memo?: RequestMemo): ValidateResult | Promise<ValidateResult> {
  try {
    const r = drive((run) => policy(p, run), new Evaluation(p, vars, budget, memo));
    return r instanceof Promise ? r.catch((err: unknown) => outOfBudget(p, err)) : r;
  } catch (err) {
    return outOfBudget(p, err);
  }
}
