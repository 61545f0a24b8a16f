import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { AdmissionChain, emptyOutcome } from '../admission/chain.ts';
import type { MutatingPlugin, ValidatingPlugin } from '../admission/types.ts';
import { buildAdmissionPlugins, type AdmissionSelection } from '../admission/registry.ts';
import { badRequest, methodNotAllowed, resourceNotFound } from '../api/errors.ts';
import { MAX_BODY_BYTES } from '../api/codecs/limits.ts';
import { loadSchema } from '../api/schema/schema.ts';
import type { Schema } from '../api/schema/types.ts';
import { builtinResources, mutatingAdmissionPolicyResources } from '../api/registry/builtin.ts';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { UnionAuthenticator } from '../authn/union.ts';
import { buildAuthenticators, type AuthnConfig } from '../authn/config.ts';
import { audienceAgnostic } from '../authn/token-review.ts';
import type { RequestAuthenticator } from '../authn/types.ts';
import { UnionAuthorizer } from '../authz/union.ts';
import { MastersAuthorizer } from '../authz/masters.ts';
import type { Authorizer } from '../authz/types.ts';
import type { RbacAuthorizer } from '../authz/rbac/authorizer.ts';
import type { Store } from '../storage/types.ts';
import type { TokenRequestHandler } from '../authn/service-account/token-request.ts';
import { pipelineState, runPreBodyStages, type PipelineDeps } from './pipeline.ts';
import { statusFromError, statusJson, toApiError, type Status } from './status.ts';
import { SERVING_CIPHERS, refuseRenegotiation } from './tls-policy.ts';
import type { RestContext, RestRequest, RestResponse } from './rest/context.ts';
import { dispatch } from './rest/dispatch.ts';
import { serveWatch } from './rest/watch.ts';
import { WatchRegistry, watchLimits, type WatchLimits } from './rest/watch-limits.ts';
import { serveNonResource } from './non-resource.ts';
import { acceptedFormats, notAcceptable, type OutputFormat } from './negotiate.ts';
import { utf8HeaderBytes } from '../authn/raw-headers.ts';
import { encodeBody } from './respond.ts';
import { wantsTable } from '../api/printers/index.ts';
import type { Auditor } from '../audit/auditor.ts';
import { auditFailure, auditWatch, decodeForAudit, requestAudit } from '../audit/request-hooks.ts';
import { ApiserverMetrics } from '../metrics/apiserver-metrics.ts';
import { instrumentRequests, noteAdmission, noteStatus, watchStarted, type Instruments } from '../metrics/instrument.ts';
import { pipelineObserver } from '../metrics/pipeline-observer.ts';
import { InstrumentedStore, registerObjectCounts, registerStorageSize } from '../metrics/store-metrics.ts';
import { registerAuditMetrics } from '../metrics/audit-metrics.ts';
import { TraceRing } from './trace.ts';
import { DenialEvents, type DenialEventLimits } from './denial-events.ts';
import type { KubeletClientTls } from './node-proxy/kubelet-proxy.ts';
import { NODE_STREAM_SUBRESOURCES, serveNodeStream } from './node-proxy/serve.ts';
import { serveNodeProxy } from './node-proxy/node-proxy.ts';
import { routeUpgrades } from './node-proxy/upgrade-routing.ts';
import { buildLimiter, type FlowControlFlags } from './flowcontrol/setup.ts';
import type { FlowControl } from './flowcontrol/flow-control.ts';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  /** CA that client certificates must chain to. */
  clientCaPem: string;
}

export interface ServerOptions {
  tls: TlsMaterial;
  store: Store;
  logger?: Logger;
  registry?: ResourceRegistry;
  schema?: Schema;
  /** Authentication methods beyond client certificates (flags of `portcullis up`). */
  authn?: Omit<AuthnConfig, 'clientCaPem'>;
  /** Replace the authenticators altogether (tests). */
  authenticators?: RequestAuthenticator[];
  authorizers?: Authorizer[];
  /** The RBAC authorizer, for escalation checks and SelfSubjectRulesReview. */
  rbac?: RbacAuthorizer;
  /** --enable-admission-plugins / --disable-admission-plugins */
  admission?: AdmissionSelection;
  mutating?: MutatingPlugin[];
  validating?: ValidatingPlugin[];
  now?: () => Date;
  random?: () => number;
  newUid?: () => string;
  bookmarkIntervalMs?: number;
  /** Per-user watch cap and per-watch backlog bounds (defaults in rest/watch-limits.ts). */
  watch?: Partial<WatchLimits>;
  tokenRequest?: TokenRequestHandler;
  /** Audit policy and backends (--audit-*); the caller closes it after the server. */
  auditor?: Auditor;
  /** --api-audiences (for TokenReview). */
  apiAudiences?: string[];
  /** The store's size on disk and an ID for it (apiserver_storage_size_bytes), when known. */
  storageSize?: { clusterId: string; bytes: () => number | Promise<number> };
  /** Decision traces kept for `portcullis explain` (default DEFAULT_TRACE_CAPACITY). */
  traceCapacity?: number;
  /** Bounds on the Events recorded for denied writes (defaults in denial-events.ts). */
  denialEvents?: Partial<DenialEventLimits>;
  /** The client identity towards node agents (--kubelet-client-certificate/-key, the cluster CA). */
  kubeletClient?: KubeletClientTls;
  /** --enable-priority-and-fairness, --max-requests-inflight, --max-mutating-requests-inflight. */
  flowControl?: FlowControlFlags;
}

export interface BuiltServer {
  app: FastifyInstance;
  ctx: RestContext;
  /** API Priority and Fairness, unless --enable-priority-and-fairness=false. */
  flowControl?: FlowControl;
}

/** Assembles the API server: fastify over mutual TLS, the pipeline at the root, one catch-all route. */
export function buildServer(opts: ServerOptions): BuiltServer {
  const log = opts.logger ?? pino({ level: process.env.PORTCULLIS_LOG_LEVEL ?? 'warn' });
  const registry = opts.registry ?? new ResourceRegistry(builtinResources());
  const authorizer = new UnionAuthorizer(opts.authorizers ?? [new MastersAuthorizer()]);
  const now = opts.now ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const newUid = opts.newUid ?? randomUUID;
  const metrics = new ApiserverMetrics(registry);
  const observeWebhook = metrics.webhook.bind(metrics);
  const plugins = buildAdmissionPlugins(opts.admission ?? {}, { store: opts.store, authorizer, now, random, newUid, log, observeWebhook }, registry);
  // As upstream's feature gate and runtime-config: MutatingAdmissionPolicy objects are served only
  // while the plugin that enforces them runs (a policy accepted and never applied is worse than none).
  if (plugins.enabled.includes('MutatingAdmissionPolicy')) for (const d of mutatingAdmissionPolicyResources()) registry.add(d);
  const built = buildAuthenticators({ ...opts.authn, clientCaPem: opts.tls.clientCaPem }, now, log, (k) => opts.store.get(k), opts.store.getNow ? (k) => opts.store.getNow!(k) : undefined);
  registerObjectCounts(metrics, opts.store, registry);
  if (opts.storageSize) registerStorageSize(metrics, opts.storageSize.clusterId, opts.storageSize.bytes);
  if (opts.auditor) registerAuditMetrics(metrics, opts.auditor);
  const ctx: RestContext = {
    // The REST layer's store calls are timed (etcd_request_duration_seconds).
    store: new InstrumentedStore(opts.store, metrics),
    registry,
    schema: opts.schema ?? loadSchema(),
    admission: new AdmissionChain(opts.mutating ?? plugins.mutating, opts.validating ?? plugins.validating),
    authorizer,
    now,
    random,
    newUid,
    log,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    watches: new WatchRegistry(watchLimits(opts.watch)),
    tokenRequest: opts.tokenRequest,
    rbac: opts.rbac,
    // TokenReview asks the same bearer-token chain a request would.
    reviewToken: audienceAgnostic(opts.apiAudiences ?? [], (t) => built.bearer.authenticate({ headers: { authorization: [`Bearer ${t}`] }, socket: undefined })),
    apiAudiences: opts.apiAudiences ?? [],
    metrics,
    traces: new TraceRing(opts.traceCapacity),
    kubeletClient: opts.kubeletClient,
  };
  const ins: Instruments = { metrics, traces: ctx.traces!, registry, now };
  ins.events = new DenialEvents({ store: ctx.store, registry, now, newUid, log, limits: opts.denialEvents, count: (r) => metrics.m.denialEvents.labels(r).inc() });
  const deps: PipelineDeps = {
    authenticator: new UnionAuthenticator(opts.authenticators ?? built.members),
    authorizer,
    auditor: opts.auditor,
    newAuditId: opts.newUid,
    proxyHeaders: opts.authn?.requestHeader,
    observer: pipelineObserver(metrics),
  };
  const limits = buildLimiter(opts.flowControl ?? {}, { store: ctx.store, registry, now, log, metrics: metrics.registry });
  deps.limiter = limits.limiter;

  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // Kubernetes paths are case-sensitive and may end in a slash.
    routerOptions: { ignoreTrailingSlash: true },
    https: {
      cert: opts.tls.certPem,
      key: opts.tls.keyPem,
      // Client certificates may come from the client CA or the authenticating proxy's CA; the
      // authenticators check which (see src/authn/x509.ts).
      ca: built.trustedCaPems,
      // Ask for a client certificate but let authentication judge it: a bad certificate is a
      // 401 Status, and other credentials (tokens) can still be used on the same port.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // ECDHE with AEAD ciphers only, as Go's defaults (see tls-policy.ts).
      ciphers: SERVING_CIPHERS,
      // Above the 16 KiB bearer-token limit, so an oversized credential gets a 401 Status from the
      // authenticators rather than a bare 431 from the HTTP parser.
      maxHeaderSize: 64 * 1024,
    },
    http2: false,
    // What the router refuses before any hook runs (a path with a malformed %-escape) is still a
    // Kubernetes Status, worded as Go's url parser words it (upstream's server refuses such a
    // request line before its handlers too).
    frameworkErrors: (err, _req, reply) => {
      const bad = (err as { code?: string }).code === 'FST_ERR_BAD_URL' ? /%(?![0-9A-Fa-f]{2})[^%]{0,2}/.exec(_req.raw.url ?? '')?.[0] : undefined;
      const status = statusFromError(badRequest(bad !== undefined ? `invalid URL escape ${JSON.stringify(bad)}` : err.message));
      void (reply as unknown as FastifyReply).code(status.code).header('content-type', 'application/json').send(statusJson(status));
    },
  }) as unknown as FastifyInstance;
  app.server.on('secureConnection', refuseRenegotiation);
  // Upgrade requests (exec, attach, port-forward) run through the same pipeline and routes.
  routeUpgrades(app);

  // Bodies stay raw bytes until the decode stage: the pipeline decides how to read them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  // Before the pipeline: requests it refuses are counted and traced too.
  instrumentRequests(app, ins);
  // Denial Events expire as upstream's (--event-ttl 1h).
  const stopSweeper = ins.events!.startSweeper();
  app.addHook('onClose', async () => stopSweeper());
  // The FlowSchemas and priority levels are followed from the store while the server runs.
  app.addHook('onReady', async () => limits.start());
  app.addHook('onClose', async () => limits.stop());
  // The callback form: the stages' own promise is the only one (an async hook adds another), and
  // none when every stage decided at once. A stage refusing at once (a malformed path, a bad
  // token) throws; fastify answers both kinds alike.
  app.addHook('onRequest', (req, reply, done) => {
    let stages: void | Promise<void>;
    try {
      stages = runPreBodyStages(deps, req, reply);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (stages) stages.then(() => done(), done);
    else done();
  });

  app.setErrorHandler((err, _req, reply) => {
    const e = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? { statusCode: 413, message: `limit is ${MAX_BODY_BYTES}` } : err;
    const status = statusFromError(e);
    auditFailure(_req, err, status);
    if (status.code >= 500) log.error({ err }, 'request failed');
    noteStatus(_req, status);
    // A Status goes back in the format the client asked for when it can be written so; else JSON.
    const json = statusJson(status);
    let out: { contentType: string; payload: string | Uint8Array } = { contentType: 'application/json', payload: json };
    try {
      out = encodeBody(ctx.schema, acceptedFormats(_req.headers.accept), status, json);
    } catch {
      // not acceptable in any format the client named: JSON, as upstream falls back for errors
    }
    void reply.headers(retryAfter(status));
    // As a Buffer: warning headers set before the failure may carry UTF-8 bytes (see setWarnings).
    void reply.code(status.code).header('content-type', out.contentType).send(asBody(out.payload, true));
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const st = pipelineState(req);
    // Aggregated APIs go to their backends, after this server's authentication and authorization.
    if (ctx.aggregator && (await ctx.aggregator.serve(st.user, req, reply))) return;
    if (!st.info.isResourceRequest) return serveNonResource(ctx, st, req, reply);
    const { info } = st;
    const def = registry.get(info.apiGroup, info.apiVersion, info.resource);
    if (!def) throw resourceNotFound();
    if (info.namespace && !def.namespaced) throw resourceNotFound();
    // Upstream serves the /watch/ prefix only for collections and single objects: a subresource
    // under it (/watch/nodes/N/proxy, /watch/namespaces/ns/pods/p/exec) has no route. Served, it
    // would reach a node or pod stream authorized only as `watch`, a read verb that collectors
    // hold on '*' (which covers subresources), instead of get or create.
    if (info.verb === 'watch' && info.subresource) throw resourceNotFound();
    const rreq: RestRequest = {
      info,
      def,
      user: st.user,
      query: st.query,
      headers: req.headers,
      body: Buffer.isBuffer(req.body) ? req.body : undefined,
      warnings: [],
      admission: emptyOutcome(),
    };
    if (def.namespaced && !info.namespace && info.name && info.verb !== 'watch' && info.verb !== 'list') throw resourceNotFound();
    // Streams of the pod's node agent (text or an upgraded connection): before output negotiation.
    if (def.group === '' && def.resource === 'pods' && info.name && NODE_STREAM_SUBRESOURCES.has(info.subresource)) return serveNodeStream(ctx, ctx.kubeletClient, rreq, req, reply);
    if (def.group === '' && def.resource === 'nodes' && info.name && info.subresource === 'proxy') return serveNodeProxy(ctx, ctx.kubeletClient, rreq, req, reply);
    const formats = outputFormats(req.headers.accept, def.typeName !== undefined);
    const audit = requestAudit(req);
    audit?.useAdmission(rreq.admission);
    if (audit?.wantsRequestObject() && rreq.body?.length) audit.setRequestObject(decodeForAudit(ctx.schema, req.headers['content-type'], rreq.body));
    // Virtual resources serve only the verbs they list (ComponentStatus: get and list).
    if (info.verb === 'watch' && def.virtual) throw methodNotAllowed();
    if (info.verb === 'watch') {
      rreq.onWatchEvent = watchStarted(ins, req, reply, info, st.query);
      reply.hijack();
      if (audit) auditWatch(audit, reply.raw);
      try {
        await serveWatch(ctx, rreq, reply.raw, (fn) => {
          reply.raw.on('close', fn);
        });
      } catch (err) {
        const s = statusFromError(err);
        audit?.setStatus(s);
        noteStatus(req, s);
        if (!reply.raw.headersSent) reply.raw.writeHead(s.code, { 'content-type': 'application/json', ...retryAfter(s) });
        reply.raw.end(statusJson(s));
      } finally {
        // API Priority and Fairness counts a watch while it initializes: its seat goes back once
        // the initial events are written, not when the stream ends.
        st.watchInitialized?.();
      }
      return;
    }
    let res: RestResponse;
    try {
      res = await dispatch(ctx, rreq);
    } catch (err) {
      noteAdmission(ins, req, info, rreq.admission.records);
      setWarnings(reply, [...rreq.warnings, ...rreq.admission.warnings]);
      throw toApiError(err);
    }
    noteAdmission(ins, req, info, rreq.admission.records);
    const binary = setWarnings(reply, [...rreq.warnings, ...rreq.admission.warnings]);
    if (audit) audit.setResponseObject(res.body ?? (res.raw !== undefined && audit.wantsResponseObject() ? JSON.parse(res.raw) : undefined));
    if (res.contentType) return reply.code(res.code).header('content-type', res.contentType).send(asBody(res.raw ?? JSON.stringify(res.body), binary));
    const out = encodeBody(ctx.schema, formats, res.body, res.raw);
    return reply.code(res.code).header('content-type', out.contentType).send(asBody(out.payload, binary));
  };
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', handler });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/', handler });
  return { app, ctx, flowControl: limits.flowControl };
}

/** As upstream's responsewriters: a Status that names a retry delay (429, 504) sets Retry-After. */
function retryAfter(s: Status): Record<string, string> {
  return s.details?.retryAfterSeconds ? { 'retry-after': String(s.details.retryAfterSeconds) } : {};
}

/**
 * The formats a resource request may be answered in, checked before anything runs (upstream
 * negotiates first, so a write whose answer nobody can read is refused before it is stored).
 * Accept clauses asking for a Table are served by the REST layer's table path.
 */
function outputFormats(accept: string | undefined, hasProtobufType: boolean): OutputFormat[] {
  const formats = acceptedFormats(accept);
  if (wantsTable(accept)) return formats.length > 0 ? formats : ['json'];
  if (formats.length === 0 || (!hasProtobufType && formats.every((f) => f === 'protobuf'))) throw notAcceptable();
  return formats;
}

/**
 * The payload for fastify. `binary` asks for a Buffer even for text: Node writes the header block
 * in the encoding of a string body it is joined with (UTF-8), which would encode header bytes
 * above 0x7f a second time; with a Buffer body the headers go out byte for byte.
 */
function asBody(payload: string | Uint8Array, binary = false): string | Buffer {
  if (typeof payload === 'string') return binary ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * Warnings go back as RFC 7234 Warning headers with code 299, which kubectl prints. Their text can
 * come from clients (an unknown field's name under fieldValidation=Warn) or webhooks: it goes out
 * as UTF-8 bytes (as upstream's net.NewWarningHeader), with control characters escaped, so no text
 * can make the answer to a write that already happened fail.
 */
function setWarnings(reply: FastifyReply, warnings: string[]): boolean {
  if (warnings.length === 0) return false;
  const unique = [...new Set(warnings)];
  const values = unique.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' ')).replace(/\x7f/g, '\\u007f')}`);
  reply.header('warning', values.map(utf8HeaderBytes));
  // Whether any value carries bytes above 0x7f: then the body must go out as a Buffer (asBody).
  return values.some((v) => /[^\x00-\x7f]/.test(v));
}
