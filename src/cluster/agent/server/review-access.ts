/**
 * The agent's authorizer: one SubjectAccessReview per request, as the kubelet's webhook
 * authorizer (--authorization-mode=Webhook), sent as the node through its own API client. Any
 * failure to get an answer is a denial: an agent that cannot ask does not serve.
 */
import type { ApiClient, K8sObject, ResourceRef } from '../../client/types.ts';
import type { NodeRequestAttributes } from './request-attributes.ts';

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

export function subjectAccessReviewer(client: () => ApiClient): ReviewAccess {
  return async (user, a) => {
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
      return { allowed: status.allowed === true && status.denied !== true, reason: String(status.reason ?? status.evaluationError ?? '') };
    } catch (err) {
      return { allowed: false, reason: `authorization error: ${(err as Error).message}` };
    }
  };
}
