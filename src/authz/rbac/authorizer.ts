/**
 * The RBAC authorizer: decisions from the compiled index, kept current by a store watch.
 * RBAC never denies: without an allowing rule it has no opinion, and the union decides.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { Store } from '../../storage/types.ts';
import type { Authorizer, AuthzAttributes } from '../types.ts';
import { checkEscalation, type AuthorizeFn, type EscalationRefusal, type EscalationRequest } from './escalation.ts';
import { RbacIndex } from './rbac-index.ts';
import { rulesReview, type RulesReviewStatus } from './rules-review.ts';
import { syncRbacIndex, type RbacSyncOptions } from './store-sync.ts';
import type { PolicyRule, RbacAuthzResult, RoleRef } from './types.ts';

export class RbacAuthorizer implements Authorizer {
  readonly name = 'RBAC';
  readonly index: RbacIndex;

  constructor(index: RbacIndex = new RbacIndex()) {
    this.index = index;
  }

  async authorize(a: Readonly<AuthzAttributes>): Promise<RbacAuthzResult> {
    return this.index.authorize(a);
  }

  /** Synchronous form, for callers on a hot path (and the benchmark). */
  authorizeSync(a: Readonly<AuthzAttributes>): RbacAuthzResult {
    return this.index.authorize(a);
  }

  /** The rules the user holds in the namespace ('' = cluster-wide only). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    return this.index.rulesFor(user, namespace).rules;
  }

  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined {
    return this.index.roleRefRules(ref, namespace);
  }

  rulesReview(user: UserInfo, namespace: string): RulesReviewStatus {
    return rulesReview(this.index, user, namespace);
  }

  /**
   * Escalation check for a write of a role or binding. `authorize` should be the whole chain
   * (upstream asks it for escalate and bind); it defaults to this authorizer.
   */
  checkEscalation(user: UserInfo, req: EscalationRequest, authorize?: AuthorizeFn): Promise<EscalationRefusal | undefined> {
    return checkEscalation(this.index, authorize ?? ((a) => this.authorize(a)), user, req);
  }
}

export interface RbacAuthorizerHandle {
  authorizer: RbacAuthorizer;
  /** Resolves once every RBAC object in the store is in the index. */
  ready: Promise<void>;
  stop(): void;
}

export function startRbacAuthorizer(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, opts: RbacSyncOptions = {}): RbacAuthorizerHandle {
  const authorizer = new RbacAuthorizer();
  const sync = syncRbacIndex(store, authorizer.index, opts);
  return { authorizer, ready: sync.ready, stop: sync.stop };
}
