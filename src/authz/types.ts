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
}

export interface Authorizer {
  readonly name: string;
  authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult>;
}
