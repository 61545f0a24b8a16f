/**
 * A MutatingAdmissionPolicy compiled for evaluation, once per generation (upstream's
 * compilePolicy): matchConditions and variables in the admission policy environment, each
 * mutation in the mutation environment with its patch type. It has the shape of a compiled
 * ValidatingAdmissionPolicy (no validations) so the shared evaluation runs its expressions and
 * variables.
 */
import { allSync, compilePolicyBase, type CompiledPolicy, type PolicySpecBase } from '../compile-policy.ts';
import type { PolicyExpression } from '../policy-env.ts';
import { compileMutationExpression, type PatchType } from './mutation-env.ts';

/** The v1beta1 (and v1alpha1) MutatingAdmissionPolicy, as far as it is read here. */
export interface MutatingAdmissionPolicy {
  metadata?: { name?: string; uid?: string; generation?: number };
  spec?: {
    paramKind?: { apiVersion?: string; kind?: string };
    matchConstraints?: Record<string, any>;
    variables?: { name: string; expression: string }[];
    mutations?: { patchType?: string; applyConfiguration?: { expression?: string }; jsonPatch?: { expression?: string } }[];
    failurePolicy?: string;
    matchConditions?: { name: string; expression: string }[];
    reinvocationPolicy?: string;
  };
}

export interface CompiledMutation {
  patchType: PatchType;
  expression: PolicyExpression;
}

export interface CompiledMutatingPolicy extends CompiledPolicy {
  mutations: CompiledMutation[];
  reinvokeIfNeeded: boolean;
}

export function compileMutatingPolicy(p: MutatingAdmissionPolicy): CompiledMutatingPolicy {
  const spec = p.spec ?? {};
  const mutations: CompiledMutation[] = [];
  for (const m of spec.mutations ?? []) {
    const patchType = m.patchType === 'JSONPatch' ? 'JSONPatch' : 'ApplyConfiguration';
    const expression = (patchType === 'JSONPatch' ? m.jsonPatch?.expression : m.applyConfiguration?.expression) ?? '';
    mutations.push({ patchType, expression: compileMutationExpression(expression, patchType) });
  }
  const base = { ...compilePolicyBase(p.metadata, spec as PolicySpecBase), validations: [], auditAnnotations: [] };
  return { ...base, sync: allSync(base, mutations.map((m) => m.expression)), mutations, reinvokeIfNeeded: spec.reinvocationPolicy === 'IfNeeded' };
}
