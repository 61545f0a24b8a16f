/**
 * The two other webhook questions an existing cluster can ask (DESIGN.md's webhook run mode):
 * a SubjectAccessReview (kube-apiserver --authorization-mode=Webhook) answered by RBAC over the
 * Roles, ClusterRoles and bindings of the policy files, and a TokenReview (--authentication-token-
 * webhook-config-file) answered from a token file. Both answer with the review object and its
 * status, as upstream's webhook backends do; the server's own TokenReview code shapes the status.
 *
 * RBAC never denies, it only allows: a request no rule allows is `allowed: false` without
 * `denied`, which the API server reads as "no opinion" and passes to its next authorizer.
 */
import { ApiError } from '../api/errors.ts';
import { audienceAgnostic, reviewToken } from '../authn/token-review.ts';
import type { TokenAuthenticator } from '../authn/bearer.ts';
import type { Authorizer, AuthzAttributes } from '../authz/types.ts';
import { BadReview, expectKind } from './admission-review.ts';

type Obj = Record<string, any>;

const SAR_VERSIONS = ['authorization.k8s.io/v1', 'authorization.k8s.io/v1beta1'];
const TOKEN_REVIEW_VERSIONS = ['authentication.k8s.io/v1', 'authentication.k8s.io/v1beta1'];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function field(o: Obj, name: string, where: string): string {
  const v = o[name];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new BadReview(`${where}.${name} must be a string`);
  return v;
}

/** The authorizer's question a SubjectAccessReview asks (the webhook authorizer's wire form). */
export function sarAttributes(doc: Obj): AuthzAttributes {
  expectKind(doc, 'SubjectAccessReview', SAR_VERSIONS);
  const spec = doc.spec;
  if (!isObj(spec)) throw new BadReview('SubjectAccessReview.spec is required');
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if ((ra === undefined || ra === null) === (nra === undefined || nra === null)) throw new BadReview('exactly one of spec.nonResourceAttributes or spec.resourceAttributes must be specified');
  // v1beta1 names the groups "group".
  const groups = spec.groups ?? spec.group ?? [];
  if (!strings(groups)) throw new BadReview('spec.groups must be a list of strings');
  const extra = spec.extra ?? {};
  if (!isObj(extra) || !Object.values(extra).every(strings)) throw new BadReview('spec.extra must be a map of string lists');
  const user = { username: field(spec, 'user', 'spec'), groups, ...(typeof spec.uid === 'string' && spec.uid ? { uid: spec.uid } : {}), ...(Object.keys(extra).length ? { extra: extra as Record<string, string[]> } : {}) };
  if (user.username === '' && groups.length === 0) throw new BadReview('at least one of spec.user or spec.groups must be specified');
  if (isObj(ra)) {
    const w = 'spec.resourceAttributes';
    return {
      user, verb: field(ra, 'verb', w), isResourceRequest: true, path: '',
      apiGroup: field(ra, 'group', w), apiVersion: field(ra, 'version', w), namespace: field(ra, 'namespace', w),
      resource: field(ra, 'resource', w), subresource: field(ra, 'subresource', w), name: field(ra, 'name', w),
    };
  }
  if (!isObj(nra)) throw new BadReview('spec.nonResourceAttributes must be an object');
  return { user, verb: field(nra, 'verb', 'spec.nonResourceAttributes'), isResourceRequest: false, path: field(nra, 'path', 'spec.nonResourceAttributes'), apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}

export async function answerSubjectAccessReview(doc: Obj, authorizer: Authorizer): Promise<Obj> {
  const r = await authorizer.authorize(sarAttributes(doc));
  const status: Obj = { allowed: r.decision === 'allow' };
  if (r.decision === 'deny' && !r.evaluationError) status.denied = true;
  if (r.reason) status.reason = r.reason;
  if (r.evaluationError) status.evaluationError = r.evaluationError;
  return { apiVersion: doc.apiVersion, kind: 'SubjectAccessReview', metadata: { creationTimestamp: null }, spec: doc.spec, status };
}

export async function answerTokenReview(doc: Obj, authenticator: TokenAuthenticator): Promise<Obj> {
  expectKind(doc, 'TokenReview', TOKEN_REVIEW_VERSIONS);
  try {
    // Tokens of a file are good for no particular audience: a review naming audiences gets no user.
    return (await reviewToken(doc, { authenticateToken: audienceAgnostic([], (t) => authenticator.authenticateToken(t)) })).body;
  } catch (err) {
    if (err instanceof ApiError && err.code === 400) throw new BadReview(err.message);
    throw err;
  }
}
