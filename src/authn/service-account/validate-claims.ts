/**
 * The live half of service account token authentication (upstream claims.go and legacy.go
 * validators): a signed token only names objects, and it stops working as soon as the
 * ServiceAccount, or the Pod, Secret or Node it is bound to, is deleted or recreated (new uid).
 * Runs on every request, cache or not; the reads hit the in-memory watch cache, at once when it
 * can answer without waiting (see live-reads.ts: these checks yield the keys they read).
 */
import { timingSafeEqual } from 'node:crypto';
import type { UserInfo } from '../types.ts';
import type { LiveReads } from '../live-reads.ts';
import { AuthnError } from '../types.ts';
import {
  EXTRA_CREDENTIAL_ID,
  EXTRA_NODE_NAME,
  EXTRA_NODE_UID,
  EXTRA_POD_NAME,
  EXTRA_POD_UID,
  LEGACY_CLAIM_NAMESPACE,
  LEGACY_CLAIM_SA_NAME,
  LEGACY_CLAIM_SA_UID,
  LEGACY_CLAIM_SECRET_NAME,
  LEGACY_INVALID_SINCE_LABEL,
  credentialIdForJti,
  serviceAccountGroups,
  serviceAccountUsername,
} from './claims.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export type { ObjectGetter } from '../live-reads.ts';

export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  nodeUid?: string;
  credentialId?: string;
}

interface LiveObject {
  metadata?: { uid?: string; deletionTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  type?: string;
}

const invalid = (message: string) => new AuthnError('InvalidCredential', message);
const INVALIDATED = 'service account token has been invalidated';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function ref(v: unknown, what: string): { name: string; uid: string } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`${what} claim is malformed`);
  const r = v as Record<string, unknown>;
  if (typeof r.name !== 'string' || r.name === '' || (r.uid !== undefined && typeof r.uid !== 'string')) throw invalid(`${what} claim is malformed`);
  return { name: r.name, uid: str(r.uid) };
}

/** One read: the object at `key`, undefined when there is none. */
function* live(key: string): LiveReads<LiveObject | undefined> {
  return (yield key) as LiveObject | undefined;
}

/** Upstream treats objects deleted more than the leeway ago (still held by finalizers) as gone. */
function deletedBefore(o: LiveObject, cutoff: number): boolean {
  const ts = o.metadata?.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < cutoff;
}

function* checkServiceAccount(ns: string, name: string, uid: string, cutoff: number): LiveReads<void> {
  const sa = yield* live(builtinKey('', 'serviceaccounts', ns, name));
  if (!sa) throw invalid(`serviceaccount "${name}" not found`);
  if (deletedBefore(sa, cutoff)) throw invalid(`service account ${ns}/${name} has been deleted`);
  const have = str(sa.metadata?.uid);
  if (have !== uid) throw invalid(`service account UID (${have}) does not match claim (${uid})`);
}

/** Bound tokens: the `kubernetes.io` claim (run with readLive). */
export function* validateBoundClaims(claims: Record<string, unknown>, now: Date, leewayMs: number): LiveReads<ServiceAccountInfo> {
  const k = claims['kubernetes.io'];
  if (k === null || typeof k !== 'object' || Array.isArray(k)) throw invalid('kubernetes.io claim is missing');
  const kc = k as Record<string, unknown>;
  const ns = str(kc.namespace);
  const sa = ref(kc.serviceaccount, 'serviceaccount');
  if (!ns || !sa || !sa.uid) throw invalid('kubernetes.io claim is missing the namespace or service account');
  // Not checked upstream; the subject is what audit and relying parties read, so it must agree.
  if (claims.sub !== serviceAccountUsername(ns, sa.name)) throw invalid('sub claim is invalid');
  const pod = ref(kc.pod, 'pod');
  const secret = ref(kc.secret, 'secret');
  const node = ref(kc.node, 'node');
  if (pod && secret) throw invalid('token is bound to more than one object');
  if (secret && node) throw invalid('token is bound to more than one object');
  const cutoff = now.getTime() - leewayMs;

  yield* checkServiceAccount(ns, sa.name, sa.uid, cutoff);
  const info: ServiceAccountInfo = { namespace: ns, name: sa.name, uid: sa.uid };
  if (secret) {
    const s = yield* live(builtinKey('', 'secrets', ns, secret.name));
    if (!s || deletedBefore(s, cutoff)) throw invalid(INVALIDATED);
    if (str(s.metadata?.uid) !== secret.uid) throw invalid(`secret UID (${str(s.metadata?.uid)}) does not match service account secret ref claim (${secret.uid})`);
  }
  if (pod) {
    const p = yield* live(builtinKey('', 'pods', ns, pod.name));
    if (!p || deletedBefore(p, cutoff)) throw invalid(INVALIDATED);
    if (str(p.metadata?.uid) !== pod.uid) throw invalid(`pod UID (${str(p.metadata?.uid)}) does not match service account pod ref claim (${pod.uid})`);
    info.podName = pod.name;
    info.podUid = pod.uid;
    // A pod-bound token only reports its node; the pod check above is what binds it.
    if (node) {
      info.nodeName = node.name;
      if (node.uid) info.nodeUid = node.uid;
    }
  } else if (node) {
    const n = yield* live(builtinKey('', 'nodes', node.name));
    if (!n || deletedBefore(n, cutoff)) throw invalid(INVALIDATED);
    if (str(n.metadata?.uid) !== node.uid) throw invalid(`node UID (${str(n.metadata?.uid)}) does not match service account node ref claim (${node.uid})`);
    info.nodeName = node.name;
    info.nodeUid = node.uid;
  }
  const jti = str(claims.jti);
  if (jti) info.credentialId = credentialIdForJti(jti);
  return info;
}

/** Legacy tokens: valid while their Secret holds this very token and names the ServiceAccount (run with readLive). */
export function* validateLegacyClaims(claims: Record<string, unknown>, token: string): LiveReads<ServiceAccountInfo> {
  const ns = str(claims[LEGACY_CLAIM_NAMESPACE]);
  const secretName = str(claims[LEGACY_CLAIM_SECRET_NAME]);
  const name = str(claims[LEGACY_CLAIM_SA_NAME]);
  const uid = str(claims[LEGACY_CLAIM_SA_UID]);
  if (!claims.sub) throw invalid('sub claim is missing');
  if (!ns) throw invalid('namespace claim is missing');
  if (!secretName) throw invalid('secretName claim is missing');
  if (!name) throw invalid('serviceAccountName claim is missing');
  if (!uid) throw invalid('serviceAccountUID claim is missing');
  if (claims.sub !== serviceAccountUsername(ns, name)) throw invalid('sub claim is invalid');

  const s = yield* live(builtinKey('', 'secrets', ns, secretName));
  // Upstream rejects any deletionTimestamp on legacy paths, without leeway.
  if (!s || s.metadata?.deletionTimestamp) throw invalid('Token has been invalidated');
  const stored = Buffer.from(str(s.data?.token), 'base64');
  const presented = Buffer.from(token, 'utf8');
  if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) throw invalid("Token does not match server's copy");
  // Stricter than upstream: the Secret must also say whose token it is.
  const ann = s.metadata?.annotations ?? {};
  if (s.type !== 'kubernetes.io/service-account-token' || ann['kubernetes.io/service-account.name'] !== name || (ann['kubernetes.io/service-account.uid'] && ann['kubernetes.io/service-account.uid'] !== uid)) {
    throw invalid(`secret ${ns}/${secretName} is not a token of service account ${ns}/${name}`);
  }
  const sa = yield* live(builtinKey('', 'serviceaccounts', ns, name));
  if (!sa) throw invalid(`serviceaccount "${name}" not found`);
  if (sa.metadata?.deletionTimestamp) throw invalid(`ServiceAccount ${ns}/${name} has been deleted`);
  if (str(sa.metadata?.uid) !== uid) throw invalid(`ServiceAccount UID (${str(sa.metadata?.uid)}) does not match claim (${uid})`);
  if (s.metadata?.labels?.[LEGACY_INVALID_SINCE_LABEL]) {
    throw invalid(
      `the token in secret ${ns}/${secretName} for service account ${ns}/${name} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${LEGACY_INVALID_SINCE_LABEL}' label from the secret to temporarily allow use of this token`,
    );
  }
  return { namespace: ns, name, uid };
}

/** upstream ServiceAccountInfo.UserInfo */
export function userFromServiceAccount(info: ServiceAccountInfo): UserInfo {
  const user: UserInfo = { username: serviceAccountUsername(info.namespace, info.name), uid: info.uid, groups: serviceAccountGroups(info.namespace) };
  const extra: Record<string, string[]> = {};
  if (info.podName && info.podUid) {
    extra[EXTRA_POD_NAME] = [info.podName];
    extra[EXTRA_POD_UID] = [info.podUid];
  }
  if (info.credentialId) extra[EXTRA_CREDENTIAL_ID] = [info.credentialId];
  if (info.nodeName) {
    extra[EXTRA_NODE_NAME] = [info.nodeName];
    if (info.nodeUid) extra[EXTRA_NODE_UID] = [info.nodeUid];
  }
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
