import type { AuthnRequest, AuthnResult, MaybePromise, RequestAuthenticator } from './types.ts';
import { GROUP_AUTHENTICATED, isPending } from './types.ts';
import { askInTurn } from './ask-in-turn.ts';

/**
 * Tries each authenticator in a fixed order. A rejection stops the chain: a presented but bad
 * credential must never fall through to a weaker method (or to anonymous). The first
 * authenticated result wins and gains system:authenticated.
 *
 * Members are asked through authenticateNow when they have it: while each answers at once, so
 * does the union (the request path then continues in the same tick); from the first that waits,
 * the chain goes on after its promise, in the same order with the same answers (askInTurn).
 */
export class UnionAuthenticator implements RequestAuthenticator {
  readonly name = 'union';
  readonly #members: readonly RequestAuthenticator[];

  constructor(members: readonly RequestAuthenticator[]) {
    this.#members = members;
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  authenticateNow(req: AuthnRequest): MaybePromise<AuthnResult> {
    const r = askInTurn(this.#members, 0, (a) => (a.authenticateNow ? a.authenticateNow(req) : a.authenticate(req)), () => ({ kind: 'no-opinion' }));
    return isPending(r) ? r.then(withAuthenticatedGroup) : withAuthenticatedGroup(r);
  }
}

function withAuthenticatedGroup(r: AuthnResult): AuthnResult {
  if (r.kind !== 'authenticated') return r;
  const groups = r.user.groups.includes(GROUP_AUTHENTICATED) || r.user.username === 'system:anonymous'
    ? r.user.groups
    : [...r.user.groups, GROUP_AUTHENTICATED];
  return { ...r, user: { ...r.user, groups } };
}
