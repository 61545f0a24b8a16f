/**
 * A binding as the index keeps it: everything an allow reports (reason text, binding
 * reference) is computed once here, when the binding changes, not on every decision.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { CompiledRules } from './compiled-rules.ts';
import { describeSubject, q, subjectApplies } from './subjects.ts';
import type { BindingKind, BindingObject, RbacGrant, RoleRef, Subject } from './types.ts';

/**
 * Where a role's compiled rules live. Bindings hold the slot itself, so a decision follows a
 * pointer instead of looking the role up; a slot outlives its role while bindings refer to it
 * (a role created later fills the same slot).
 */
export interface RoleSlot {
  rules: CompiledRules | undefined;
  refs: number;
}

export interface IndexedBinding {
  kind: BindingKind;
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
  /** The referenced role's slot; undefined for an unsupported roleRef kind. */
  slot: RoleSlot | undefined;
  /** Per subject: `RBAC: allowed by <binding> of <role> to <subject>`. */
  reasons: string[];
  ref: RbacGrant['binding'];
  /** The decision that last saw this binding: dedupes without allocating a set per decision. */
  mark: number;
}

/** A binding in one principal's list, with the position of the subject naming that principal. */
export interface Membership {
  binding: IndexedBinding;
  subjectIndex: number;
}

export function indexBinding(kind: BindingKind, obj: BindingObject, namespace: string, slot: RoleSlot | undefined): IndexedBinding {
  const name = obj.metadata.name;
  const subjects = obj.subjects ?? [];
  const shown = kind === 'RoleBinding' ? `${name}/${namespace}` : name;
  const prefix = `RBAC: allowed by ${kind} ${q(shown)} of ${obj.roleRef.kind} ${q(obj.roleRef.name)} to `;
  return {
    kind,
    name,
    namespace,
    roleRef: obj.roleRef,
    subjects,
    slot,
    reasons: subjects.map((s) => prefix + describeSubject(s, namespace)),
    ref: kind === 'RoleBinding' ? { kind, name, namespace } : { kind, name },
    mark: 0,
  };
}

/**
 * Upstream reports the first subject of the binding that applies to the user; the membership
 * names one that does, and only an earlier one could win instead.
 */
export function reportedSubject(m: Membership, user: UserInfo): number {
  const b = m.binding;
  for (let i = 0; i < m.subjectIndex; i++) if (subjectApplies(b.subjects[i]!, user, b.namespace)) return i;
  return m.subjectIndex;
}

/** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`; a RoleBinding is named "name/namespace". */
export function describeGrant(g: RbacGrant): string {
  const ns = g.binding.namespace ?? '';
  const name = g.binding.kind === 'RoleBinding' ? `${g.binding.name}/${ns}` : g.binding.name;
  return `${g.binding.kind} ${q(name)} of ${g.roleRef.kind} ${q(g.roleRef.name)} to ${describeSubject(g.subject, ns)}`;
}

export function notFoundMessage(b: IndexedBinding): string {
  if (b.roleRef.kind === 'ClusterRole') return `clusterrole.rbac.authorization.k8s.io ${q(b.roleRef.name)} not found`;
  if (b.roleRef.kind === 'Role') return `role.rbac.authorization.k8s.io ${q(b.roleRef.name)} not found`;
  return `unsupported role reference kind: ${q(b.roleRef.kind)}`;
}
