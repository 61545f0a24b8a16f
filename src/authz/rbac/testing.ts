/** Small builders shared by the RBAC tests and the benchmark. */
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import type { BindingObject, PolicyRule, RoleObject, RoleRef, Subject } from './types.ts';

export function role(name: string, rules: PolicyRule[], namespace?: string): RoleObject {
  return { metadata: namespace === undefined ? { name } : { name, namespace }, rules };
}

export function binding(name: string, roleRef: RoleRef, subjects: Subject[], namespace?: string): BindingObject {
  return { metadata: namespace === undefined ? { name } : { name, namespace }, roleRef, subjects };
}

export const user = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
export const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
export const serviceAccount = (name: string, namespace?: string): Subject =>
  namespace === undefined ? { kind: 'ServiceAccount', name } : { kind: 'ServiceAccount', name, namespace };
export const clusterRoleRef = (name: string): RoleRef => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
export const roleRef = (name: string): RoleRef => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });

export function resourceAttrs(u: UserInfo, verb: string, apiGroup: string, resource: string, opts: { namespace?: string; subresource?: string; name?: string } = {}): AuthzAttributes {
  return {
    user: u,
    verb,
    isResourceRequest: true,
    path: '',
    apiGroup,
    apiVersion: 'v1',
    namespace: opts.namespace ?? '',
    resource,
    subresource: opts.subresource ?? '',
    name: opts.name ?? '',
  };
}

export function pathAttrs(u: UserInfo, verb: string, path: string): AuthzAttributes {
  return { user: u, verb, isResourceRequest: false, path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}

/** mulberry32: a seeded generator, so a failing random case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
