/** admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ...Binding validation (structure only; CEL is compiled elsewhere). */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { duplicate, invalid, notSupported, path, required, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta } from '../meta.ts';
import { validateRuleWithOperations } from './webhooks.ts';

const FAILURE_POLICIES = ['Fail', 'Ignore'];
const ACTIONS = ['Audit', 'Deny', 'Warn'];

export function validateValidatingAdmissionPolicy(vap: ValidatingAdmissionPolicy): FieldError[] {
  const errs = validateObjectMeta(vap.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = vap.spec ?? {};
  if (spec.failurePolicy !== undefined && !FAILURE_POLICIES.includes(spec.failurePolicy)) {
    errs.push(notSupported(sp.child('failurePolicy'), spec.failurePolicy, FAILURE_POLICIES));
  }
  const mc = spec.matchConstraints;
  if (!mc?.resourceRules?.length) errs.push(required(sp.child('matchConstraints', 'resourceRules')));
  (mc?.resourceRules ?? []).forEach((r, i) => errs.push(...validateRuleWithOperations(r, sp.child('matchConstraints', 'resourceRules').index(i))));
  if (mc) {
    errs.push(...validateLabelSelector(mc.namespaceSelector, sp.child('matchConstraints', 'namespaceSelector')));
    errs.push(...validateLabelSelector(mc.objectSelector, sp.child('matchConstraints', 'objectSelector')));
  }
  if (!spec.validations?.length && !spec.auditAnnotations?.length) {
    errs.push(required(sp.child('validations'), 'validations or auditAnnotations must contain at least one item'));
  }
  (spec.validations ?? []).forEach((v, i) => {
    if (!v.expression?.trim()) errs.push(required(sp.child('validations').index(i).child('expression')));
  });
  const vars = new Set<string>();
  (spec.variables ?? []).forEach((v, i) => {
    const vp = sp.child('variables').index(i);
    if (!v.name) errs.push(required(vp.child('name')));
    else if (vars.has(v.name)) errs.push(duplicate(vp.child('name'), v.name));
    vars.add(v.name);
    if (!v.expression?.trim()) errs.push(required(vp.child('expression')));
  });
  return errs;
}

export function validateValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): FieldError[] {
  const errs = validateObjectMeta(b.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = b.spec ?? {};
  if (!spec.policyName) errs.push(required(sp.child('policyName')));
  else for (const m of nameIsDNSSubdomain(spec.policyName, false)) errs.push(invalid(sp.child('policyName'), spec.policyName, m));
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
  const pr = spec.paramRef;
  if (pr) {
    const pp = sp.child('paramRef');
    if (pr.name && pr.selector) errs.push(invalid(pp.child('name'), pr.name, 'name and selector are mutually exclusive'));
    if (!pr.name && !pr.selector) errs.push(required(pp, 'one of name or selector must be specified'));
    if (!pr.parameterNotFoundAction) errs.push(required(pp.child('parameterNotFoundAction')));
    else if (!['Allow', 'Deny'].includes(pr.parameterNotFoundAction)) {
      errs.push(notSupported(pp.child('parameterNotFoundAction'), pr.parameterNotFoundAction, ['Deny', 'Allow']));
    }
  }
  return errs;
}
