/** The authorization boundary (DESIGN.md). */
import type { UserInfo } from '../authn/types.ts';

export interface AuthzAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  /** For non-resource requests. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthzResult {
  decision: Decision;
  reason: string;
  /** The authorizer that decided. */
  authorizer?: string;
  /**
   * Set when an authorizer failed (threw, or could not ask its backend): the decision is then a
   * deny, and the API server answers 500 rather than 403. Server-side detail, for the log only.
   */
  evaluationError?: string;
}

export interface Authorizer {
  readonly name: string;
  authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult>;
}
