import type { Logger } from 'pino';
import { AlwaysAllowAuthorizer, AlwaysDenyAuthorizer } from '../authz/always.ts';
import { MastersAuthorizer } from '../authz/masters.ts';
import type { AuthorizationMode } from '../authz/modes.ts';
import { startRbacAuthorizer, type RbacAuthorizer } from '../authz/rbac/authorizer.ts';
import { startClusterRoleAggregation } from '../authz/rbac/aggregation.ts';
import { reconcileBootstrap } from '../authz/rbac/reconcile.ts';
import type { Authorizer } from '../authz/types.ts';
import type { Store } from '../storage/types.ts';

export interface AuthorizationSetup {
  authorizers: Authorizer[];
  rbac?: RbacAuthorizer;
  stop(): void;
}

/**
 * The authorizer chain for the configured modes, in their order, behind system:masters (upstream's
 * privileged group, allowed before any mode is asked). RBAC reconciles the bootstrap roles from
 * policies/ first and keeps aggregated ClusterRoles up to date.
 */
export async function setUpAuthorization(modes: AuthorizationMode[], store: Store, now: () => Date, newUid: () => string, log: Logger): Promise<AuthorizationSetup> {
  const authorizers: Authorizer[] = [new MastersAuthorizer()];
  const stops: Array<() => void> = [];
  let rbac: RbacAuthorizer | undefined;
  for (const m of modes) {
    if (m === 'AlwaysAllow') authorizers.push(new AlwaysAllowAuthorizer());
    else if (m === 'AlwaysDeny') authorizers.push(new AlwaysDenyAuthorizer());
    else if (m === 'RBAC') {
      const report = await reconcileBootstrap(store, now, newUid);
      if (report.created.length || report.updated.length) log.info({ created: report.created.length, updated: report.updated.length }, 'reconciled bootstrap RBAC policy');
      const agg = startClusterRoleAggregation(store, { onError: (err) => log.error({ err }, 'cluster role aggregation failed') });
      const h = startRbacAuthorizer(store, { onError: (err: Error) => log.error({ err }, 'RBAC watch failed') });
      await h.ready;
      rbac = h.authorizer;
      authorizers.push(h.authorizer);
      stops.push(() => h.stop(), () => agg.stop());
    }
  }
  return { authorizers, rbac, stop: () => stops.forEach((s) => s()) };
}
