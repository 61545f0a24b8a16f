/**
 * Which level a request is audited at: k8s.io/apiserver/pkg/audit/policy/checker.go. The first
 * rule that matches wins; no match is level None. Policy-level omitStages are added to every
 * rule's; a rule's omitManagedFields, when set, overrides the policy's.
 */
import type { UserInfo } from '../authn/types.ts';
import type { Policy, PolicyRule, RequestAuditConfig } from './types.ts';

/** The request attributes the policy looks at (authorization's, with the user possibly unknown). */
export interface AuditAttributes {
  /** Undefined when authentication failed. */
  user?: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  path: string;
  apiGroup: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export class PolicyChecker {
  readonly #rules: readonly PolicyRule[];
  /** What each rule decides, built once: evaluate hands out these (frozen, shared) objects. */
  readonly #configs: readonly RequestAuditConfig[];
  readonly #default: RequestAuditConfig;

  constructor(policy: Policy) {
    const policyOmit = policy.omitStages ?? [];
    const policyOmitManagedFields = policy.omitManagedFields ?? false;
    this.#rules = policy.rules;
    this.#configs = policy.rules.map((r, rule) => Object.freeze({ level: r.level, omitStages: Object.freeze([...new Set([...policyOmit, ...(r.omitStages ?? [])])]), omitManagedFields: r.omitManagedFields ?? policyOmitManagedFields, rule }));
    this.#default = Object.freeze({ level: 'None', omitStages: Object.freeze([...policyOmit]), omitManagedFields: policyOmitManagedFields, rule: -1 });
  }

  evaluate(a: AuditAttributes): RequestAuditConfig {
    for (let i = 0; i < this.#rules.length; i++) {
      if (ruleMatches(this.#rules[i]!, a)) return this.#configs[i]!;
    }
    return this.#default;
  }
}

export function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users?.length) {
    if (!a.user || !r.users.includes(a.user.username)) return false;
  }
  if (r.userGroups?.length) {
    if (!a.user || !a.user.groups.some((g) => r.userGroups!.includes(g))) return false;
  }
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return ruleMatchesResource(r, a);
  if (r.nonResourceURLs?.length) return ruleMatchesNonResource(r, a);
  return true;
}

function ruleMatchesNonResource(r: PolicyRule, a: AuditAttributes): boolean {
  if (a.isResourceRequest) return false;
  return r.nonResourceURLs!.some((spec) => pathMatches(a.path, spec));
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function ruleMatchesResource(r: PolicyRule, a: AuditAttributes): boolean {
  if (!a.isResourceRequest) return false;
  // Cluster-scoped resources have the empty namespace.
  if (r.namespaces?.length && !r.namespaces.includes(a.namespace)) return false;
  if (!r.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if ((gr.group ?? '') !== a.apiGroup) continue;
    if (!gr.resources?.length) return true;
    for (const res of gr.resources) {
      if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name)) continue;
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && a.subresource === res.slice(2)) return true;
      if (res.endsWith('/*') && a.resource === res.slice(0, -2)) return true;
    }
  }
  return false;
}
