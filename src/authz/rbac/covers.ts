/**
 * Whether one set of rules covers another (upstream pkg/registry/rbac/validation/policy_comparator.go
 * and policy_compact.go): the basis of escalation prevention.
 */
import type { PolicyRule } from './types.ts';
import { trimStars } from './rule-match.ts';

/** One rule per (group, resource, verb[, name]) and per (url, verb), as upstream's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (names.length > 0) for (const n of names) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

/** Whether `owner` grants at least everything `sub` does. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs ?? [];
  const groups = owner.apiGroups ?? [];
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const verbOk = verbs.includes('*') || hasAll(verbs, sub.verbs ?? []);
  const groupOk = groups.includes('*') || hasAll(groups, sub.apiGroups ?? []);
  const resourceOk = resourceCoversAll(owner.resources ?? [], sub.resources ?? []);
  const urlOk = (sub.nonResourceURLs ?? []).every((p) => (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, p)));
  const nameOk = subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbOk && groupOk && resourceOk && nameOk && urlOk;
}

/** Whether the owner rules cover every requested rule, and the broken-down rules they miss. */
export function covers(ownerRules: readonly PolicyRule[], requested: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const r of requested) {
    for (const sub of breakdownRule(r)) {
      if (!ownerRules.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

function hasAll(set: readonly string[], contains: readonly string[]): boolean {
  const owning = new Set(set);
  return contains.every((c) => owning.has(c));
}

function resourceCoversAll(set: readonly string[], wanted: readonly string[]): boolean {
  if (set.includes('*') || hasAll(set, wanted)) return true;
  for (const path of wanted) {
    if (set.includes(path)) continue;
    const slash = path.indexOf('/');
    if (slash === -1) return false;
    if (!set.includes(`*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLCovers(owner: string, sub: string): boolean {
  if (owner === sub) return true;
  return owner.endsWith('*') && sub.startsWith(trimStars(owner));
}

/**
 * Merges rules with one group, one resource, at most one name and nothing else that differ only
 * by verb (upstream CompactRules; made for the broken-down output of covers()).
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const key = simpleKey(r);
    if (key === undefined) {
      out.push(r);
      continue;
    }
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...(r.verbs ?? [])];
    else simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

function simpleKey(r: PolicyRule): string | undefined {
  const names = r.resourceNames ?? [];
  if (names.length > 1 || (r.nonResourceURLs ?? []).length > 0) return undefined;
  if ((r.apiGroups ?? []).length !== 1 || (r.resources ?? []).length !== 1) return undefined;
  return JSON.stringify([r.apiGroups![0], r.resources![0], names.length === 1, names[0] ?? '']);
}

/** `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`, as upstream's CompactString. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if ((r.apiGroups ?? []).length > 0) parts.push(`APIGroups:${goQuoteList(r.apiGroups!)}`);
  if ((r.resources ?? []).length > 0) parts.push(`Resources:${goQuoteList(r.resources!)}`);
  if ((r.nonResourceURLs ?? []).length > 0) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs!)}`);
  if ((r.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${goQuoteList(r.resourceNames!)}`);
  if ((r.verbs ?? []).length > 0) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuoteList(xs: readonly string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}
