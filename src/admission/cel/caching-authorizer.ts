/**
 * The authorizer of one admission request's policy checks (upstream's admission CachingAuthorizer):
 * the same check asked by many bindings, or many times in a comprehension, is decided once. It
 * lives as long as the request, so a decision is never reused after RBAC changes.
 */
import type { Authorizer, AuthzAttributes, AuthzResult } from '../../authz/types.ts';

export function cachingAuthorizer(inner: Authorizer): Authorizer {
  const decided = new Map<string, Promise<AuthzResult>>();
  return {
    name: inner.name,
    authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
      const key = JSON.stringify(a);
      let r = decided.get(key);
      if (!r) decided.set(key, (r = inner.authorize(a)));
      return r;
    },
  };
}
