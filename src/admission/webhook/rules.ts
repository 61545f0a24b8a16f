/**
 * Which requests a webhook's rules select, as upstream's admission/plugin/webhook/predicates/rules
 * Matcher, and the configuration objects no webhook may ever see (lockout protection).
 */
import type { AdmissionAttributes } from '../types.ts';
import type { RuleWithOperations } from './types.ts';

const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));

function scopeMatches(scope: string | undefined, a: AdmissionAttributes): boolean {
  const isNamespaceObject = a.resource.group === '' && a.resource.resource === 'namespaces';
  // Namespace objects are cluster-scoped even though upstream gives their requests a namespace.
  if (scope === 'Namespaced') return !isNamespaceObject && a.namespace !== '';
  if (scope === 'Cluster') return isNamespaceObject || a.namespace === '';
  return true; // "*" or unset
}

/** "pods" is the main resource only, "pods/*" the resource and all its subresources, "*\/*" everything. */
function resourceMatches(resources: string[] | undefined, a: AdmissionAttributes): boolean {
  if (!resources) return false;
  // Indexed: every admission policy and webhook of every request comes here (no iterator per call).
  for (let i = 0; i < resources.length; i++) {
    const entry = resources[i]!;
    const slash = entry.indexOf('/');
    const res = slash < 0 ? entry : entry.slice(0, slash);
    const sub = slash < 0 ? '' : entry.slice(slash + 1);
    if ((res === '*' || res === a.resource.resource) && (sub === '*' || sub === a.subresource)) return true;
  }
  return false;
}

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  return (
    scopeMatches(rule.scope, a) &&
    has(rule.operations, a.operation) &&
    has(rule.apiGroups, a.resource.group) &&
    has(rule.apiVersions, a.resource.version) &&
    resourceMatches(rule.resources, a)
  );
}

const EXEMPT = new Set([
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
]);

/**
 * Webhooks never intercept the objects that configure admission itself: a broken webhook could
 * otherwise block its own removal and lock the cluster out (upstream's
 * IsExemptAdmissionConfigurationResource).
 */
export function isExemptAdmissionConfigurationResource(a: AdmissionAttributes): boolean {
  return a.resource.group === 'admissionregistration.k8s.io' && EXEMPT.has(a.resource.resource);
}
