/**
 * The agent's authorizer: a SubjectAccessReview per request, as the kubelet's webhook
 * authorizer (--authorization-mode=Webhook), sent as the node through its own API client. Any
 * failure to get an answer is a denial: an agent that cannot ask does not serve. Answers are
 * kept as the kubelet keeps them (--authorization-webhook-cache-authorized-ttl 5m,
 * -unauthorized-ttl 30s), at most MAX_CACHED of them: otherwise every request of any holder of a
 * cluster-CA client certificate (every node has one) is one more review the API server answers.
 * A review that could not be made is not kept.
 */
import { BoundedTtlCache } from '../../../util/bounded-ttl-cache.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../../client/types.ts';
import type { NodeRequestAttributes } from './request-attributes.ts';

const AUTHORIZED_TTL_MS = 5 * 60_000;
const UNAUTHORIZED_TTL_MS = 30_000;
const MAX_CACHED = 1024;

export interface PeerUser {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface AccessVerdict {
  allowed: boolean;
  reason: string;
}

export type ReviewAccess = (user: PeerUser, a: NodeRequestAttributes) => Promise<AccessVerdict>;

const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false };

export function subjectAccessReviewer(client: () => ApiClient, now: () => number = Date.now): ReviewAccess {
  const answers = new BoundedTtlCache<AccessVerdict>(MAX_CACHED, now);
  return async (user, a) => {
    const key = JSON.stringify([user.username, user.groups, user.uid ?? '', user.extra ?? {}, a.verb, a.resource, a.subresource, a.name]);
    const known = answers.get(key);
    if (known) return known;
    const verdict = await review(client, user, a);
    if (verdict.answered) answers.set(key, { allowed: verdict.allowed, reason: verdict.reason }, verdict.allowed ? AUTHORIZED_TTL_MS : UNAUTHORIZED_TTL_MS);
    return { allowed: verdict.allowed, reason: verdict.reason };
  };
}

async function review(client: () => ApiClient, user: PeerUser, a: NodeRequestAttributes): Promise<AccessVerdict & { answered: boolean }> {
  try {
    const review = await client().create<K8sObject>(SUBJECT_ACCESS_REVIEWS, '', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: user.username,
        groups: user.groups,
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        resourceAttributes: { verb: a.verb, group: '', version: 'v1', resource: a.resource, subresource: a.subresource, name: a.name },
      },
    });
    const status = review.status ?? {};
    return { allowed: status.allowed === true && status.denied !== true, reason: String(status.reason ?? status.evaluationError ?? ''), answered: true };
  } catch (err) {
    return { allowed: false, reason: `authorization error: ${(err as Error).message}`, answered: false };
  }
}
