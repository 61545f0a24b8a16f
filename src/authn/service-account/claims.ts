/**
 * The JWT claims of service account tokens, as upstream pkg/serviceaccount/claims.go and
 * legacy.go write them, and the identity they map to (apiserver authentication/serviceaccount).
 */

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export const USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const GROUP_PREFIX = 'system:serviceaccounts:';

export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

/** Label the legacy-token cleaner sets on a Secret whose token must no longer work. */
export const LEGACY_INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';

export const LEGACY_CLAIM_NAMESPACE = 'kubernetes.io/serviceaccount/namespace';
export const LEGACY_CLAIM_SECRET_NAME = 'kubernetes.io/serviceaccount/secret.name';
export const LEGACY_CLAIM_SA_NAME = 'kubernetes.io/serviceaccount/service-account.name';
export const LEGACY_CLAIM_SA_UID = 'kubernetes.io/serviceaccount/service-account.uid';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private `kubernetes.io` claim of bound (TokenRequest) tokens. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  /** For pod-bound tokens the pod's node (uid absent when the Node object was missing); for node-bound tokens the node. */
  node?: { name: string; uid?: string };
  warnafter?: number;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${USERNAME_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${GROUP_PREFIX}${namespace}`];
}

/** upstream CredentialIDForJTI */
export function credentialIdForJti(jti: string): string {
  return jti === '' ? '' : `JTI=${jti}`;
}
