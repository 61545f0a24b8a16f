/** Who a binding's subject is (upstream appliesTo / describeSubject in pkg/registry/rbac/validation/rule.go). */
import type { UserInfo } from '../../authn/types.ts';
import type { Subject } from './types.ts';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * The principal a subject names: a user name or a group name. A ServiceAccount's namespace
 * defaults to the binding's; in a ClusterRoleBinding there is no default, so a
 * ServiceAccount subject without a namespace names nobody.
 */
export function subjectPrincipal(s: Subject, bindingNamespace: string): { user: string } | { group: string } | undefined {
  switch (s.kind) {
    case 'User':
      return { user: s.name };
    case 'Group':
      return { group: s.name };
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? { user: serviceAccountUsername(ns, s.name) } : undefined;
    }
    default:
      return undefined;
  }
}

export function subjectApplies(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  const p = subjectPrincipal(s, bindingNamespace);
  if (p === undefined) return false;
  return 'user' in p ? p.user === user.username : user.groups.includes(p.group);
}

/** `User "alice"`, `ServiceAccount "name/namespace"`, as upstream's describeSubject. */
export function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${q(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${q(s.name)}`;
}

/** Go's %q for ordinary strings. */
export function q(s: string): string {
  return JSON.stringify(s);
}
