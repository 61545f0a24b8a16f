/**
 * Who can VERB RESOURCE: the reverse of an RBAC check, computed from the RBAC objects with the
 * same per-rule matching the authorizer is tested against (rule-match.ts). Every (subject,
 * binding) pair that grants the request is listed once, with the first rule that allows it.
 */
import { GROUP_MASTERS } from './masters.ts';
import { apiGroupMatches, nonResourceURLMatches, resourceMatches, resourceNameMatches, verbMatches } from './rbac/rule-match.ts';
import type { BindingObject, PolicyRule, RoleObject, Subject } from './rbac/types.ts';

export interface RbacObjects {
  roles: readonly RoleObject[];
  clusterRoles: readonly RoleObject[];
  roleBindings: readonly BindingObject[];
  clusterRoleBindings: readonly BindingObject[];
}

export interface WhoCanQuery {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  /** '' asks about cluster-wide requests, which only ClusterRoleBindings grant. */
  namespace: string;
  name?: string;
  /** Set for a non-resource URL (e.g. /healthz); resource fields are then ignored. */
  nonResourceURL?: string;
}

export interface WhoCanEntry {
  subject: { kind: string; name: string; namespace?: string };
  binding: { kind: 'RoleBinding' | 'ClusterRoleBinding'; name: string; namespace?: string };
  role: { kind: string; name: string };
  rule: PolicyRule;
}

/** Members of this group are allowed everything before RBAC is asked; no binding names them. */
export const ALWAYS_ALLOWED_GROUP = GROUP_MASTERS;

export function whoCan(objects: RbacObjects, q: WhoCanQuery): WhoCanEntry[] {
  const allows = (rule: PolicyRule) => ruleAllowsQuery(rule, q);
  const clusterRoles = new Map(objects.clusterRoles.map((r) => [r.metadata.name, r]));
  const out: WhoCanEntry[] = [];
  const add = (b: BindingObject, kind: WhoCanEntry['binding']['kind'], role: RoleObject | undefined) => {
    const rule = (role?.rules ?? []).find(allows);
    if (!rule) return;
    const ns = b.metadata.namespace ?? '';
    const seen = new Set<string>();
    for (const s of b.subjects ?? []) {
      const subject = describe(s, ns);
      if (!subject) continue;
      const key = `${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ subject, binding: ns ? { kind, name: b.metadata.name, namespace: ns } : { kind, name: b.metadata.name }, role: { kind: b.roleRef.kind, name: b.roleRef.name }, rule });
    }
  };
  for (const b of byName(objects.clusterRoleBindings)) {
    if (b.roleRef.kind === 'ClusterRole') add(b, 'ClusterRoleBinding', clusterRoles.get(b.roleRef.name));
  }
  // Non-resource URLs and cluster-wide requests are granted cluster-wide only, as upstream RBAC.
  if (q.namespace && q.nonResourceURL === undefined) {
    const roles = new Map(objects.roles.filter((r) => r.metadata.namespace === q.namespace).map((r) => [r.metadata.name, r]));
    for (const b of byName(objects.roleBindings.filter((rb) => rb.metadata.namespace === q.namespace))) {
      const role = b.roleRef.kind === 'ClusterRole' ? clusterRoles.get(b.roleRef.name) : b.roleRef.kind === 'Role' ? roles.get(b.roleRef.name) : undefined;
      add(b, 'RoleBinding', role);
    }
  }
  return out;
}

export function ruleAllowsQuery(rule: PolicyRule, q: WhoCanQuery): boolean {
  if (!verbMatches(rule, q.verb)) return false;
  if (q.nonResourceURL !== undefined) return nonResourceURLMatches(rule, q.nonResourceURL);
  const combined = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  return apiGroupMatches(rule, q.group) && resourceMatches(rule, combined, q.subresource) && resourceNameMatches(rule, q.name ?? '');
}

/**
 * `pods`, `deployments.apps`, `pods/log`, `deployments.apps/scale` → group, resource, subresource
 * (kubectl's RESOURCE.GROUP form; no discovery, so short names are not expanded).
 */
export function parseResourceArg(arg: string): { group: string; resource: string; subresource: string } {
  const slash = arg.indexOf('/');
  const gr = slash < 0 ? arg : arg.slice(0, slash);
  const subresource = slash < 0 ? '' : arg.slice(slash + 1);
  const dot = gr.indexOf('.');
  const resource = dot < 0 ? gr : gr.slice(0, dot);
  const group = dot < 0 ? '' : gr.slice(dot + 1);
  if (!resource || (slash >= 0 && !subresource) || subresource.includes('/')) throw new Error(`invalid resource "${arg}" (want RESOURCE[.GROUP][/SUBRESOURCE])`);
  return { group, resource, subresource };
}

/** A ServiceAccount takes the binding's namespace; in a ClusterRoleBinding without one it names nobody. */
function describe(s: Subject, bindingNamespace: string): WhoCanEntry['subject'] | undefined {
  if (s.kind === 'User' || s.kind === 'Group') return { kind: s.kind, name: s.name };
  if (s.kind !== 'ServiceAccount') return undefined;
  const ns = s.namespace || bindingNamespace;
  return ns ? { kind: s.kind, name: s.name, namespace: ns } : undefined;
}

function byName<T extends { metadata: { name: string } }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}
