import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';

export const GROUP_MASTERS = 'system:masters';

/** Upstream's privileged group: members are allowed everything, everyone else gets no opinion. */
export class MastersAuthorizer implements Authorizer {
  readonly name = 'system:masters';

  async authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    return this.authorizeSync(a);
  }

  authorizeSync(a: Readonly<AuthzAttributes>): AuthzResult {
    if (a.user.groups.includes(GROUP_MASTERS)) return { decision: 'allow', reason: `member of ${GROUP_MASTERS}` };
    return { decision: 'no-opinion', reason: '' };
  }
}
