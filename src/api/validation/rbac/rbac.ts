/** rbac.authorization.k8s.io/v1 validation (pkg/apis/rbac/validation). Names are URL path segments. */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from 'kubernetes-types/rbac/v1.js';
import { GoValue, goQuote, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { goLabelSelector, nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, validatePathSegmentName } from '../meta.ts';
import { selectorFromMetav1 } from '../../selectors/label-selector.ts';

const GROUP = 'rbac.authorization.k8s.io';

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(p.child('verbs'), 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) errs.push(invalid(p.child('nonResourceURLs'), rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(p.child('nonResourceURLs'), rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(p.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(p.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(role: Role): FieldError[] {
  const errs = validateObjectMeta(role.metadata, { namespaced: true, nameFn: validatePathSegmentName });
  (role.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, true, path('rules').index(i))));
  return errs;
}

export function validateClusterRole(cr: ClusterRole): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, { namespaced: false, nameFn: validatePathSegmentName });
  (cr.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, false, path('rules').index(i))));
  if (cr.aggregationRule) {
    const sp = path('aggregationRule', 'clusterRoleSelectors');
    const sels = cr.aggregationRule.clusterRoleSelectors ?? [];
    if (sels.length === 0) errs.push(required(sp, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => {
      const before = errs.length;
      errs.push(...validateLabelSelector(s, sp.index(i)));
      if (errs.length === before) {
        try {
          selectorFromMetav1(s);
        } catch {
          errs.push(invalid(sp.index(i), goLabelSelector(s), 'invalid label selector.'));
        }
      }
    });
  }
  return errs;
}

function validateSubject(s: Subject, namespaced: boolean, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(p.child('name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of nameIsDNSSubdomain(s.name, false)) errs.push(invalid(p.child('name'), s.name, m));
      if (s.apiGroup) errs.push(notSupported(p.child('apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(p.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== GROUP) errs.push(notSupported(p.child('apiGroup'), s.apiGroup ?? '', [GROUP]));
      break;
    default:
      errs.push(notSupported(p.child('kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateRoleRef(ref: RoleRef | undefined, kinds: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const rp = path('roleRef');
  if (ref?.apiGroup !== GROUP) errs.push(notSupported(rp.child('apiGroup'), ref?.apiGroup ?? '', [GROUP]));
  if (!kinds.includes(ref?.kind ?? '')) errs.push(notSupported(rp.child('kind'), ref?.kind ?? '', kinds));
  if (!ref?.name) errs.push(required(rp.child('name')));
  else for (const m of validatePathSegmentName(ref.name, false)) errs.push(invalid(rp.child('name'), ref.name, m));
  return errs;
}

export function validateRoleBinding(rb: RoleBinding): FieldError[] {
  const errs = validateObjectMeta(rb.metadata, { namespaced: true, nameFn: validatePathSegmentName });
  errs.push(...validateRoleRef(rb.roleRef, ['Role', 'ClusterRole']));
  (rb.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, true, path('subjects').index(i))));
  return errs;
}

export function validateClusterRoleBinding(crb: ClusterRoleBinding): FieldError[] {
  const errs = validateObjectMeta(crb.metadata, { namespaced: false, nameFn: validatePathSegmentName });
  errs.push(...validateRoleRef(crb.roleRef, ['ClusterRole']));
  (crb.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, false, path('subjects').index(i))));
  return errs;
}

function goRoleRef(r: RoleRef | undefined): GoValue {
  return new GoValue(`rbac.RoleRef{APIGroup:${goQuote(r?.apiGroup ?? '')}, Kind:${goQuote(r?.kind ?? '')}, Name:${goQuote(r?.name ?? '')}}`);
}

/** A binding's roleRef is fixed: changing what a binding grants must be a delete and create. */
function roleRefUnchanged(n: RoleRef | undefined, o: RoleRef | undefined): FieldError[] {
  const same = (n?.apiGroup ?? '') === (o?.apiGroup ?? '') && (n?.kind ?? '') === (o?.kind ?? '') && (n?.name ?? '') === (o?.name ?? '');
  return same ? [] : [invalid(path('roleRef'), goRoleRef(n), 'cannot change roleRef')];
}

export function validateRoleBindingUpdate(rb: RoleBinding, old: RoleBinding): FieldError[] {
  const errs = validateObjectMetaUpdate(rb.metadata, old.metadata);
  errs.push(...validateRoleBinding(rb).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...roleRefUnchanged(rb.roleRef, old.roleRef));
  return errs;
}

export function validateClusterRoleBindingUpdate(crb: ClusterRoleBinding, old: ClusterRoleBinding): FieldError[] {
  const errs = validateObjectMetaUpdate(crb.metadata, old.metadata);
  errs.push(...validateClusterRoleBinding(crb).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...roleRefUnchanged(crb.roleRef, old.roleRef));
  return errs;
}
