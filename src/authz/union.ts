import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';

/**
 * The first allow or deny wins; no opinion from everyone is a deny. An authorizer that throws
 * stops the chain with a deny carrying the error as evaluationError: an error without an explicit
 * allow must never become an allow, nor reach a later authorizer that might allow what the broken
 * one would have denied. (Upstream goes on to the next authorizer.)
 */
export class UnionAuthorizer implements Authorizer {
  readonly name = 'union';
  readonly #members: readonly Authorizer[];
  /** Present only when every member decides synchronously (see Authorizer.authorizeSync). */
  readonly authorizeSync?: (a: Readonly<AuthzAttributes>) => AuthzResult;

  constructor(members: readonly Authorizer[]) {
    this.#members = members;
    if (members.every((m) => typeof m.authorizeSync === 'function')) this.authorizeSync = (a) => this.#authorizeSync(a);
  }

  /** The authorizers in order (SelfSubjectRulesReview asks each that can list rules). */
  get members(): readonly Authorizer[] {
    return this.#members;
  }

  async authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    const reasons: string[] = [];
    for (const m of this.#members) {
      let r: AuthzResult;
      try {
        r = await m.authorize(a);
      } catch (err) {
        return failed(m, err);
      }
      if (r.decision !== 'no-opinion' || r.evaluationError) return decided(m, r);
      if (r.reason) reasons.push(r.reason);
    }
    return noneDecided(reasons);
  }

  /** authorize() without a promise: the same members in the same order, the same answers. */
  #authorizeSync(a: Readonly<AuthzAttributes>): AuthzResult {
    const reasons: string[] = [];
    for (const m of this.#members) {
      let r: AuthzResult;
      try {
        r = m.authorizeSync!(a);
      } catch (err) {
        return failed(m, err);
      }
      if (r.decision !== 'no-opinion' || r.evaluationError) return decided(m, r);
      if (r.reason) reasons.push(r.reason);
    }
    return noneDecided(reasons);
  }
}

function failed(m: Authorizer, err: unknown): AuthzResult {
  return { decision: 'deny', reason: '', authorizer: m.name, evaluationError: `${m.name}: ${(err as Error).message}` };
}

function decided(m: Authorizer, r: AuthzResult): AuthzResult {
  return { ...r, decision: r.decision === 'allow' ? 'allow' : 'deny', authorizer: r.authorizer ?? m.name };
}

function noneDecided(reasons: string[]): AuthzResult {
  return { decision: 'deny', reason: reasons.join('; '), authorizer: 'none' };
}
