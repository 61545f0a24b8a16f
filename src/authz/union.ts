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

  constructor(members: readonly Authorizer[]) {
    this.#members = members;
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
        return { decision: 'deny', reason: '', authorizer: m.name, evaluationError: `${m.name}: ${(err as Error).message}` };
      }
      if (r.decision !== 'no-opinion' || r.evaluationError) return { ...r, decision: r.decision === 'allow' ? 'allow' : 'deny', authorizer: r.authorizer ?? m.name };
      if (r.reason) reasons.push(r.reason);
    }
    return { decision: 'deny', reason: reasons.join('; '), authorizer: 'none' };
  }
}
