/**
 * A binding as the index keeps it: everything an allow reports (reason text, binding
 * reference) is computed once here, when the binding changes, not on every decision.
 */
import type { UserInfo } from '../../authn/types.ts';
import { describeSubject, q, subjectPrincipal } from './subjects.ts';
import type { BindingKind, BindingObject, RbacGrant, RoleRef, Subject } from './types.ts';

export interface IndexedBinding {
  /** The binding's number in the index (its place in the index's flat arrays). */
  id: number;
  kind: BindingKind;
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
  /** Per subject, the user or group it names (undefined: nobody), for reporting an allow. */
  principals: ({ user: string } | { group: string } | undefined)[];
  /** The referenced role's slot number; -1 for an unsupported roleRef kind. */
  slot: number;
  /** Per subject: `RBAC: allowed by <binding> of <role> to <subject>`. */
  reasons: string[];
  /**
   * The first subject and its reason again, kept in the binding itself: most allows report
   * the first subject, and reading them here spares two arrays (two cache misses) per allow.
   */
  subject0: Subject | undefined;
  reason0: string;
  /** Whether the first subject is reported whoever the user is (the binding has one subject). */
  single: boolean;
  ref: RbacGrant['binding'];
}

export function indexBinding(id: number, kind: BindingKind, obj: BindingObject, namespace: string, slot: number): IndexedBinding {
  const name = obj.metadata.name;
  const subjects = obj.subjects ?? [];
  const shown = kind === 'RoleBinding' ? `${name}/${namespace}` : name;
  const prefix = `RBAC: allowed by ${kind} ${q(shown)} of ${obj.roleRef.kind} ${q(obj.roleRef.name)} to `;
  const reasons = subjects.map((s) => prefix + describeSubject(s, namespace));
  return {
    id,
    kind,
    name,
    namespace,
    roleRef: obj.roleRef,
    subjects,
    principals: subjects.map((s) => subjectPrincipal(s, namespace)),
    slot,
    reasons,
    subject0: subjects[0],
    reason0: reasons[0] ?? '',
    single: subjects.length === 1,
    ref: kind === 'RoleBinding' ? { kind, name, namespace } : { kind, name },
  };
}

/**
 * Upstream reports the first subject of the binding that applies to the user. The binding was
 * reached through one of the user's principals, so one does.
 */
export function reportedSubject(b: IndexedBinding, user: UserInfo): number {
  if (b.single) return 0;
  const ps = b.principals;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (p !== undefined && ('user' in p ? p.user === user.username : user.groups.includes(p.group))) return i;
  }
  return 0;
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
