/**
 * RBAC objects as casbin policy for the model in policies/authz/rbac.conf. Casbin is the
 * specification: the index must decide exactly as casbin's enforce() does on the same objects
 * (casbin-agreement.test.ts). Casbin itself scans every line per request, so it is not used
 * to serve decisions.
 */
import { readFileSync } from 'node:fs';
import { newEnforceContext, newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import type { AuthzAttributes } from '../types.ts';
import { trimStars } from './rule-match.ts';
import { subjectPrincipal } from './subjects.ts';
import type { BindingObject, RoleObject } from './types.ts';

export const RBAC_MODEL_URL = new URL('../../../policies/authz/rbac.conf', import.meta.url);

export interface RbacObjects {
  roles: RoleObject[];
  clusterRoles: RoleObject[];
  roleBindings: BindingObject[];
  clusterRoleBindings: BindingObject[];
}

export interface CasbinPolicy {
  p: string[][];
  p2: string[][];
  g: string[][];
}

export function casbinPolicy(objs: RbacObjects): CasbinPolicy {
  const p = new LineSet();
  const p2 = new LineSet();
  const g = new LineSet();
  const addRules = (roleId: string, role: RoleObject) => {
    for (const rule of role.rules ?? []) {
      const names = (rule.resourceNames ?? []).length > 0 ? rule.resourceNames!.map((n) => `=${n}`) : ['*'];
      for (const verb of rule.verbs ?? []) {
        for (const group of rule.apiGroups ?? []) {
          for (const res of rule.resources ?? []) for (const n of names) p.add([roleId, verb, group, res, n]);
        }
        for (const url of rule.nonResourceURLs ?? []) p2.add([roleId, verb, url.endsWith('*') ? `^${trimStars(url)}` : `=${url}`]);
      }
    }
  };
  for (const r of objs.roles) addRules(`role:${r.metadata.namespace ?? ''}/${r.metadata.name}`, r);
  for (const r of objs.clusterRoles) addRules(`clusterrole:${r.metadata.name}`, r);
  const addBinding = (b: BindingObject, namespace: string) => {
    const ref = b.roleRef;
    const roleId = ref.kind === 'ClusterRole' ? `clusterrole:${ref.name}` : ref.kind === 'Role' ? `role:${namespace}/${ref.name}` : undefined;
    if (roleId === undefined) return;
    for (const s of b.subjects ?? []) {
      const pr = subjectPrincipal(s, namespace);
      if (pr === undefined) continue;
      g.add(['user' in pr ? `user:${pr.user}` : `group:${pr.group}`, roleId, namespace || '*']);
    }
  };
  for (const b of objs.roleBindings) addBinding(b, b.metadata.namespace ?? '');
  for (const b of objs.clusterRoleBindings) addBinding(b, '');
  return { p: p.lines, p2: p2.lines, g: g.lines };
}

/**
 * An enforcer holding the policy. Lines go straight into the model: casbin's addPolicy checks
 * for duplicates by scanning, which is quadratic at benchmark sizes (casbinPolicy dedupes).
 */
export async function newRbacEnforcer(objs: RbacObjects): Promise<Enforcer> {
  const e = await newEnforcer(newModelFromString(readFileSync(RBAC_MODEL_URL, 'utf8')));
  await e.addFunction('startsWith', (a: unknown, b: unknown) => String(a).startsWith(String(b)));
  const policy = casbinPolicy(objs);
  const model = e.getModel().model;
  model.get('p')!.get('p')!.policy.push(...policy.p);
  model.get('p')!.get('p2')!.policy.push(...policy.p2);
  model.get('g')!.get('g')!.policy.push(...policy.g);
  await e.buildRoleLinks();
  return e;
}

const NON_RESOURCE = newEnforceContext('2');

/** casbin's decision: allowed when the user or any of its groups is. */
export function casbinAllows(e: Enforcer, a: Readonly<AuthzAttributes>): boolean {
  const principals = [`user:${a.user.username}`, ...a.user.groups.map((g) => `group:${g}`)];
  for (const sub of principals) {
    const ok = a.isResourceRequest
      ? e.enforceSync(sub, a.namespace, a.verb, a.apiGroup, a.resource, a.subresource, a.name)
      : e.enforceSync(NON_RESOURCE, sub, a.verb, a.path);
    if (ok) return true;
  }
  return false;
}

class LineSet {
  readonly lines: string[][] = [];
  readonly #seen = new Set<string>();
  add(line: string[]): void {
    const k = line.join('\u0000');
    if (this.#seen.has(k)) return;
    this.#seen.add(k);
    this.lines.push(line);
  }
}
