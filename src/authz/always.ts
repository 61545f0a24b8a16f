import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';

/** --authorization-mode=AlwaysAllow: every request is allowed (testing only, as upstream warns). */
export class AlwaysAllowAuthorizer implements Authorizer {
  readonly name = 'AlwaysAllow';
  async authorize(_a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    return { decision: 'allow', reason: '' };
  }
}

/** --authorization-mode=AlwaysDeny: every request is denied. */
export class AlwaysDenyAuthorizer implements Authorizer {
  readonly name = 'AlwaysDeny';
  async authorize(_a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    return { decision: 'deny', reason: 'Everything is forbidden.' };
  }
}
