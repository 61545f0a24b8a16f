/** The authorization boundary (DESIGN.md). */
import type { FieldRequirement } from '../api/selectors/field-selector.ts';
import type { Requirement } from '../api/selectors/label-selector.ts';
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
  /**
   * A list, watch or deletecollection's selectors, parsed once from the request (upstream
   * Attributes.GetFieldSelector / GetLabelSelector, AuthorizeWithSelectors, GA in 1.34): absent
   * when the request had none (or an empty one). A selector that did not parse has no
   * requirements and its error here, so an authorizer that needs one fails closed.
   */
  fieldSelector?: readonly FieldRequirement[];
  fieldSelectorError?: string;
  labelSelector?: readonly Requirement[];
  labelSelectorError?: string;
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthzResult {
  decision: Decision;
  reason: string;
  /** The authorizer that decided. */
  authorizer?: string;
  /**
   * Set when an authorizer failed (threw, or could not ask its backend): the decision is then a
   * deny. Where it goes, as upstream: a request's authorization logs it and answers a generic 500
   * (never this text); the access reviews (Subject/Local/SelfSubjectAccessReview) return it as
   * status.evaluationError to the reviewer; an impersonation check answers 403 without it.
   */
  evaluationError?: string;
}

export interface Authorizer {
  readonly name: string;
  authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult>;
  /**
   * The same decision without a promise, for authorizers that never wait (the request path
   * takes it when every authorizer of the chain has it: no microtask per authorizer).
   */
  authorizeSync?(a: Readonly<AuthzAttributes>): AuthzResult;
}
