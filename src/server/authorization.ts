import type { Logger } from 'pino';
import { AlwaysAllowAuthorizer, AlwaysDenyAuthorizer } from '../authz/always.ts';
import { MastersAuthorizer } from '../authz/masters.ts';
import type { AuthorizationMode } from '../authz/modes.ts';
import { startRbacAuthorizer, type RbacAuthorizer } from '../authz/rbac/authorizer.ts';
import { startClusterRoleAggregation } from '../authz/rbac/aggregation.ts';
import { reconcileBootstrap } from '../authz/rbac/reconcile.ts';
import type { Authorizer } from '../authz/types.ts';
import { startNodeAuthorizer } from '../authz/node/authorizer.ts';
import { AbacAuthorizer } from '../authz/abac.ts';
import { WebhookAuthorizer } from '../authz/webhook.ts';
import { startCasbinAuthorizer, type CasbinHandle, type CasbinModeConfig } from '../authz/casbin/setup.ts';
import type { Store } from '../storage/types.ts';

export interface AuthorizationSetup {
  authorizers: Authorizer[];
  rbac?: RbacAuthorizer;
  casbin?: CasbinHandle;
  stop(): void;
}

/**
 * The authorizer chain for the configured modes, in their order, behind system:masters (upstream's
 * privileged group, allowed before any mode is asked). RBAC reconciles the bootstrap roles from
 * policies/ first and keeps aggregated ClusterRoles up to date.
 */
/** --authorization-policy-file, the --authorization-webhook-* and --authorization-casbin-* flags (or --authorization-config). */
export interface AuthorizationFiles {
  policyFile?: string;
  webhookConfigFile?: string;
  webhookAuthorizedTtlMs?: number;
  webhookUnauthorizedTtlMs?: number;
  /** AuthorizationConfiguration's webhook timeout (default: the webhook client's). */
  webhookTimeoutMs?: number;
  /** --authorization-casbin-*: the Casbin mode's model and policy. */
  casbin?: Partial<CasbinModeConfig>;
}

export async function setUpAuthorization(modes: AuthorizationMode[], store: Store, now: () => Date, newUid: () => string, log: Logger, files: AuthorizationFiles = {}): Promise<AuthorizationSetup> {
  const authorizers: Authorizer[] = [new MastersAuthorizer()];
  const stops: Array<() => void> = [];
  let rbac: RbacAuthorizer | undefined;
  let casbin: CasbinHandle | undefined;
  for (const m of modes) {
    if (m === 'AlwaysAllow') authorizers.push(new AlwaysAllowAuthorizer());
    else if (m === 'AlwaysDeny') authorizers.push(new AlwaysDenyAuthorizer());
    else if (m === 'ABAC') {
      if (!files.policyFile) throw new Error('--authorization-mode=ABAC needs --authorization-policy-file');
      authorizers.push(AbacAuthorizer.fromFile(files.policyFile));
    } else if (m === 'Webhook') {
      if (!files.webhookConfigFile) throw new Error('--authorization-mode=Webhook needs --authorization-webhook-config-file');
      authorizers.push(WebhookAuthorizer.fromConfigFile(files.webhookConfigFile, { authorizedTtlMs: files.webhookAuthorizedTtlMs, unauthorizedTtlMs: files.webhookUnauthorizedTtlMs, timeoutMs: files.webhookTimeoutMs }));
    } else if (m === 'Casbin') {
      casbin = await startCasbinAuthorizer({ model: '', ...files.casbin }, store, log, { now, newUid });
      authorizers.push(casbin.authorizer);
      stops.push(() => casbin?.stop());
    } else if (m === 'Node') {
      const h = startNodeAuthorizer(store, { onError: (err: Error) => log.error({ err }, 'node authorizer watch failed') });
      await h.ready;
      authorizers.push(h.authorizer);
      stops.push(() => h.stop());
    }
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
  return { authorizers, rbac, casbin, stop: () => stops.forEach((s) => s()) };
}
