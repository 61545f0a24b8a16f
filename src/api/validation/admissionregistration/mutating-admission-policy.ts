/**
 * admissionregistration.k8s.io MutatingAdmissionPolicy and ...Binding validation (upstream's
 * validateMutatingAdmissionPolicySpec, validateMutation and
 * validateMutatingAdmissionPolicyBindingSpec): what admission policies share
 * (admission-policy.ts), mutations with their patchType union and compiled expressions,
 * reinvocationPolicy, and no DELETE among the operations since a delete has no object to mutate.
 */
import type { MatchResources } from 'kubernetes-types/admissionregistration/v1.js';
import { compileMutationExpression, type PatchType } from '../../../admission/cel/mutating/mutation-env.ts';
import type { MutatingAdmissionPolicy } from '../../../admission/cel/mutating/compile-mutating-policy.ts';
import { invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';
import { celError, validateMatchResources, validateParamRef, validatePolicyName, validatePolicySpecCommon, type PolicySpecCommon } from './admission-policy.ts';

const MUTATING_OPERATIONS = ['*', 'CONNECT', 'CREATE', 'UPDATE'];
const PATCH_TYPES = ['ApplyConfiguration', 'JSONPatch'];
const REINVOCATION = ['IfNeeded', 'Never'];

/** Upstream reports these without an index, at resourceRules.operations. */
function mutableOperations(mc: MatchResources | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const r of mc?.resourceRules ?? []) {
    for (const op of r.operations ?? []) if (!MUTATING_OPERATIONS.includes(op)) errs.push(notSupported(p.child('resourceRules', 'operations'), op, MUTATING_OPERATIONS));
  }
  return errs;
}

type Mutation = NonNullable<NonNullable<MutatingAdmissionPolicy['spec']>['mutations']>[number];

function patchExpression(patchType: PatchType, expr: string | undefined, p: Path): FieldError[] {
  if (!expr?.trim()) return [required(p)];
  return celError(p, compileMutationExpression(expr, patchType));
}

function validateMutation(m: Mutation, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const ap = p.child('applyConfiguration');
  const jp = p.child('jsonPatch');
  if (!m.patchType) errs.push(required(p.child('patchType')));
  else if (m.patchType === 'JSONPatch') {
    if (!m.jsonPatch) errs.push(required(jp, 'must be specified when patchType is JSONPatch'));
    else errs.push(...patchExpression('JSONPatch', m.jsonPatch.expression, jp.child('expression')));
    if (m.applyConfiguration) errs.push(invalid(ap, '{applyConfiguration}', 'must not be specified when patchType is JSONPatch'));
  } else if (m.patchType === 'ApplyConfiguration') {
    if (!m.applyConfiguration) errs.push(required(ap, 'must be specified when patchType is ApplyConfiguration'));
    else errs.push(...patchExpression('ApplyConfiguration', m.applyConfiguration.expression, ap.child('expression')));
    if (m.jsonPatch) errs.push(invalid(jp, '{jsonPatch}', 'must not be specified when patchType is ApplyConfiguration'));
  } else errs.push(notSupported(p.child('patchType'), m.patchType, PATCH_TYPES));
  return errs;
}

export function validateMutatingAdmissionPolicy(p: MutatingAdmissionPolicy): FieldError[] {
  const errs = validateObjectMeta(p.metadata as never, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = p.spec ?? {};
  errs.push(...validatePolicySpecCommon(spec as PolicySpecCommon, sp, true));
  if (spec.matchConstraints) errs.push(...mutableOperations(spec.matchConstraints as MatchResources, sp.child('matchConstraints')));
  const mutations = spec.mutations ?? [];
  if (mutations.length === 0) errs.push(required(sp.child('mutations'), 'mutations must contain at least one item'));
  mutations.forEach((m, i) => errs.push(...validateMutation(m, sp.child('mutations').index(i))));
  if (!spec.reinvocationPolicy) errs.push(required(sp.child('reinvocationPolicy')));
  else if (!REINVOCATION.includes(spec.reinvocationPolicy)) errs.push(notSupported(sp.child('reinvocationPolicy'), spec.reinvocationPolicy, REINVOCATION));
  return errs;
}

interface MutatingBinding {
  metadata?: Record<string, unknown>;
  spec?: { policyName?: string; paramRef?: Parameters<typeof validateParamRef>[0]; matchResources?: MatchResources };
}

export function validateMutatingAdmissionPolicyBinding(b: MutatingBinding): FieldError[] {
  const errs = validateObjectMeta(b.metadata as never, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = b.spec ?? {};
  errs.push(...validatePolicyName(spec.policyName, sp.child('policyName')));
  errs.push(...validateParamRef(spec.paramRef, sp.child('paramRef')));
  if (spec.matchResources) {
    errs.push(...validateMatchResources(spec.matchResources, sp.child('matchResources'), false));
    errs.push(...mutableOperations(spec.matchResources, sp.child('matchResources')));
  }
  return errs;
}
