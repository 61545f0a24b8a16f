/**
 * The audit record of one request as it crosses the pipeline (upstream's AuditContext): each
 * stage adds what it learnt, and each audit stage (RequestReceived, ResponseStarted,
 * ResponseComplete, Panic) sends a snapshot to the backends unless the policy omits it.
 *
 * The policy is evaluated once the user is known, with the authenticated user (before
 * impersonation), as upstream's WithAudit sits between authentication and impersonation. A
 * request that fails authentication is evaluated with no user and gives one ResponseStarted
 * record carrying the 401 (upstream's WithFailedAuthenticationAudit).
 */
import type { UserInfo } from '../authn/types.ts';
import type { RequestInfo } from '../server/request-info.ts';
import type { AuditAttributes, PolicyChecker } from './checker.ts';
import { recordable } from './redact.ts';
import { levelAtLeast, type AuditEvent, type AuditUser, type Level, type ObjectReference, type RequestAuditConfig, type ResponseStatus, type Stage } from './types.ts';

export const DECISION_ANNOTATION = 'authorization.k8s.io/decision';
export const REASON_ANNOTATION = 'authorization.k8s.io/reason';

/** What the auditor gives each request: the policy, the clock, and where snapshots go. */
export interface AuditSink {
  checker: PolicyChecker;
  /** Epoch milliseconds with a fractional part (microsecond timestamps). */
  clock: () => number;
  emit(ev: AuditEvent): void;
}

export interface RequestStart {
  auditID: string;
  requestURI: string;
  sourceIPs: string[];
  userAgent?: string;
}

/** The most of a User-Agent upstream records (maxUserAgentLength), then this marker. */
const MAX_USER_AGENT = 1024;

export class RequestAudit {
  readonly auditID: string;
  readonly #sink: AuditSink;
  readonly #received: string;
  readonly #start: RequestStart;
  #info: RequestInfo | undefined;
  #user: AuditUser = {};
  #impersonated: AuditUser | undefined;
  #config: RequestAuditConfig | undefined;
  #annotations: Record<string, string> | undefined;
  #status: ResponseStatus | undefined;
  #requestObject: unknown;
  #responseObject: unknown;
  #objectName: string | undefined;
  #admission: { auditAnnotations: Record<string, string> } | undefined;
  #finished = false;

  constructor(sink: AuditSink, start: RequestStart) {
    this.#sink = sink;
    this.#start = start;
    this.auditID = start.auditID;
    this.#received = microTime(sink.clock());
  }

  /** The level the policy chose (None until the user is known). */
  get level(): Level {
    return this.#config?.level ?? 'None';
  }

  get config(): RequestAuditConfig | undefined {
    return this.#config;
  }

  setInfo(info: RequestInfo): void {
    this.#info = info;
  }

  /** Authentication succeeded: evaluate the policy, and record RequestReceived. */
  authenticated(user: UserInfo): void {
    this.#user = auditUser(user);
    this.#config = this.#sink.checker.evaluate(this.#attributes(user));
    this.#emit('RequestReceived');
  }

  /** Authentication failed: one ResponseStarted record with the 401 (upstream's wording). */
  authenticationFailed(message: string): void {
    this.#config = this.#sink.checker.evaluate(this.#attributes(undefined));
    this.#status = { metadata: {}, message, code: 401 };
    this.#emit('ResponseStarted');
    this.#finished = true;
  }

  impersonating(user: UserInfo): void {
    this.#impersonated = auditUser(user);
  }

  /** First value wins, as upstream's AddAuditAnnotation keeps the first and logs the conflict. */
  annotate(annotations: Record<string, string>): void {
    if (this.level === 'None') return;
    // for-in, not Object.entries: this runs several times per request (no arrays made).
    for (const k in annotations) {
      const own = (this.#annotations ??= {});
      if (!Object.hasOwn(own, k)) own[k] = annotations[k]!;
    }
  }

  /** The admission chain's outcome: its audit annotations (pod security, webhooks, policies) join each record. */
  useAdmission(outcome: { auditAnnotations: Record<string, string> }): void {
    this.#admission = outcome;
  }

  wantsRequestObject(): boolean {
    return levelAtLeast(this.level, 'Request') && !this.#finished;
  }

  wantsResponseObject(): boolean {
    return levelAtLeast(this.level, 'RequestResponse') && !this.#finished;
  }

  setRequestObject(obj: unknown): void {
    if (!this.wantsRequestObject()) return;
    this.#requestObject = recordable(obj, this.#info?.resource ?? '', this.#info?.subresource ?? '', this.#config!.omitManagedFields);
  }

  /** The answer's body: its name completes objectRef (a create's generated name), its body is kept at RequestResponse. */
  setResponseObject(obj: unknown): void {
    if (this.level === 'None' || this.#finished) return;
    const meta = (obj as { metadata?: { name?: unknown } } | undefined)?.metadata;
    if (typeof meta?.name === 'string') this.#objectName = meta.name;
    if (this.wantsResponseObject()) this.#responseObject = recordable(obj, this.#info?.resource ?? '', this.#info?.subresource ?? '', this.#config!.omitManagedFields);
  }

  /** An error answer: its Status, bounded fields only (upstream's LogResponseObject). */
  setStatus(s: { status?: string; message?: string; reason?: string; details?: unknown; code?: number }): void {
    const rs: ResponseStatus = { metadata: {} };
    if (s.status) rs.status = s.status;
    if (s.message) rs.message = s.message;
    if (s.reason) rs.reason = s.reason;
    if (s.details !== undefined) rs.details = s.details;
    if (s.code) rs.code = s.code;
    this.#status = rs;
  }

  /** The headers of a long-running answer (a watch) went out. */
  responseStarted(code: number): void {
    if (this.#finished) return;
    this.#status ??= { metadata: {}, code };
    this.#emit('ResponseStarted');
  }

  /** The answer is complete (or the watch ended); code 0: the connection closed before any answer. Idempotent. */
  complete(code: number): void {
    if (this.#finished) return;
    this.#status ??= code === 0 ? { metadata: {}, status: 'Failure', message: 'the connection closed before an answer was sent' } : { metadata: {}, code };
    this.#emit('ResponseComplete');
    this.#finished = true;
  }

  /** The handler failed unexpectedly: a Panic record with a 500, as upstream's WithPanicRecovery. */
  panic(message: string): void {
    if (this.#finished) return;
    this.#status = { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
    this.#emit('Panic');
    this.#finished = true;
  }

  #attributes(user: UserInfo | undefined): AuditAttributes {
    const i = this.#info;
    return { user, verb: i?.verb ?? '', isResourceRequest: i?.isResourceRequest ?? false, path: i?.path ?? this.#start.requestURI, apiGroup: i?.apiGroup ?? '', namespace: i?.namespace ?? '', resource: i?.resource ?? '', subresource: i?.subresource ?? '', name: i?.name ?? '' };
  }

  #emit(stage: Stage): void {
    const c = this.#config;
    if (!c || c.level === 'None' || c.omitStages.includes(stage)) return;
    // Fields are added in upstream's order (the timestamps and annotations come last).
    const ev = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: c.level,
      auditID: this.auditID,
      stage,
      requestURI: this.#start.requestURI,
      verb: this.#info?.verb ?? '',
      user: this.#user,
    } as AuditEvent;
    if (this.#impersonated) ev.impersonatedUser = this.#impersonated;
    if (this.#start.sourceIPs.length) ev.sourceIPs = this.#start.sourceIPs;
    const ua = this.#start.userAgent;
    if (ua) ev.userAgent = ua.length > MAX_USER_AGENT ? `${ua.slice(0, MAX_USER_AGENT)}...TRUNCATED` : ua;
    const ref = this.#objectRef();
    if (ref) ev.objectRef = ref;
    if (this.#status && stage !== 'RequestReceived') ev.responseStatus = this.#status;
    if (this.#requestObject !== undefined) ev.requestObject = this.#requestObject;
    if (this.#responseObject !== undefined && stage !== 'RequestReceived') ev.responseObject = this.#responseObject;
    ev.requestReceivedTimestamp = this.#received;
    ev.stageTimestamp = microTime(this.#sink.clock());
    if (this.#admission) this.annotate(this.#admission.auditAnnotations);
    // A copy: later stages add annotations, and backends serialise this record later.
    if (this.#annotations) ev.annotations = { ...this.#annotations };
    this.#sink.emit(ev);
  }

  #objectRef(): ObjectReference | undefined {
    const i = this.#info;
    if (!i?.isResourceRequest) return undefined;
    const ref: ObjectReference = {};
    if (i.resource) ref.resource = i.resource;
    if (i.namespace) ref.namespace = i.namespace;
    const name = i.name || this.#objectName;
    if (name) ref.name = name;
    if (i.apiGroup) ref.apiGroup = i.apiGroup;
    if (i.apiVersion) ref.apiVersion = i.apiVersion;
    if (i.subresource) ref.subresource = i.subresource;
    return ref;
  }
}

function auditUser(u: UserInfo): AuditUser {
  const out: AuditUser = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The date and time up to the second of the last microTime ('2026-12-06T10:00:00.'), and that second. */
let cachedSecond = NaN;
let cachedPrefix = '';

/** RFC 3339 with microseconds, UTC (metav1.MicroTime). Several per request: a Date only once a second. */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.floor((ms - whole) * 1000));
  const millis = ((whole % 1000) + 1000) % 1000;
  const second = whole - millis;
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second).toISOString().slice(0, 20);
  }
  // 1,000,000 + the microseconds of the second: six digits with their leading zeros after slice(1).
  return `${cachedPrefix}${String(1_000_000 + millis * 1000 + micros).slice(1)}Z`;
}
