/**
 * The `*.k8s.io` / `*.kubernetes.io` group protection (KEP-1111), as apiextensions' apihelpers:
 * a CRD in a group the Kubernetes community owns must say, in the api-approved.kubernetes.io
 * annotation, where its API was approved (a URL) or that it was not ("unapproved...").
 */
import type { CrdCondition } from './crd-status.ts';

export const API_APPROVED_ANNOTATION = 'api-approved.kubernetes.io';

const KEP = 'see https://github.com/kubernetes/enhancements/pull/1111';

export type ApprovalState = 'Approved' | 'Bypassed' | 'Missing' | 'Invalid';

export function isProtectedCommunityGroup(group: string): boolean {
  return group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
}

/** Go's url.ParseRequestURI followed by upstream's "has a scheme and a host" test. */
function isApprovalUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol.length > 1 && u.host !== '';
  } catch {
    return false;
  }
}

export function apiApprovalState(annotations: Record<string, string> | undefined): { state: ApprovalState; reason: string } {
  const a = annotations?.[API_APPROVED_ANNOTATION] ?? '';
  if (a === '') return { state: 'Missing', reason: `protected groups must have approval annotation "${API_APPROVED_ANNOTATION}", ${KEP}` };
  if (a.startsWith('unapproved')) return { state: 'Bypassed', reason: `not approved: ${JSON.stringify(a)}` };
  if (isApprovalUrl(a)) return { state: 'Approved', reason: `approved in ${a}` };
  return {
    state: 'Invalid',
    reason: `protected groups must have approval annotation "${API_APPROVED_ANNOTATION}" with either a URL or a reason starting with "unapproved", ${KEP}`,
  };
}

const CONDITION_REASON: Record<ApprovalState, string> = {
  Approved: 'ApprovedAnnotation',
  Bypassed: 'UnapprovedAnnotation',
  Missing: 'MissingAnnotation',
  Invalid: 'InvalidAnnotation',
};

/** The KubernetesAPIApprovalPolicyConformant condition (apiapproval controller); none outside protected groups. */
export function apiApprovalCondition(group: string, annotations: Record<string, string> | undefined, now: string): CrdCondition | undefined {
  if (!isProtectedCommunityGroup(group)) return undefined;
  const { state, reason } = apiApprovalState(annotations);
  return {
    type: 'KubernetesAPIApprovalPolicyConformant',
    status: state === 'Approved' ? 'True' : 'False',
    lastTransitionTime: now,
    reason: CONDITION_REASON[state],
    message: reason,
  };
}
