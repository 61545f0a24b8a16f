/**
 * Upstream's per-rule matching (pkg/apis/rbac/v1/evaluation_helpers.go, RuleAllows in
 * plugin/pkg/auth/authorizer/rbac/rbac.go). The index answers the same question without
 * scanning; this linear form is the reference it is tested against.
 */
import type { AuthzAttributes } from '../types.ts';
import type { PolicyRule } from './types.ts';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

/**
 * `*` matches everything (subresources too); otherwise the combined `resource/subresource`
 * must match exactly, or the rule names `*\/subresource`. `pods/*` is not a wildcard upstream:
 * it only matches a subresource literally named `*`.
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** An empty list allows every name (including none); otherwise the request must name one of them. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** Exact, or a prefix when the rule URL ends in `*` (every trailing `*` is trimmed). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => urlMatches(u, path));
}

export function urlMatches(ruleURL: string, path: string): boolean {
  if (ruleURL === '*' || ruleURL === path) return true;
  return ruleURL.endsWith('*') && path.startsWith(trimStars(ruleURL));
}

export function trimStars(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '*') end--;
  return s.slice(0, end);
}

export function ruleAllows(a: Readonly<AuthzAttributes>, rule: PolicyRule): boolean {
  if (a.isResourceRequest) {
    const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, combined, a.subresource) && resourceNameMatches(rule, a.name);
  }
  return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
}
