import type { AuthnRequest, AuthnResult, RequestAuthenticator } from './types.ts';
import { AuthnError, GROUP_AUTHENTICATED } from './types.ts';

/**
 * Tries each authenticator in a fixed order. A rejection stops the chain: a presented but bad
 * credential must never fall through to a weaker method (or to anonymous). The first
 * authenticated result wins and gains system:authenticated.
 */
export class UnionAuthenticator implements RequestAuthenticator {
  readonly name = 'union';
  readonly #members: readonly RequestAuthenticator[];

  constructor(members: readonly RequestAuthenticator[]) {
    this.#members = members;
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    for (const a of this.#members) {
      let r: AuthnResult;
      try {
        r = await a.authenticate(req);
      } catch (err) {
        // An authenticator that fails unexpectedly rejects: fail closed.
        return { kind: 'rejected', method: a.name, error: new AuthnError('Internal', (err as Error).message) };
      }
      if (r.kind === 'no-opinion') continue;
      if (r.kind === 'rejected') return r;
      const groups = r.user.groups.includes(GROUP_AUTHENTICATED) || r.user.username === 'system:anonymous'
        ? r.user.groups
        : [...r.user.groups, GROUP_AUTHENTICATED];
      return { ...r, user: { ...r.user, groups } };
    }
    return { kind: 'no-opinion' };
  }
}
