/**
 * The token cleaner (kube-controller-manager's tokencleaner, pkg/controller/bootstrap): deletes
 * bootstrap token Secrets (type bootstrap.kubernetes.io/token in kube-system) whose
 * data.expiration has passed, so an expired join token is gone rather than merely refused by the
 * authenticator. A token not yet expired is looked at again when it expires; one without an
 * expiration is kept; an unparseable expiration counts as expired (cluster-bootstrap's
 * GetExpiration, the same rule the authenticator applies).
 *
 * The delete carries the cached Secret's UID (as upstream) and resourceVersion as preconditions:
 * a Secret recreated under the same name, or one whose expiration was extended after the cache saw
 * it, is not deleted on stale grounds. The Conflict that follows is no error: the update brings the
 * Secret back through the queue with its new data.
 */
import type { Controller, K8sObject } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isConflict } from '../client/errors.ts';
import { BOOTSTRAP_SECRET_TYPE, decodeData, tokenExpiry } from '../../authn/bootstrap-token.ts';
import { isNotFound } from './controller-ref.ts';
import { newQueueController, type WorkloadControllerDeps } from './queue-controller.ts';
import { keyOf, splitKey } from './resources.ts';

export const TOKEN_CLEANER_CONTROLLER = 'token-cleaner-controller';
/** Upstream's TokenCleanerOptions.TokenSecretNamespace default (api.NamespaceSystem). */
const TOKEN_SECRET_NAMESPACE = 'kube-system';
const SECRETS = resources.secrets;

interface Secret extends K8sObject {
  type?: string;
  data?: Record<string, unknown>;
}

const isBootstrapToken = (s: Secret): boolean => s.type === BOOTSTRAP_SECRET_TYPE && s.metadata.namespace === TOKEN_SECRET_NAMESPACE;

export function newTokenCleaner(deps: WorkloadControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const secrets = deps.informers.informer<Secret>(SECRETS);
  const enqueue = (s: Secret) => {
    if (isBootstrapToken(s)) queue.add(keyOf(s));
  };
  secrets.addEventHandler({ add: enqueue, update: (_old, cur) => enqueue(cur) });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const secret = secrets.get(ns, name);
    if (!secret || !isBootstrapToken(secret)) return;
    const { expired, ttlMs } = tokenExpiry(decodeData(secret.data?.expiration), new Date(now()));
    if (!expired) {
      if (ttlMs > 0) queue.addAfter(key, ttlMs);
      return;
    }
    const { uid, resourceVersion } = secret.metadata;
    try {
      await client.delete(SECRETS, ns, name, { preconditions: { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) } });
    } catch (err) {
      // NotFound: already gone. Conflict: the precondition failed (recreated or changed since).
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  };
  return newQueueController({ name: TOKEN_CLEANER_CONTROLLER, queue, waitFor: [secrets], sync, log });
}
