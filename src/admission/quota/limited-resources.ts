/**
 * The ResourceQuota admission configuration's limitedResources (upstream's
 * resourcequota.admission.k8s.io Configuration, checked in CheckRequest): resources or scopes an
 * object may use only in a namespace where a quota covers them. Its common use is limiting the
 * critical PriorityClasses: with `{resource: pods, matchScopes: [{scopeName: PriorityClass,
 * operator: In, values: [system-node-critical, system-cluster-critical]}]}` a pod naming one is
 * refused unless a ResourceQuota of its namespace has a PriorityClass scope that matches it.
 */
import type { AdmissionAttributes } from '../types.ts';
import { quotaMatches, quotaScopeSelectors, type Evaluator, type ScopeSelector } from './evaluators.ts';
import type { QuotaState } from './check-request.ts';
import { resourceListFrom } from './resource-list.ts';
import { cmpQty, qtyFromInt } from '../../api/quantity.ts';

export interface LimitedResource {
  /** The API group of the resource ('' for core). */
  apiGroup: string;
  /** The resource (pods, persistentvolumeclaims, ...). */
  resource: string;
  /** Quota resource names containing one of these, when the object uses them, need a covering quota. */
  matchContains: string[];
  /** Scopes the object may fall under only with a quota of a matching scope. */
  matchScopes: ScopeSelector[];
}

/** Go's %v of []ScopedResourceSelectorRequirement: [{PriorityClass In [a b]}]. */
function goScopes(scopes: ScopeSelector[]): string {
  return `[${scopes.map((s) => `{${s.scopeName} ${s.operator} [${(s.values ?? []).join(' ')}]}`).join(' ')}]`;
}

/**
 * Why the request is refused for want of a covering quota, undefined when nothing limited is
 * uncovered. `quotas` are all of the namespace's (none is fine: then everything limited is uncovered).
 */
export function uncoveredLimits(limited: LimitedResource[], quotas: QuotaState[], a: AdmissionAttributes, ev: Evaluator, now: Date): { code: number; reason: string } | undefined {
  if (limited.length === 0) return undefined;
  const obj = a.object as Record<string, any>;
  // getMatchedLimitedScopes: every entry's scopes (the evaluator matches only its own kind's).
  const limitedScopes = limited.flatMap((l) => l.matchScopes.filter((s) => ev.matchesScope(s, obj)));
  const ours = limited.filter((l) => l.apiGroup === a.resource.group && l.resource === a.resource.resource);
  let limitedNames: string[] = [];
  if (ours.length > 0) {
    const usage = ev.usage(obj, now);
    const used = Object.keys(usage).filter((k) => cmpQty(usage[k]!, qtyFromInt(0)) > 0);
    limitedNames = [...new Set(ours.flatMap((l) => used.filter((k) => l.matchContains.some((m) => k.includes(m)))))];
  }
  const restrictedScopes: ScopeSelector[] = [];
  const restricted = new Set<string>();
  for (const q of quotas) {
    restrictedScopes.push(...quotaScopeSelectors(q.value).filter((s) => ev.matchesScope(s, obj)));
    const hardNames = Object.keys(resourceListFrom(q.value.status?.hard));
    if (quotaMatches(ev, q.value, obj, hardNames)) for (const r of ev.matchingResources(hardNames)) restricted.add(r);
  }
  const noCovering = limitedNames.filter((n) => !restricted.has(n)).sort();
  // Forbidden, as upstream's admission.NewForbidden.
  if (noCovering.length > 0) return { code: 403, reason: `insufficient quota to consume: ${noCovering.join(',')}` };
  const uncovered = limitedScopes.filter((l) => !restrictedScopes.some((r) => r.scopeName === l.scopeName));
  // Upstream returns this one as a plain error, which the API answers with 500.
  if (uncovered.length > 0) return { code: 500, reason: `insufficient quota to match these scopes: ${goScopes(uncovered)}` };
  return undefined;
}
