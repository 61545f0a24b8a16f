/**
 * Signs service account tokens: bound tokens (TokenRequest, projected volumes) and legacy
 * secret-based tokens, with upstream's claims so that any Kubernetes-aware relying party reads
 * them as it reads kube-apiserver's.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.ts';
import {
  LEGACY_CLAIM_NAMESPACE,
  LEGACY_CLAIM_SA_NAME,
  LEGACY_CLAIM_SA_UID,
  LEGACY_CLAIM_SECRET_NAME,
  LEGACY_ISSUER,
  serviceAccountUsername,
  type KubernetesClaim,
  type ObjectRef,
} from './claims.ts';

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface IssueTokenInput {
  namespace: string;
  serviceAccount: ObjectRef;
  audiences: readonly string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
  /** For a Pod-bound token, the node the pod runs on (upstream ServiceAccountTokenPodNodeInfo). */
  podNode?: { name: string; uid?: string };
  /** Seconds after `now` past which use of the token is reported as stale (upstream warnafter). */
  warnAfterSeconds?: number;
  issuer: string;
  now: Date;
  key: SigningKey;
  /** Token id; a random UUID by default (upstream ServiceAccountTokenJTI). */
  jti?: string;
}

export interface IssuedToken {
  token: string;
  jti: string;
  /** exp as a Date (whole seconds). */
  expiresAt: Date;
}

export class TokenIssueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenIssueError';
  }
}

export async function issueToken(input: IssueTokenInput): Promise<IssuedToken> {
  if (!input.namespace || !input.serviceAccount.name || !input.serviceAccount.uid) throw new TokenIssueError('namespace, service account name and uid are required');
  if (!input.issuer) throw new TokenIssueError('issuer is required');
  if (input.audiences.length === 0) throw new TokenIssueError('at least one audience is required');
  if (!Number.isSafeInteger(input.expirationSeconds) || input.expirationSeconds <= 0) throw new TokenIssueError('expirationSeconds must be a positive integer');
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = iat + input.expirationSeconds;
  const jti = input.jti ?? randomUUID();
  const k: KubernetesClaim = {
    namespace: input.namespace,
    serviceaccount: { name: input.serviceAccount.name, uid: input.serviceAccount.uid },
  };
  const b = input.boundObject;
  if (b) {
    const ref = { name: b.name, uid: b.uid };
    if (b.kind === 'Pod') {
      k.pod = ref;
      if (input.podNode) k.node = input.podNode.uid ? { name: input.podNode.name, uid: input.podNode.uid } : { name: input.podNode.name };
    } else if (b.kind === 'Secret') k.secret = ref;
    else k.node = ref;
  }
  if (input.warnAfterSeconds) k.warnafter = iat + input.warnAfterSeconds;
  const token = await new SignJWT({ 'kubernetes.io': k as unknown as Record<string, unknown> })
    .setProtectedHeader({ alg: input.key.alg, kid: input.key.kid })
    .setIssuer(input.issuer)
    .setSubject(serviceAccountUsername(input.namespace, input.serviceAccount.name))
    .setAudience([...input.audiences])
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(input.key.key);
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

export interface IssueLegacyTokenInput {
  namespace: string;
  serviceAccount: ObjectRef;
  secretName: string;
  key: SigningKey;
}

/**
 * A legacy token for a `kubernetes.io/service-account-token` Secret: no audience, no expiry; it
 * lives exactly as long as the Secret holding it (the authenticator compares the Secret's copy).
 */
export async function issueLegacyToken(input: IssueLegacyTokenInput): Promise<string> {
  if (!input.namespace || !input.serviceAccount.name || !input.serviceAccount.uid || !input.secretName) {
    throw new TokenIssueError('namespace, service account name and uid, and secret name are required');
  }
  return new SignJWT({
    [LEGACY_CLAIM_NAMESPACE]: input.namespace,
    [LEGACY_CLAIM_SECRET_NAME]: input.secretName,
    [LEGACY_CLAIM_SA_NAME]: input.serviceAccount.name,
    [LEGACY_CLAIM_SA_UID]: input.serviceAccount.uid,
  })
    .setProtectedHeader({ alg: input.key.alg, kid: input.key.kid })
    .setIssuer(LEGACY_ISSUER)
    .setSubject(serviceAccountUsername(input.namespace, input.serviceAccount.name))
    .sign(input.key.key);
}
