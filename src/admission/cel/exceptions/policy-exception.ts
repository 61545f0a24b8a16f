/**
 * PolicyException (policy.portcullis.dev/v1alpha1): which requests one ValidatingAdmissionPolicy
 * does not deny, until when, and who counts as exempted by it. Pure functions over the object, so
 * the admission plugin and the tests share one meaning.
 *
 * Scope: every field of spec.match given must hold (namespaces, names, objectSelector), and
 * spec.subjects when given. An exception whose expiresAt is past, unparsable or missing exempts
 * nothing (fail closed), as does one whose objectSelector does not parse.
 */
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import type { UserInfo } from '../../../authn/types.ts';
import type { AdmissionAttributes } from '../../types.ts';

export const EXCEPTION_GROUP = 'policy.portcullis.dev';
export const EXCEPTION_RESOURCE = 'policyexceptions';
/** The audit annotation recording an exempted denial: `exception.policy.portcullis.dev/<policy>` = exception names. */
export const EXCEPTION_ANNOTATION_PREFIX = 'exception.policy.portcullis.dev/';

export interface PolicyException {
  metadata?: { name?: string; uid?: string; generation?: number };
  spec?: {
    policyName?: string;
    reason?: string;
    expiresAt?: string;
    match?: { namespaces?: string[]; names?: string[]; objectSelector?: Record<string, unknown> };
    subjects?: { users?: string[]; groups?: string[] };
  };
}

const SERVICE_ACCOUNT = 'system:serviceaccount:';

/** Active at `now`: expiresAt parses and is after it. */
export function isActive(e: PolicyException, now: Date): boolean {
  const t = Date.parse(e.spec?.expiresAt ?? '');
  return Number.isFinite(t) && t > now.getTime();
}

const selectors = new WeakMap<PolicyException, LabelSelector | null>();
function objectSelector(e: PolicyException): LabelSelector | null {
  let s = selectors.get(e);
  if (s === undefined) {
    try {
      s = e.spec?.match?.objectSelector ? selectorFromMetav1(e.spec.match.objectSelector as never) : null;
    } catch {
      // A selector that does not parse selects nothing (the exception exempts nothing).
      s = selectorFromMetav1(undefined);
    }
    selectors.set(e, s);
  }
  return s;
}

function subjectsMatch(e: PolicyException, user: UserInfo): boolean {
  const s = e.spec?.subjects;
  if (!s || (!s.users?.length && !s.groups?.length)) return true;
  if (s.users?.includes(user.username)) return true;
  return (user.groups ?? []).some((g) => s.groups?.includes(g));
}

/** Whether the exception (active or not) covers this request to its policy. */
export function exceptionCovers(e: PolicyException, a: AdmissionAttributes): boolean {
  const m = e.spec?.match ?? {};
  if (m.namespaces?.length && !m.namespaces.includes(a.namespace)) return false;
  if (m.names?.length && !m.names.includes(a.name)) return false;
  const sel = objectSelector(e);
  if (sel && !sel.empty) {
    const labels = (o: Record<string, any> | undefined) => o?.metadata?.labels as Record<string, string> | undefined;
    if (!(a.object && sel.matches(labels(a.object))) && !(a.oldObject && sel.matches(labels(a.oldObject)))) return false;
  }
  return subjectsMatch(e, a.user);
}

/**
 * Whether `user` is among those the exception exempts, who may not create, change or delete it:
 * with subjects, the users and groups listed; without, everyone acting in its scope, which for a
 * principal is known only for service accounts (those of its namespaces, or any when it names
 * none). Other users are kept out of an exception without subjects by RBAC, the main gate.
 */
export function exemptsUser(e: PolicyException, user: UserInfo): boolean {
  const s = e.spec?.subjects;
  if (s && (s.users?.length || s.groups?.length)) return subjectsMatch(e, user);
  if (!user.username.startsWith(SERVICE_ACCOUNT)) return false;
  const ns = user.username.slice(SERVICE_ACCOUNT.length).split(':')[0] ?? '';
  const namespaces = e.spec?.match?.namespaces;
  return !namespaces?.length || namespaces.includes(ns);
}
