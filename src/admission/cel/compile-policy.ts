/**
 * A ValidatingAdmissionPolicy compiled for evaluation: every expression parsed and checked once
 * per policy generation (the cache is keyed by uid and generation), with its selectors parsed.
 * A part that does not compile is kept with its error; it fails by the policy's failurePolicy
 * when a request reaches it, as upstream's compilation results do.
 */
import type { MatchResources, ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicyExpression, type PolicyExpression } from './policy-env.ts';
import { compileMatchResources, type CompiledMatch } from './match-resources.ts';

export interface CompiledValidation {
  condition: PolicyExpression;
  message?: string;
  messageExpression?: PolicyExpression;
  reason?: string;
}

export interface CompiledAuditAnnotation {
  key: string;
  value: PolicyExpression;
}

export interface CompiledPolicy {
  name: string;
  generation: number;
  failOpen: boolean;
  match: CompiledMatch;
  paramKind?: { apiVersion: string; kind: string };
  matchConditions: { name: string; condition: PolicyExpression }[];
  /** In declaration order: a variable may use the ones before it. */
  variables: Map<string, PolicyExpression>;
  validations: CompiledValidation[];
  auditAnnotations: CompiledAuditAnnotation[];
  /**
   * Every expression's outcome is at hand at once (none calls an asynchronous function): its
   * evaluation never suspends (src/admission/cel/evaluation.ts keeps no log for a replay).
   */
  sync?: boolean;
}

/** What every admission policy spec has, as far as compiling reads it. */
export interface PolicySpecBase {
  failurePolicy?: string;
  matchConstraints?: MatchResources;
  paramKind?: { apiVersion?: string; kind?: string };
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
}

/** The parts a validating and a mutating policy compile alike. */
export function compilePolicyBase(metadata: { name?: string; generation?: number } | undefined, spec: PolicySpecBase): Omit<CompiledPolicy, 'validations' | 'auditAnnotations'> {
  const variables = new Map<string, PolicyExpression>();
  for (const v of spec.variables ?? []) variables.set(v.name, compilePolicyExpression(v.expression));
  return {
    name: metadata?.name ?? '',
    generation: metadata?.generation ?? 0,
    failOpen: spec.failurePolicy === 'Ignore',
    match: compileMatchResources(spec.matchConstraints),
    ...(spec.paramKind?.apiVersion && spec.paramKind.kind ? { paramKind: { apiVersion: spec.paramKind.apiVersion, kind: spec.paramKind.kind } } : {}),
    matchConditions: (spec.matchConditions ?? []).map((m) => ({ name: m.name, condition: compilePolicyExpression(m.expression, 'bool') })),
    variables,
  };
}

/** Whether every expression of the policy (and `more`) is synchronous. */
export function allSync(p: Omit<CompiledPolicy, 'sync'>, more: PolicyExpression[] = []): boolean {
  const exprs = [
    ...p.matchConditions.map((m) => m.condition),
    ...p.variables.values(),
    ...p.validations.flatMap((v) => (v.messageExpression ? [v.condition, v.messageExpression] : [v.condition])),
    ...p.auditAnnotations.map((a) => a.value),
    ...more,
  ];
  return exprs.every((e) => e.sync === true);
}

export function compilePolicy(p: ValidatingAdmissionPolicy): CompiledPolicy {
  const spec = p.spec ?? {};
  const compiled = {
    ...compilePolicyBase(p.metadata, spec),
    validations: (spec.validations ?? []).map((v) => ({
      condition: compilePolicyExpression(v.expression, 'bool'),
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(v.messageExpression ? { messageExpression: compilePolicyExpression(v.messageExpression, 'string') } : {}),
      ...(v.reason !== undefined ? { reason: v.reason } : {}),
    })),
    auditAnnotations: (spec.auditAnnotations ?? []).map((a) => ({ key: a.key, value: compilePolicyExpression(a.valueExpression) })),
  };
  return { ...compiled, sync: allSync(compiled) };
}
