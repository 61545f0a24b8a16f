/**
 * The request pipeline, in run order. Every request crosses these stages; they are registered at
 * the root of the server (build-server.ts) so no route escapes them.
 *
 *   1. request info      (before the body is read)
 *   2. authentication    (before the body is read)
 *   2b. impersonation    (before the body is read)
 *   2c. priority and fairness: a seat, a queue or a 429                     flowcontrol/filter.ts
 *   3. authorization     (before the body is read)
 *   4. body decoding      JSON | YAML | protobuf, limits, unknown fields      rest/decode-object.ts
 *   5. mutating admission                                                     rest/admit.ts
 *   6. defaulting and validation                                              rest/admit.ts
 *   7. validating admission                                                   rest/admit.ts
 *   8. storage            optimistic concurrency, revisions                   rest/create|update|delete.ts
 *   9. response           JSON object, list, watch stream or Status           status.ts
 *
 * Stages 1-3 (2c included) run in fastify's onRequest hook, before fastify reads a single byte of the body, so
 * an unauthenticated or unauthorized client cannot make the server parse anything. Stages 4-9
 * run in the one catch-all route, in the order above, inside the REST handlers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, forbidden, internalError, unauthorized } from '../api/errors.ts';
import type { AuthnRequest, AuthnResult, MaybePromise, RequestAuthenticator, UserInfo } from '../authn/types.ts';
import { isPending } from '../authn/types.ts';
import type { Authorizer, AuthzAttributes, AuthzResult } from '../authz/types.ts';
import { forbiddenMessage } from '../authz/forbidden-message.ts';
import { selectorAttributes } from '../authz/selector-attributes.ts';
import type { TLSSocket } from 'node:tls';
import { parseRequestInfo, type RequestInfo } from './request-info.ts';
import { rawHeaderMap } from '../authn/raw-headers.ts';
import { stripProxyHeaders, type ProxyHeaderNames } from '../authn/request-header.ts';
import { hasImpersonationHeader, impersonate, stripImpersonationHeaders } from '../authn/impersonation.ts';
import type { Auditor } from '../audit/auditor.ts';
import { auditAuthorized, beginAudit, requestAudit, withAuthzDecision } from '../audit/request-hooks.ts';
import type { PipelineObserver } from '../metrics/pipeline-observer.ts';
import type { Release, RequestLimiter } from './flowcontrol/filter.ts';

/** What the pre-body stages leave on the request for the rest of the pipeline. */
export interface PipelineState {
  info: RequestInfo;
  query: URLSearchParams;
  /** The identity the request acts as (the impersonated one, if any). */
  user: UserInfo;
  /** The authenticated identity when it impersonates someone else (for audit). */
  impersonatedBy?: UserInfo;
  authnMethod: string;
  authz: AuthzResult;
  /** A watch's seat (API Priority and Fairness): the watch handler frees it once its initial events are written. */
  watchInitialized?: () => void;
}

export interface PipelineDeps {
  /** --audit-policy-file and its backends; absent: no records (every answer still has an Audit-Id). */
  auditor?: Auditor;
  /** Audit IDs for requests that bring none (default random UUIDs). */
  newAuditId?: () => string;
  authenticator: RequestAuthenticator;
  authorizer: Authorizer;
  /** Configured authenticating-proxy header names (stripped from every request). */
  proxyHeaders?: Partial<ProxyHeaderNames>;
  /** Told what authentication and authorization decided and how long each took (metrics, explain). */
  observer?: PipelineObserver;
  /** API Priority and Fairness (or the max-in-flight limit); absent: no concurrency limit. */
  limiter?: RequestLimiter;
}

const STATE = Symbol('portcullis.pipeline');

export function pipelineState(req: FastifyRequest): PipelineState {
  const s = (req as unknown as Record<symbol, PipelineState | undefined>)[STATE];
  if (!s) throw new ApiError(500, 'InternalError', 'Internal error occurred: request skipped the pipeline');
  return s;
}

/** Stage 1: what is being asked, from method, path and query alone. */
export function requestInfoStage(req: FastifyRequest): { info: RequestInfo; query: URLSearchParams } {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  // A path without an escape decodes to itself: skip the call (most paths have none).
  return { info: parseRequestInfo(req.method, path.includes('%') ? decodeURIComponentSafe(path) : path, query), query };
}

function decodeURIComponentSafe(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new ApiError(400, 'BadRequest', 'malformed URL path');
  }
}

/**
 * Stage 2: who is asking. No credential at all is 401; a bad credential is 401 too, never
 * anonymous. Authenticators read the raw header lines (Node folds repeated headers, which would
 * hide an injected second Authorization header). When the authenticator decides at once
 * (authenticateNow: a client certificate, a token from the file or a cache), so does this stage:
 * the identity, or the 401 thrown, without a promise. An authenticator that throws is a rejected
 * promise, never a throw.
 */
export function authenticationStage(deps: PipelineDeps, req: FastifyRequest, headers: Record<string, string[]>): MaybePromise<{ user: UserInfo; method: string }> {
  const areq: AuthnRequest = { headers, socket: req.raw.socket as TLSSocket };
  const t0 = performance.now();
  // Whatever the outcome, before anything else sees it (an async function's finally, without
  // the async function's own promise and await on every request).
  const settled = (r: AuthnResult | undefined): void => {
    // Proxy identity headers are only ever read by the request-header authenticator.
    stripProxyHeaders(req.headers, deps.proxyHeaders);
    deps.observer?.authenticated(req, r, performance.now() - t0);
  };
  const authenticator = deps.authenticator;
  let pending: MaybePromise<AuthnResult>;
  try {
    pending = authenticator.authenticateNow ? authenticator.authenticateNow(areq) : authenticator.authenticate(areq);
  } catch (err) {
    settled(undefined);
    return Promise.reject(err);
  }
  if (!isPending(pending)) {
    settled(pending);
    return authenticatedAs(req, pending);
  }
  return Promise.resolve(pending).then(
    (r) => {
      settled(r);
      return authenticatedAs(req, r);
    },
    (err: unknown) => {
      settled(undefined);
      throw err;
    },
  );
}

function authenticatedAs(req: FastifyRequest, r: AuthnResult): { user: UserInfo; method: string } {
  if (r.kind !== 'authenticated') {
    if (r.kind === 'rejected') req.log.info({ method: r.method, reason: r.error.message }, 'authentication rejected');
    throw unauthorized();
  }
  // Credentials are used up: nothing after this stage may see them.
  delete req.headers.authorization;
  return { user: r.user, method: r.method };
}

/**
 * Stage 2b: impersonation. Impersonate-* headers take effect only after the authorizer allows
 * the `impersonate` verb on each requested identity; the headers are removed afterwards. An
 * authorizer that fails here is a 403 for that identity, as upstream's impersonation filter
 * answers (`err != nil || decision != Allow` is Forbidden), not the 500 of stage 3; its error
 * goes to the log only.
 */
export async function impersonationStage(deps: PipelineDeps, req: FastifyRequest, headers: Record<string, string[]>, user: UserInfo): Promise<UserInfo | undefined> {
  try {
    return await impersonate(headers, user, async (a) => {
      const r = await deps.authorizer.authorize(a);
      if (r.evaluationError) req.log.error({ authorizer: r.authorizer, err: r.evaluationError }, 'impersonation check failed');
      return r;
    });
  } finally {
    stripImpersonationHeaders(req.headers);
  }
}

/**
 * Stage 3: may they? Anything but an explicit allow is a 403 with upstream's message. When the
 * authorizer decides synchronously (every authorizer of the chain can), so does this stage: the
 * answer, or the refusal thrown, without a promise.
 */
export function authorizationStage(deps: PipelineDeps, info: RequestInfo, user: UserInfo, log?: FastifyRequest['log'], req?: FastifyRequest): AuthzResult | Promise<AuthzResult> {
  const attrs: AuthzAttributes = {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    namespace: info.namespace,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
    ...selectorAttributes(info),
  };
  const t0 = performance.now();
  const authorizer = deps.authorizer;
  if (authorizer.authorizeSync) return authorizationDecided(deps, info, attrs, authorizer.authorizeSync(attrs), t0, log, req);
  return authorizer.authorize(attrs).then((r) => authorizationDecided(deps, info, attrs, r, t0, log, req));
}

function authorizationDecided(deps: PipelineDeps, info: RequestInfo, attrs: AuthzAttributes, r: AuthzResult, t0: number, log?: FastifyRequest['log'], req?: FastifyRequest): AuthzResult {
  if (req) deps.observer?.authorized(req, attrs.user, r, performance.now() - t0);
  if (r.decision === 'allow') return r;
  if (r.evaluationError) {
    // Upstream answers an authorizer error with a 500 (filters/authorization.go); its text may
    // name backends and addresses, so it goes to the log, never to the client.
    log?.error({ authorizer: r.authorizer, err: r.evaluationError }, 'authorization failed');
    throw withAuthzDecision(internalError('the request could not be authorized'), r);
  }
  let msg = forbiddenMessage(attrs);
  if (r.reason) msg += `: ${r.reason}`;
  if (!info.isResourceRequest) throw withAuthzDecision(new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {}), r);
  throw withAuthzDecision(forbidden({ group: info.apiGroup, resource: info.resource }, info.name, msg), r);
}

/**
 * Runs stages 1-3 in order and records the outcome on the request. Each stage that decides at
 * once (an authenticator chain that needs no waiting, no impersonation asked, a seat free,
 * authorizers that never wait) continues in the same tick instead of through a promise per stage;
 * when all do, the outcome is too (undefined, or the refusal thrown). Any stage's refusal, thrown
 * here or rejected later, ends the request the same way (the caller treats both alike), and the
 * stages run and refuse in the same order as before.
 */
export function runPreBodyStages(deps: PipelineDeps, req: FastifyRequest, reply: FastifyReply): void | Promise<void> {
  // Audit first: a request refused at any later stage is still recorded with what was known.
  beginAudit(deps.auditor, deps.newAuditId, req, reply);
  const { info, query } = requestInfoStage(req);
  requestAudit(req)?.setInfo(info);
  const headers = rawHeaderMap(req.raw.rawHeaders);
  const who = authenticationStage(deps, req, headers);
  if (isPending(who)) return who.then((w) => authenticatedStage(deps, req, reply, info, query, headers, w));
  return authenticatedStage(deps, req, reply, info, query, headers, who);
}

function authenticatedStage(deps: PipelineDeps, req: FastifyRequest, reply: FastifyReply, info: RequestInfo, query: URLSearchParams, headers: Record<string, string[]>, who: { user: UserInfo; method: string }): void | Promise<void> {
  const { user, method } = who;
  const s: Stages = { deps, req, reply, info, query, authenticated: user, method, user, impersonated: undefined };
  // As upstream, the policy sees the authenticated user (audit runs before impersonation).
  requestAudit(req)?.authenticated(user);
  // impersonate() asks nothing of a request without Impersonate-* headers: skip its promise.
  if (hasImpersonationHeader(headers)) return impersonationStage(deps, req, headers, user).then((imp) => admitStage(s, imp));
  stripImpersonationHeaders(req.headers);
  return admitStage(s, undefined);
}

/** What the stages after authentication carry along. */
interface Stages {
  deps: PipelineDeps;
  req: FastifyRequest;
  reply: FastifyReply;
  info: RequestInfo;
  query: URLSearchParams;
  authenticated: UserInfo;
  method: string;
  /** The identity the request acts as (the impersonated one, if any). */
  user: UserInfo;
  impersonated: UserInfo | undefined;
}

function admitStage(s: Stages, impersonated: UserInfo | undefined): void | Promise<void> {
  s.impersonated = impersonated;
  s.user = impersonated ?? s.authenticated;
  if (impersonated) requestAudit(s.req)?.impersonating(impersonated);
  // As upstream's chain: the (impersonated) user is classified before authorization runs.
  // Its seat is released when the response closes, a watch's as soon as it is initialized.
  const admitted = s.deps.limiter?.admit(s.req, s.reply, s.info, s.user);
  if (admitted instanceof Promise) return admitted.then((release) => authorizeStage(s, release));
  return authorizeStage(s, admitted);
}

function authorizeStage(s: Stages, release: Release): void | Promise<void> {
  const authz = authorizationStage(s.deps, s.info, s.user, s.req.log, s.req);
  if (authz instanceof Promise) return authz.then((r) => recordState(s, release, r));
  recordState(s, release, authz);
}

function recordState(s: Stages, release: Release, authz: AuthzResult): void {
  auditAuthorized(s.req, authz);
  const state: PipelineState = { info: s.info, query: s.query, user: s.user, authnMethod: s.method, authz };
  if (release && s.info.verb === 'watch') state.watchInitialized = release;
  if (s.impersonated) state.impersonatedBy = s.authenticated;
  (s.req as unknown as Record<symbol, PipelineState>)[STATE] = state;
}
