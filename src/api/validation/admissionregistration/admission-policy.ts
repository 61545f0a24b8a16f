/**
 * admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ...Binding validation, and the
 * parts MutatingAdmissionPolicy shares with it (matchConstraints, matchConditions, variables,
 * paramKind, paramRef). Every CEL expression is compiled in the admission policy environment and
 * one that does not compile (or has the wrong result type) is refused at its field, as upstream.
 */
import type { MatchResources, ParamRef, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicyExpression, type PolicyExpression } from '../../../admission/cel/policy-env.ts';
import { duplicate, forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta } from '../meta.ts';
import { validateRuleWithOperations } from './webhooks.ts';

export const FAILURE_POLICIES = ['Fail', 'Ignore'];
const ACTIONS = ['Audit', 'Deny', 'Warn'];
const REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge', 'Unauthorized'];
const MAX_MATCH_CONDITIONS = 64;
const CEL_IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** A compiled expression's error as upstream's field error: Invalid with the expression as the value. */
export function celError(p: Path, c: PolicyExpression): FieldError[] {
  return c.error === undefined ? [] : [invalid(p, c.expression, c.error)];
}

function expression(p: Path, expr: string | undefined, want?: 'bool' | 'string', detail = ''): FieldError[] {
  if (!expr?.trim()) return [required(p, detail)];
  return celError(p, compilePolicyExpression(expr, want));
}

export function validateMatchResources(mc: MatchResources | undefined, p: Path, rulesRequired: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (rulesRequired && !mc?.resourceRules?.length) errs.push(required(p.child('resourceRules')));
  (mc?.resourceRules ?? []).forEach((r, i) => errs.push(...validateRuleWithOperations(r, p.child('resourceRules').index(i))));
  (mc?.excludeResourceRules ?? []).forEach((r, i) => errs.push(...validateRuleWithOperations(r, p.child('excludeResourceRules').index(i))));
  if (mc) {
    errs.push(...validateLabelSelector(mc.namespaceSelector, p.child('namespaceSelector')));
    errs.push(...validateLabelSelector(mc.objectSelector, p.child('objectSelector')));
  }
  return errs;
}

/** The spec fields every admission policy has. */
export interface PolicySpecCommon {
  failurePolicy?: string;
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: MatchResources;
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
}

export function validatePolicySpecCommon(spec: PolicySpecCommon, sp: Path, failurePolicyRequired: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.failurePolicy === undefined) {
    if (failurePolicyRequired) errs.push(required(sp.child('failurePolicy')));
  } else if (!FAILURE_POLICIES.includes(spec.failurePolicy)) errs.push(notSupported(sp.child('failurePolicy'), spec.failurePolicy, FAILURE_POLICIES));
  if (spec.paramKind) {
    const pp = sp.child('paramKind');
    if (!spec.paramKind.apiVersion) errs.push(required(pp.child('apiVersion')));
    else if (spec.paramKind.apiVersion.split('/').length > 2) errs.push(invalid(pp.child('apiVersion'), spec.paramKind.apiVersion, 'unexpected GroupVersion string: ' + spec.paramKind.apiVersion));
    if (!spec.paramKind.kind) errs.push(required(pp.child('kind')));
  }
  if (!spec.matchConstraints) errs.push(required(sp.child('matchConstraints')));
  else errs.push(...validateMatchResources(spec.matchConstraints, sp.child('matchConstraints'), true));
  const conditions = spec.matchConditions ?? [];
  if (conditions.length > MAX_MATCH_CONDITIONS) errs.push(invalid(sp.child('matchConditions'), conditions.length, `must have ${MAX_MATCH_CONDITIONS} or fewer items`));
  const names = new Set<string>();
  conditions.forEach((mc, i) => {
    const mp = sp.child('matchConditions').index(i);
    if (!mc.name) errs.push(required(mp.child('name')));
    else if (names.has(mc.name)) errs.push(duplicate(mp.child('name'), mc.name));
    names.add(mc.name);
    errs.push(...expression(mp.child('expression'), mc.expression, 'bool'));
  });
  const vars = new Set<string>();
  (spec.variables ?? []).forEach((v, i) => {
    const vp = sp.child('variables').index(i);
    if (!v.name?.trim()) errs.push(required(vp.child('name'), 'name is not specified'));
    else if (!CEL_IDENT.test(v.name) || CEL_RESERVED.has(v.name)) errs.push(invalid(vp.child('name'), v.name, 'name is not a valid CEL identifier'));
    else if (vars.has(v.name)) errs.push(duplicate(vp.child('name'), v.name));
    vars.add(v.name);
    errs.push(...expression(vp.child('expression'), v.expression, undefined, 'expression is not specified'));
  });
  return errs;
}

export function validateValidatingAdmissionPolicy(vap: ValidatingAdmissionPolicy): FieldError[] {
  const errs = validateObjectMeta(vap.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = vap.spec ?? {};
  errs.push(...validatePolicySpecCommon(spec, sp, false));
  if (!spec.validations?.length && !spec.auditAnnotations?.length) {
    errs.push(required(sp.child('validations'), 'validations or auditAnnotations must contain at least one item'));
  }
  (spec.validations ?? []).forEach((v, i) => {
    const vp = sp.child('validations').index(i);
    errs.push(...expression(vp.child('expression'), v.expression, 'bool', 'expression is not specified'));
    if (v.messageExpression !== undefined && v.messageExpression.length > 0) {
      if (!v.messageExpression.trim()) errs.push(invalid(vp.child('messageExpression'), v.messageExpression, 'must be non-empty if specified'));
      else errs.push(...expression(vp.child('messageExpression'), v.messageExpression, 'string'));
    }
    if (v.message !== undefined && v.message.length > 0 && !v.message.trim()) errs.push(invalid(vp.child('message'), v.message, 'message must be non-empty if specified'));
    else if (v.message && /[\n\r]/.test(v.message.trim())) errs.push(invalid(vp.child('message'), v.message, 'message must not contain line breaks'));
    if (v.reason !== undefined && !REASONS.includes(v.reason)) errs.push(notSupported(vp.child('reason'), v.reason, REASONS));
  });
  (spec.auditAnnotations ?? []).forEach((a, i) => {
    const ap = sp.child('auditAnnotations').index(i);
    errs.push(...expression(ap.child('valueExpression'), a.valueExpression, undefined, 'valueExpression is not specified'));
  });
  return errs;
}

export function validateParamRef(pr: ParamRef | undefined, pp: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!pr) return errs;
  if (pr.name && pr.selector) {
    errs.push(forbidden(pp.child('name'), 'name and selector are mutually exclusive'));
    errs.push(forbidden(pp.child('selector'), 'name and selector are mutually exclusive'));
  }
  if (pr.selector) errs.push(...validateLabelSelector(pr.selector, pp.child('selector')));
  if (!pr.name && !pr.selector) errs.push(required(pp, 'one of name or selector must be specified'));
  if (!pr.parameterNotFoundAction) errs.push(required(pp.child('parameterNotFoundAction')));
  else if (!['Allow', 'Deny'].includes(pr.parameterNotFoundAction)) {
    errs.push(notSupported(pp.child('parameterNotFoundAction'), pr.parameterNotFoundAction, ['Deny', 'Allow']));
  }
  return errs;
}

export function validatePolicyName(name: string | undefined, p: Path): FieldError[] {
  if (!name) return [required(p)];
  return nameIsDNSSubdomain(name, false).map((m) => invalid(p, name, m));
}

export function validateValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): FieldError[] {
  const errs = validateObjectMeta(b.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = b.spec ?? {};
  errs.push(...validatePolicyName(spec.policyName, sp.child('policyName')));
  const actions = spec.validationActions ?? [];
  if (actions.length === 0) errs.push(required(sp.child('validationActions')));
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    const ap = sp.child('validationActions').index(i);
    if (!ACTIONS.includes(a)) errs.push(notSupported(ap, a, ACTIONS));
    if (seen.has(a)) errs.push(duplicate(ap, a));
    seen.add(a);
  });
  // Deny already warns the client; pairing them would double-report.
  if (seen.has('Deny') && seen.has('Warn')) errs.push(invalid(sp.child('validationActions'), actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  errs.push(...validateParamRef(spec.paramRef, sp.child('paramRef')));
  if (spec.matchResources) errs.push(...validateMatchResources(spec.matchResources, sp.child('matchResources'), false));
  return errs;
}
