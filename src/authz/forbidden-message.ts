import type { AuthzAttributes } from './types.ts';

/** The text of upstream's forbidden responses (apiserver responsewriters.forbiddenMessage). */
export function forbiddenMessage(a: Readonly<AuthzAttributes>): string {
  const user = a.user.username;
  if (!a.isResourceRequest) return `User ${q(user)} cannot ${a.verb} path ${q(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (a.namespace) {
    return `User ${q(user)} cannot ${a.verb} resource ${q(resource)} in API group ${q(a.apiGroup)} in the namespace ${q(a.namespace)}`;
  }
  return `User ${q(user)} cannot ${a.verb} resource ${q(resource)} in API group ${q(a.apiGroup)} at the cluster scope`;
}

/** Go's %q for the strings we print. */
function q(s: string): string {
  return JSON.stringify(s);
}
