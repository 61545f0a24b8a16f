/**
 * --authorization-mode=ABAC: the policy file read once at start, matched as upstream's
 * pkg/auth/authorizer/abac matches(). ABAC never denies: no matching policy is no opinion.
 */
import type { UserInfo } from '../authn/types.ts';
import { loadAbacPolicyFile, type AbacPolicySpec } from './abac-policy.ts';
import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';

export class AbacAuthorizer implements Authorizer {
  readonly name = 'ABAC';
  readonly policies: readonly AbacPolicySpec[];

  constructor(policies: readonly AbacPolicySpec[]) {
    this.policies = policies;
  }

  /** Throws an AbacPolicyError naming the file and line when a line is malformed. */
  static fromFile(path: string): AbacAuthorizer {
    return new AbacAuthorizer(loadAbacPolicyFile(path));
  }

  async authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    for (const p of this.policies) if (abacMatches(p, a)) return { decision: 'allow', reason: '' };
    return { decision: 'no-opinion', reason: 'No policy matched.' };
  }
}

export function abacMatches(p: AbacPolicySpec, a: Readonly<AuthzAttributes>): boolean {
  if (!subjectMatches(p, a.user) || !verbMatches(p, a.verb)) return false;
  // Resource and non-resource requests are exclusive: at most one of these can hold.
  return resourceMatches(p, a) || nonResourceMatches(p, a);
}

/** A set user must match and a set group must be one of the user's; with neither set, nothing matches. */
function subjectMatches(p: AbacPolicySpec, user: UserInfo): boolean {
  let matched = false;
  if (p.user !== '') {
    if (p.user !== '*' && p.user !== user.username) return false;
    matched = true;
  }
  if (p.group !== '') {
    if (p.group !== '*' && !user.groups.includes(p.group)) return false;
    matched = true;
  }
  return matched;
}

/** Upstream's IsReadOnly: only get, list and watch pass a readonly policy. */
function verbMatches(p: AbacPolicySpec, verb: string): boolean {
  return !p.readonly || verb === 'get' || verb === 'list' || verb === 'watch';
}

function resourceMatches(p: AbacPolicySpec, a: Readonly<AuthzAttributes>): boolean {
  if (!a.isResourceRequest) return false;
  return (p.namespace === '*' || p.namespace === a.namespace) && (p.resource === '*' || p.resource === a.resource) && (p.apiGroup === '*' || p.apiGroup === a.apiGroup);
}

function nonResourceMatches(p: AbacPolicySpec, a: Readonly<AuthzAttributes>): boolean {
  if (a.isResourceRequest) return false;
  const np = p.nonResourcePath;
  if (np === '*' || np === a.path) return true;
  return np.endsWith('*') && a.path.startsWith(np.replace(/\*+$/, ''));
}
