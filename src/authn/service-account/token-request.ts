/**
 * The TokenRequest subresource, `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`
 * (upstream pkg/registry/core/serviceaccount/storage/token.go): mints a bound token for an
 * existing ServiceAccount, optionally bound to a Pod, Secret or Node of matching uid.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, invalid, notFound, type ApiError, type StatusCause } from '../../api/errors.ts';
import { issueToken, type BoundObject } from './issuer.ts';
import { rfc3339 } from '../../api/time.ts';
import type { SigningKey } from './keys.ts';
import type { ObjectGetter } from './validate-claims.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export const TOKEN_REQUEST_GROUP = 'authentication.k8s.io';
export const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** upstream WarnOnlyBoundTokenExpirationSeconds / ExpirationExtensionSeconds */
const WARN_ONLY_EXPIRATION_SECONDS = 3607;
const EXTENDED_EXPIRATION_SECONDS = 24 * 365 * 60 * 60;
export const ISSUED_CREDENTIAL_ID_ANNOTATION = 'authentication.kubernetes.io/issued-credential-id';

export interface TokenRequestDeps {
  get: ObjectGetter;
  now: () => Date;
  /** the first --service-account-issuer */
  issuer: string;
  key: SigningKey;
  /** --api-audiences, the default spec.audiences */
  audiences: readonly string[];
  /** --service-account-max-token-expiration in seconds; 0 or absent: no maximum. */
  maxExpirationSeconds?: number;
  /** --service-account-extend-token-expiration; default false here (upstream: true). */
  extendExpiration?: boolean;
  newJti?: () => string;
}

export interface TokenRequestOptions {
  /** Warning headers for the response (the RestRequest's warnings). */
  warnings?: string[];
  /** Audit annotations; receives the issued credential id. */
  auditAnnotations?: Record<string, string>;
}

export type TokenRequestHandler = (namespace: string, name: string, body: unknown, opts?: TokenRequestOptions) => Promise<Record<string, unknown>>;

type Obj = Record<string, any>;

function invalidTokenRequest(name: string, causes: StatusCause[]): ApiError {
  return invalid('TokenRequest', TOKEN_REQUEST_GROUP, name, causes);
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function parseSpec(body: unknown): { meta: Obj; audiences: string[] | undefined; expirationSeconds: number; ref: Obj | undefined } {
  if (!isObj(body)) throw badRequest('TokenRequest must be an object');
  const meta = body.metadata ?? {};
  if (!isObj(meta)) throw badRequest('metadata must be an object');
  const spec = body.spec ?? {};
  if (!isObj(spec)) throw badRequest('spec must be an object');
  let audiences: string[] | undefined;
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (!Array.isArray(spec.audiences) || !spec.audiences.every((a: unknown) => typeof a === 'string')) throw badRequest('spec.audiences must be a list of strings');
    audiences = spec.audiences.length > 0 ? [...spec.audiences] : undefined;
  }
  let expirationSeconds = DEFAULT_EXPIRATION_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    if (!Number.isSafeInteger(spec.expirationSeconds)) throw badRequest('spec.expirationSeconds must be an integer');
    expirationSeconds = spec.expirationSeconds;
  }
  const ref = spec.boundObjectRef ?? undefined;
  if (ref !== undefined && !isObj(ref)) throw badRequest('spec.boundObjectRef must be an object');
  return { meta, audiences, expirationSeconds, ref };
}

/** Splits an apiVersion as upstream schema.ParseGroupVersion does ("v1" is the core group). */
function gvkOf(apiVersion: unknown, kind: unknown): { group: string; version: string; kind: string } {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const k = typeof kind === 'string' ? kind : '';
  const parts = av.split('/');
  if (av === '') return { group: '', version: '', kind: k };
  if (parts.length === 1) return { group: '', version: av, kind: k };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]!, kind: k };
  throw badRequest(`unexpected GroupVersion string: ${av}`);
}

export function tokenRequestHandler(deps: TokenRequestDeps): TokenRequestHandler {
  if (!deps.issuer) throw new Error('TokenRequest needs --service-account-issuer');
  if (deps.audiences.length === 0) throw new Error('TokenRequest needs at least one API audience');
  const max = deps.maxExpirationSeconds ?? 0;
  if (!Number.isSafeInteger(max) || max < 0) throw new Error('maxExpirationSeconds must be a non-negative integer');
  if (max > 0 && max < MIN_EXPIRATION_SECONDS) throw new Error(`--service-account-max-token-expiration must be at least ${MIN_EXPIRATION_SECONDS} seconds`);
  const maxExtended = max > 0 && max < EXTENDED_EXPIRATION_SECONDS ? max : EXTENDED_EXPIRATION_SECONDS;
  const newJti = deps.newJti ?? randomUUID;

  return async (namespace, name, body, opts = {}) => {
    const { meta, audiences: asked, expirationSeconds: askedExp, ref } = parseSpec(body);
    if (meta.name !== undefined && meta.name !== '' && meta.name !== name) {
      throw invalidTokenRequest(name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(meta.name)}: must match the service account name if specified` }]);
    }
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw invalidTokenRequest(name, [{ reason: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(meta.namespace)}: must match the service account namespace if specified` }]);
    }
    const saObj = await deps.get(builtinKey('', 'serviceaccounts', namespace, name));
    if (!saObj) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
    const sa = saObj.value as Obj;
    const saUid = String(sa.metadata?.uid ?? '');
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== saUid) {
      throw conflict({ group: TOKEN_REQUEST_GROUP, resource: 'TokenRequest' }, name, `the UID in the token request (${meta.uid}) does not match the UID of the service account (${saUid})`);
    }
    const audiences = asked ?? [...deps.audiences];
    const now = deps.now();

    if (askedExp < MIN_EXPIRATION_SECONDS) {
      throw invalidTokenRequest('', [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${askedExp}: may not specify a duration less than 10 minutes` }]);
    }
    if (askedExp > MAX_EXPIRATION_SECONDS) {
      throw invalidTokenRequest('', [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${askedExp}: may not specify a duration larger than 2^32 seconds` }]);
    }

    let bound: BoundObject | undefined;
    let podNode: { name: string; uid?: string } | undefined;
    if (ref) {
      const gvk = gvkOf(ref.apiVersion, ref.kind);
      const refName = typeof ref.name === 'string' ? ref.name : '';
      let obj: Obj | undefined;
      if (gvk.group === '' && gvk.kind === 'Pod') {
        obj = (await deps.get(builtinKey('', 'pods', namespace, refName)))?.value as Obj | undefined;
        if (!obj) throw notFound({ group: '', resource: 'pods' }, refName);
        if (obj.spec?.serviceAccountName !== name) {
          throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        }
        const nodeName = obj.spec?.nodeName;
        if (typeof nodeName === 'string' && nodeName !== '') {
          // A missing Node still leaves its name in the claims, as upstream.
          const node = (await deps.get(builtinKey('', 'nodes', nodeName)))?.value as Obj | undefined;
          podNode = node?.metadata?.uid ? { name: nodeName, uid: String(node.metadata.uid) } : { name: nodeName };
        }
      } else if (gvk.group === '' && gvk.kind === 'Node') {
        obj = (await deps.get(builtinKey('', 'nodes', refName)))?.value as Obj | undefined;
        if (!obj) throw notFound({ group: '', resource: 'nodes' }, refName);
      } else if (gvk.group === '' && gvk.kind === 'Secret') {
        obj = (await deps.get(builtinKey('', 'secrets', namespace, refName)))?.value as Obj | undefined;
        if (!obj) throw notFound({ group: '', resource: 'secrets' }, refName);
      } else {
        throw badRequest(`cannot bind token to object of type ${gvk.group}/${gvk.version}, Kind=${gvk.kind}`);
      }
      const uid = String(obj.metadata?.uid ?? '');
      if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) {
        throw conflict({ group: gvk.group, resource: gvk.kind }, refName, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      bound = { kind: gvk.kind as BoundObject['kind'], name: refName, uid };
    }

    let expirationSeconds = askedExp;
    if (max > 0 && expirationSeconds > max) {
      opts.warnings?.push(`requested expiration of ${expirationSeconds} seconds shortened to ${max} seconds`);
      expirationSeconds = max;
    }
    // Upstream's safe rollout of bound tokens for the kubelet: a pod-bound token for the API server
    // asked with exactly 3607 s stays valid for a year but is reported as stale after 3607 s.
    let tokenExp = expirationSeconds;
    let warnAfterSeconds: number | undefined;
    if (deps.extendExpiration && bound?.kind === 'Pod' && expirationSeconds === WARN_ONLY_EXPIRATION_SECONDS && audiences.every((a) => deps.audiences.includes(a))) {
      warnAfterSeconds = expirationSeconds;
      tokenExp = maxExtended;
    }

    const jti = newJti();
    const issued = await issueToken({
      namespace,
      serviceAccount: { name, uid: saUid },
      audiences,
      expirationSeconds: tokenExp,
      boundObject: bound,
      podNode,
      warnAfterSeconds,
      issuer: deps.issuer,
      now,
      key: deps.key,
      jti,
    });
    if (opts.auditAnnotations) opts.auditAnnotations[ISSUED_CREDENTIAL_ID_ANNOTATION] = `JTI=${jti}`;

    const metadata: Obj = { name, namespace, creationTimestamp: rfc3339(now) };
    if (saUid) metadata.uid = saUid;
    const spec: Obj = { audiences, expirationSeconds, boundObjectRef: ref ? { ...ref } : null };
    const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + expirationSeconds * 1000);
    return {
      kind: 'TokenRequest',
      apiVersion: TOKEN_REQUEST_API_VERSION,
      metadata,
      spec,
      status: { token: issued.token, expirationTimestamp: rfc3339(expiresAt) },
    };
  };
}
