/**
 * What the pipeline's stages report as they decide (src/server/pipeline.ts calls these): the
 * metrics are counted and the request's decision trace is filled in.
 */
import type { FastifyRequest } from 'fastify';
import type { AuthnResult, UserInfo } from '../authn/types.ts';
import type { AuthzResult } from '../authz/types.ts';
import type { RequestTrace } from '../server/trace.ts';
import type { ApiserverMetrics } from './apiserver-metrics.ts';

export interface PipelineObserver {
  /** `r` is undefined when the authenticator threw. */
  authenticated(req: FastifyRequest, r: AuthnResult | undefined, ms: number): void;
  /** `user` is the identity authorized (the impersonated one, if any). */
  authorized(req: FastifyRequest, user: UserInfo, r: AuthzResult, ms: number): void;
}

const TRACE = Symbol('portcullis.trace');

/** The trace of a request, once the server has started one (see attachTrace). */
export function traceOf(req: FastifyRequest): RequestTrace | undefined {
  return (req as unknown as Record<symbol, RequestTrace | undefined>)[TRACE];
}

export function attachTrace(req: FastifyRequest, t: RequestTrace): void {
  (req as unknown as Record<symbol, RequestTrace>)[TRACE] = t;
}

export function pipelineObserver(metrics: ApiserverMetrics): PipelineObserver {
  return {
    authenticated(req, r, ms) {
      const result = r === undefined || r.kind === 'rejected' ? 'error' : r.kind === 'authenticated' ? 'success' : 'failure';
      const user = r?.kind === 'authenticated' ? r.user : undefined;
      metrics.authenticated(result, user, ms / 1000);
      const t = traceOf(req);
      if (!t) return;
      t.authnResult = result;
      t.authnMs = ms;
      if (r && r.kind !== 'no-opinion') t.authnMethod = r.method;
      if (user) t.user = user;
    },
    authorized(req, user, r, ms) {
      metrics.authorized(r, ms / 1000);
      const t = traceOf(req);
      if (!t) return;
      if (t.user && t.user !== user) t.impersonatedBy = t.user;
      t.user = user;
      t.authz = r;
      t.authzMs = ms;
    },
  };
}
