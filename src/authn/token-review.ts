/**
 * The TokenReview API (POST /apis/authentication.k8s.io/v1/tokenreviews): other components ask
 * "whose token is this?" and the server answers with its own bearer-token chain, as upstream's
 * pkg/registry/authentication/tokenreview does. Nothing is stored.
 *
 * Upstream's wire shape: the request's metadata and spec come back with a status whose
 * `authenticated` is omitted when false and whose `user` is always present ({} when nobody).
 * An empty token is a 400 ("token is required for TokenReview in authentication"). When the
 * review (or the server, --api-audiences) names audiences, an authenticated answer must name one
 * of them or the review fails with a 500 ("error validating audiences"), as upstream.
 *
 * A rejection's message is the authenticator's own client-facing text (e.g. "invalid bearer
 * token"); internal failures (a webhook down, a store error) are reported only as a generic
 * message so infrastructure details never reach the caller.
 */
import { badRequest, internalError } from '../api/errors.ts';
import type { AuthnResult, UserInfo } from './types.ts';
import { GROUP_AUTHENTICATED, USER_ANONYMOUS } from './types.ts';

export type ReviewResult = AuthnResult & { audiences?: string[] };

/** The server's bearer chain, asked about one token for these audiences (empty: the server's own). */
export type ReviewAuthenticate = (token: string, audiences: readonly string[]) => Promise<ReviewResult>;

export interface TokenReviewOptions {
  authenticateToken: ReviewAuthenticate;
  /** --api-audiences: assumed when the review names none. Default none. */
  apiAudiences?: readonly string[];
}

export const INTERNAL_ERROR_MESSAGE = 'token could not be verified';

export interface TokenReviewResponse {
  code: 201;
  body: Record<string, unknown>;
}

/**
 * Answers one TokenReview. `review` is the decoded request object (apiVersion and kind already
 * checked by the REST layer); `namespace` is the request's namespace, which must be empty.
 */
export async function reviewToken(review: Record<string, unknown>, opts: TokenReviewOptions, namespace = ''): Promise<TokenReviewResponse> {
  if (namespace !== '') throw badRequest(`namespace is not allowed on this type: ${namespace}`);
  const spec = review.spec ?? {};
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw badRequest('spec must be an object');
  const s = spec as Record<string, unknown>;
  if (s.token !== undefined && s.token !== null && typeof s.token !== 'string') throw badRequest('spec.token must be a string');
  const token = typeof s.token === 'string' ? s.token : '';
  if (token === '') throw badRequest('token is required for TokenReview in authentication');
  if (s.audiences !== undefined && s.audiences !== null && !(Array.isArray(s.audiences) && s.audiences.every((a) => typeof a === 'string'))) {
    throw badRequest('spec.audiences must be a list of strings');
  }
  const wanted = (s.audiences as string[] | null | undefined) ?? [];
  const auds = wanted.length > 0 ? wanted : [...(opts.apiAudiences ?? [])];

  let r: ReviewResult;
  try {
    r = await opts.authenticateToken(token, auds);
  } catch {
    // An authenticator that throws has not said yes: answer unauthenticated, never a user.
    return respond(review, s, { user: {}, error: INTERNAL_ERROR_MESSAGE });
  }
  const status: Record<string, unknown> = { user: {} };
  if (r.kind === 'rejected') status.error = r.error.code === 'Internal' ? INTERNAL_ERROR_MESSAGE : r.error.message;
  if (r.kind === 'authenticated') {
    const got = r.audiences ?? [];
    if (auds.length > 0 && !auds.some((a) => got.includes(a))) throw internalError('error validating audiences');
    status.authenticated = true;
    status.user = userInfo(r.user);
    if (got.length > 0) status.audiences = [...got];
  }
  return respond(review, s, status);
}

function respond(review: Record<string, unknown>, spec: Record<string, unknown>, status: Record<string, unknown>): TokenReviewResponse {
  const meta = typeof review.metadata === 'object' && review.metadata !== null && !Array.isArray(review.metadata) ? review.metadata : {};
  return {
    code: 201,
    body: {
      kind: 'TokenReview',
      apiVersion: typeof review.apiVersion === 'string' && review.apiVersion !== '' ? review.apiVersion : 'authentication.k8s.io/v1',
      metadata: { ...meta, creationTimestamp: null },
      spec,
      status,
    },
  };
}

/** UserInfo as the API serialises it (empty fields omitted), in system:authenticated as upstream's chain adds it. */
function userInfo(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out.uid = u.uid;
  const groups = u.username !== USER_ANONYMOUS && !u.groups.includes(GROUP_AUTHENTICATED) ? [...u.groups, GROUP_AUTHENTICATED] : [...u.groups];
  if (groups.length > 0) out.groups = groups;
  if (u.extra && Object.keys(u.extra).length > 0) out.extra = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]]));
  return out;
}

/**
 * Wraps a token check that knows nothing of audiences (token file, bootstrap tokens, the bearer
 * chain as a whole) as upstream's audience-agnostic wrapper does: such tokens are good for the
 * server's own audiences only, so a review for other audiences gets no opinion.
 */
export function audienceAgnostic(implicit: readonly string[], check: (token: string) => Promise<AuthnResult>): ReviewAuthenticate {
  return async (token, audiences) => {
    if (audiences.length === 0) return check(token);
    const both = implicit.filter((a) => audiences.includes(a));
    if (both.length === 0) return { kind: 'no-opinion' };
    const r = await check(token);
    return r.kind === 'authenticated' ? { ...r, audiences: both } : r;
  };
}
