/**
 * The request pipeline's concurrency stage, after authentication and impersonation and before
 * authorization (upstream's WithPriorityAndFairness, or WithMaxInFlightLimit when
 * --enable-priority-and-fairness=false). "Executing" here means in flight on the event loop: from
 * the seat's grant until the response is closed. Long-running requests other than watches
 * (exec, attach, port-forward, proxy, log) are not limited, as upstream. A watch holds its seat
 * while it initializes, as upstream: the watch handler releases it once the initial events are
 * written (PipelineState.watchInitialized); its stream runs without one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../api/errors.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { rejectedClassification, TOO_MANY_REQUESTS_MESSAGE, type Classification, type FlowControl } from './flow-control.ts';

export const FLOW_SCHEMA_UID_HEADER = 'X-Kubernetes-PF-FlowSchema-UID';
export const PRIORITY_LEVEL_UID_HEADER = 'X-Kubernetes-PF-PriorityLevel-UID';

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);
const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);

/** Upstream's BasicLongRunningRequestCheck(watch, proxy; attach, exec, proxy, log, portforward). */
export function isLongRunning(info: RequestInfo): boolean {
  return LONG_RUNNING_VERBS.has(info.verb) || (info.isResourceRequest && LONG_RUNNING_SUBRESOURCES.has(info.subresource));
}

/** A seat's early release (a watch's, once initialized), or nothing to release. */
export type Release = (() => void) | undefined;

export interface RequestLimiter {
  /**
   * Gives the release once the request may proceed, its seat released when the response closes;
   * the release frees it earlier (a watch, once initialized). A seat free at once is given
   * directly, without a promise (most requests: no microtask on the request path); a request that
   * queues gets a promise. A refusal is always a rejected promise with a 429 ApiError.
   */
  admit(req: FastifyRequest, reply: FastifyReply, info: RequestInfo, user: UserInfo): Release | Promise<Release>;
}

function classificationHeaders(reply: FastifyReply, c: Classification): void {
  // UIDs, not names, as upstream: the names an administrator chose are not shown to clients.
  reply.header(PRIORITY_LEVEL_UID_HEADER, c.level.uid);
  reply.header(FLOW_SCHEMA_UID_HEADER, c.schema.uid);
}

export function priorityAndFairness(fc: FlowControl): RequestLimiter {
  return {
    admit(_req, reply, info, user) {
      if (info.verb !== 'watch' && isLongRunning(info)) return undefined;
      const res = reply.raw;
      // A client that left while it was being authenticated has had its 'close' already: it
      // leaves the queue at once rather than hold a place there until the wait limit (15 s).
      const c = fc.admitNow(info, user, (cb) => (res.destroyed || res.writableEnded ? cb() : res.once('close', cb)));
      if (!(c instanceof Promise)) return seated(reply, c);
      return c.then(
        (granted) => seated(reply, granted),
        (err: unknown) => {
          const rc = rejectedClassification(err);
          if (rc) classificationHeaders(reply, rc);
          throw err;
        },
      );
    },
  };
}

function seated(reply: FastifyReply, c: Classification): () => void {
  classificationHeaders(reply, c);
  const res = reply.raw;
  const release = c.release!;
  // A client that left before the seat was granted already closed the response.
  if (res.destroyed || res.writableEnded) release();
  else res.once('close', release);
  return release;
}

/**
 * --enable-priority-and-fairness=false: upstream's max-in-flight limit, read-only and mutating
 * requests counted apart; over the limit a 429 with Retry-After 1, except for system:masters.
 */
export function maxInFlight(readOnlyLimit: number, mutatingLimit: number): RequestLimiter {
  const inFlight = { readOnly: 0, mutating: 0 };
  return {
    admit(_req, reply, info, user) {
      if (isLongRunning(info)) return undefined;
      const kind = READ_ONLY_VERBS.has(info.verb) ? 'readOnly' : 'mutating';
      const limit = kind === 'readOnly' ? readOnlyLimit : mutatingLimit;
      if (limit === 0) return undefined;
      if (inFlight[kind] >= limit) {
        if (user.groups.includes('system:masters')) return undefined;
        return Promise.reject(new ApiError(429, 'TooManyRequests', TOO_MANY_REQUESTS_MESSAGE, { retryAfterSeconds: 1 }));
      }
      inFlight[kind]++;
      let done = false;
      const release = () => {
        if (done) return;
        done = true;
        inFlight[kind]--;
      };
      // A client that left while it was being authenticated has had its 'close' already; waiting
      // for another would keep the seat for good, and enough of them would refuse everyone.
      if (reply.raw.destroyed || reply.raw.writableEnded) release();
      else reply.raw.once('close', release);
      return release;
    },
  };
}
