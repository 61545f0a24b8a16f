/**
 * The server's side of metrics, traces and denial events: hooks registered ahead of the pipeline
 * (so refused requests count too) and the calls the route handler makes for watches and admission.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VerdictRecord } from '../admission/types.ts';
import type { ResourceRegistry } from '../api/registry/registry.ts';
import { USER_ANONYMOUS } from '../authn/types.ts';
import { pipelineState, requestInfoStage } from '../server/pipeline.ts';
import type { RequestInfo } from '../server/request-info.ts';
import { newTrace, traceAdmission, traceStatus, type RequestTrace, type TraceRing } from '../server/trace.ts';
import type { DenialEvents } from '../server/denial-events.ts';
import type { ApiserverMetrics } from './apiserver-metrics.ts';
import { attachTrace, traceOf } from './pipeline-observer.ts';
import { admissionOperation } from './request-labels.ts';

export interface Instruments {
  metrics: ApiserverMetrics;
  traces: TraceRing;
  events?: DenialEvents;
  registry: ResourceRegistry;
  now: () => Date;
}

/** Bookkeeping beside the trace: in-flight kind, and whether a watch finishes the request itself. */
interface Tracked extends RequestTrace {
  inflight?: 'readOnly' | 'mutating';
  watch?: boolean;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Registers the hooks; call before the pipeline's onRequest hook so every request has a trace. */
export function instrumentRequests(app: FastifyInstance, ins: Instruments): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const t: Tracked = newTrace(req.method, req.url, ins.now().getTime());
    t.inflight = ins.metrics.requestStarted(req.method);
    attachTrace(req, t);
    done();
  });
  // A client gone before its answer: the request is no longer in flight (onResponse may not run).
  app.addHook('onRequestAbort', (req, done) => {
    endInflight(ins, traceOf(req) as Tracked | undefined);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const t = traceOf(req) as Tracked | undefined;
    if (t && !t.watch) finish(ins, req, reply, t, reply.statusCode, reply.elapsedTime);
    done();
  });
}

/** The error Status a request is answered with, for its trace (and its denial Event). */
export function noteStatus(req: FastifyRequest, status: { reason?: string; message?: string; details?: { name?: string } }): void {
  const t = traceOf(req);
  if (t) traceStatus(t, status.reason, status.message, status.details?.name);
}

/** The admission verdicts of a resource request, once its write is done or refused. */
export function noteAdmission(ins: Instruments, req: FastifyRequest, info: RequestInfo, records: readonly VerdictRecord[]): void {
  if (records.length === 0) return;
  ins.metrics.admission(records, admissionOperation(info));
  const t = traceOf(req);
  if (t) traceAdmission(t, records);
}

/**
 * A watch has started: it stops counting as in flight and counts as long-running until its
 * connection closes, when it is recorded as a finished request. Returns the per-event counter.
 */
export function watchStarted(ins: Instruments, req: FastifyRequest, reply: FastifyReply, info: RequestInfo, query: URLSearchParams): (bytes: number) => void {
  const t = traceOf(req) as Tracked | undefined;
  endInflight(ins, t);
  if (t) t.watch = true;
  const started = performance.now();
  const end = ins.metrics.longRunningStarted(req.method, info, query);
  reply.raw.once('close', () => {
    end();
    if (t) finish(ins, req, reply, t, reply.raw.statusCode, performance.now() - started);
  });
  return (bytes) => ins.metrics.watchEvent(info, bytes);
}

function endInflight(ins: Instruments, t: Tracked | undefined): void {
  if (!t?.inflight) return;
  ins.metrics.requestEnded(t.inflight);
  t.inflight = undefined;
}

function finish(ins: Instruments, req: FastifyRequest, reply: FastifyReply, t: Tracked, code: number, elapsedMs: number): void {
  endInflight(ins, t);
  const known = infoOf(req);
  const len = reply.getHeader('content-length');
  if (known) {
    ins.metrics.requestFinished({
      method: req.method,
      info: known.info,
      query: known.query,
      contentType: req.headers['content-type'],
      code,
      seconds: elapsedMs / 1000,
      bytes: len === undefined ? undefined : Number(len),
    });
    t.verb = known.info.verb;
  }
  t.code = code;
  t.durationMs = elapsedMs;
  const id = reply.getHeader('audit-id');
  if (typeof id === 'string') t.auditID = id;
  ins.traces.add(t);
  if (code === 403 && known && ins.events) denialEvent(ins, ins.events, known.info, t);
}

/** What the pipeline parsed; for a request refused before it finished (401, 403), parsed again. */
function infoOf(req: FastifyRequest): { info: RequestInfo; query: URLSearchParams } | undefined {
  try {
    return pipelineState(req);
  } catch {
    try {
      return requestInfoStage(req);
    } catch {
      return undefined;
    }
  }
}

/** A namespaced write refused by admission or authorization leaves an Event (denial-events.ts). */
function denialEvent(ins: Instruments, events: DenialEvents, info: RequestInfo, t: RequestTrace): void {
  if (!info.isResourceRequest || !info.namespace || !WRITE_VERBS.has(info.verb)) return;
  // Anonymous clients could otherwise write events into every namespace they can name.
  if (!t.user || t.user.username === USER_ANONYMOUS) return;
  const def = ins.registry.get(info.apiGroup, info.apiVersion, info.resource);
  if (!def || !def.namespaced) return;
  const denied = t.admission?.find((a) => !a.allowed);
  const authzDenied = t.authz !== undefined && t.authz.decision !== 'allow';
  if (!denied && !authzDenied) return;
  const message = t.status?.message ?? '';
  void events.record({
    namespace: info.namespace,
    def,
    name: info.name || t.status?.name || '',
    reason: denied ? 'FailedAdmission' : 'Forbidden',
    message: denied ? `${message} (user "${t.user.username}", plugin ${denied.plugin})` : message,
  });
}
