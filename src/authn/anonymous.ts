/**
 * --anonymous-auth: a request that carries no credential at all becomes system:anonymous in
 * system:unauthenticated. Off unless configured; it must be the last member of the union, which
 * stops at any rejection, so a presented but bad credential never reaches it.
 *
 * Stricter than upstream on one point: a request with an Authorization header that no method
 * understood (Basic, an empty "Bearer") is not anonymous but unauthenticated (401), because the
 * client plainly meant to be someone.
 */
import type { AuthnRequest, AuthnResult, RequestAuthenticator } from './types.ts';
import { GROUP_UNAUTHENTICATED, USER_ANONYMOUS } from './types.ts';
import { headerValues } from './raw-headers.ts';

export class AnonymousAuthenticator implements RequestAuthenticator {
  readonly name = 'anonymous';

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  authenticateNow(req: AuthnRequest): AuthnResult {
    if (headerValues(req.headers, 'authorization').length > 0) return { kind: 'no-opinion' };
    return { kind: 'authenticated', method: this.name, user: { username: USER_ANONYMOUS, groups: [GROUP_UNAUTHENTICATED] } };
  }
}
