/**
 * CertificateSigningRequest's registry strategy (upstream pkg/registry/certificates/certificates
 * strategy.go). Approvers and signers trust spec.username, groups, uid and extra to say who asked
 * for the certificate, so they come from the authenticated requester, never from the body; and
 * each endpoint may change only its own part: the object itself nothing but metadata, /approval
 * the conditions, /status the certificate and the conditions other than Approved and Denied.
 */
import type { UserInfo } from '../../authn/types.ts';
import { rfc3339 } from '../../api/time.ts';
import type { K8sObject } from './objects.ts';

type Condition = Record<string, any>;

export function isCsr(def: { group: string; kind: string }): boolean {
  return def.group === 'certificates.k8s.io' && def.kind === 'CertificateSigningRequest';
}

/** PrepareForCreate: the requester's identity, and no status (no pre-approved requests). */
export function prepareCsrForCreate(obj: K8sObject, user: UserInfo | undefined): void {
  const spec = (obj.spec ??= {});
  delete spec.username;
  delete spec.uid;
  delete spec.groups;
  delete spec.extra;
  if (user) {
    if (user.username) spec.username = user.username;
    if (user.uid) spec.uid = user.uid;
    if (user.groups.length > 0) spec.groups = [...user.groups];
    if (user.extra && Object.keys(user.extra).length > 0) {
      spec.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
    }
  }
  delete obj.status;
}

/**
 * PrepareForUpdate of the three strategies. `next` is the generic result (status from the stored
 * object on the main resource, everything but status from it on /status); `sent` is what the
 * client sent.
 */
export function prepareCsrForUpdate(next: K8sObject, sent: K8sObject, old: K8sObject, subresource: string, now: () => Date): void {
  next.spec = old.spec;
  if (subresource === 'approval') {
    const conditions = conditionsOf(sent);
    populateConditionTimestamps(conditions, old, now);
    next.status = { ...(old.status ?? {}) };
    if (conditions.length > 0) next.status.conditions = conditions;
    else delete next.status.conditions;
  } else if (subresource === 'status') {
    const conditions = conditionsOf(next);
    preserveConditionInstances(conditions, old, 'Approved');
    preserveConditionInstances(conditions, old, 'Denied');
    populateConditionTimestamps(conditions, old, now);
  }
}

function conditionsOf(o: K8sObject | undefined): Condition[] {
  return Array.isArray(o?.status?.conditions) ? o.status.conditions : [];
}

/**
 * /status may not touch Approved or Denied: instances present before and after keep their stored
 * values; a change in their number is left for validation to refuse.
 */
function preserveConditionInstances(conditions: Condition[], old: K8sObject, type: string): void {
  const oldConds = conditionsOf(old);
  const oldIdx = oldConds.flatMap((c, i) => (c?.type === type ? [i] : []));
  const newIdx = conditions.flatMap((c, i) => (c?.type === type ? [i] : []));
  if (oldIdx.length !== newIdx.length) return;
  newIdx.forEach((ni, k) => {
    conditions[ni] = oldConds[oldIdx[k]!]!;
  });
}

/** Missing lastUpdateTime is now; missing lastTransitionTime is the stored one for the same type and status, else now. */
function populateConditionTimestamps(conditions: Condition[], old: K8sObject, now: () => Date): void {
  const ts = rfc3339(now());
  for (const c of conditions) {
    if (!c || typeof c !== 'object') continue;
    if (!c.lastUpdateTime) c.lastUpdateTime = ts;
    if (!c.lastTransitionTime) {
      const same = conditionsOf(old).find((o) => o?.type === c.type && o?.status === c.status && o?.lastTransitionTime);
      c.lastTransitionTime = same ? same.lastTransitionTime : ts;
    }
  }
}
