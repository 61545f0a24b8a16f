/**
 * One API server's metrics: the request-path recorders the server calls, and the registry
 * `/metrics` serves (with the process-wide process_* and nodejs_* metrics beside it).
 *
 * The request path is kept cheap: the prom-client children of a label set are looked up once and
 * cached by a key string, so a request costs one Map lookup and the increments. The caches are
 * bounded (past MAX_LABEL_SETS a new label set is reported without its resource labels), so
 * clients cannot grow them.
 */
import { Gauge, Registry } from 'prom-client';
import type { AuthzResult } from '../authz/types.ts';
import type { UserInfo } from '../authn/types.ts';
import type { VerdictRecord } from '../admission/types.ts';
import type { ResourceRegistry } from '../api/registry/registry.ts';
import { findSubresource } from '../api/registry/resource-def.ts';
import type { RequestInfo } from '../server/request-info.ts';
import { defineMetrics, type ApiserverMetricSet } from './definitions.ts';
import { rawLabelKey, requestLabels, type RequestLabels } from './request-labels.ts';
import { processRegistry } from './process-metrics.ts';

export const MAX_LABEL_SETS = 4096;

interface RequestChildren {
  count: { inc(): void };
  duration: { observe(v: number): void };
  size?: { observe(v: number): void };
}

interface CountAndDuration {
  count: { inc(): void };
  duration: { observe(v: number): void };
}

/** What a finished request tells the metrics. */
export interface FinishedRequest {
  method: string;
  info: RequestInfo;
  query: URLSearchParams;
  contentType: string | undefined;
  code: number;
  seconds: number;
  /** Response body bytes, when known. */
  bytes: number | undefined;
}

export type AuthnOutcome = 'success' | 'failure' | 'error';

export class ApiserverMetrics {
  readonly registry = new Registry();
  readonly m: ApiserverMetricSet;
  readonly #resources: ResourceRegistry;
  readonly #requests = new Map<string, RequestChildren>();
  /**
   * The same children by what their labels are made from (rawLabelKey), for served resources: a
   * request finds them without working out its labels (registry lookups, the label object, its
   * key). Cleared when the registry's resources change (a resource's labels depend on its being
   * served); bounded as #requests.
   */
  readonly #byRawInputs = new Map<string, RequestChildren>();
  #rawRegistryVersion = -1;
  readonly #longRunning = new Map<string, { inc(): void; dec(): void }>();
  readonly #small = new Map<string, { inc(): void } | { observe(v: number): void }>();
  readonly #authn = new Map<AuthnOutcome, CountAndDuration>();
  /** Admission plugin children: plugin, then operation, then [allowed admit, rejected admit, allowed validate, rejected validate]. */
  readonly #plugins = new Map<string, Map<string, Array<{ observe(v: number): void } | undefined>>>();
  readonly #authnUsers = new Map<string, { inc(): void }>();
  readonly #authz = new Map<string, CountAndDuration>();
  readonly #authzDecisions = new Map<string, { allowed?: { inc(): void }; denied?: { inc(): void } }>();
  /** In-flight requests now and their high-water mark since the last scrape, per kind. */
  readonly #inflight = { readOnly: 0, mutating: 0, maxReadOnly: 0, maxMutating: 0 };

  constructor(resources: ResourceRegistry) {
    this.#resources = resources;
    this.m = defineMetrics(this.registry);
    const inflight = this.#inflight;
    new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers: [this.registry],
      // Upstream reports the most requests in flight over the last period, not a snapshot: here
      // the most since the previous scrape.
      collect() {
        this.set({ request_kind: 'readOnly' }, inflight.maxReadOnly);
        this.set({ request_kind: 'mutating' }, inflight.maxMutating);
        inflight.maxReadOnly = inflight.readOnly;
        inflight.maxMutating = inflight.mutating;
      },
    });
  }

  /** The text `/metrics` answers: this server's metrics and the process's. */
  async text(): Promise<string> {
    const [own, proc] = await Promise.all([this.registry.metrics(), processRegistry().metrics()]);
    return `${own}\n${proc}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A request (not a watch) has started; returns the call that ends it. */
  requestStarted(method: string): 'readOnly' | 'mutating' {
    const i = this.#inflight;
    if (method === 'GET' || method === 'HEAD') {
      if (++i.readOnly > i.maxReadOnly) i.maxReadOnly = i.readOnly;
      return 'readOnly';
    }
    if (++i.mutating > i.maxMutating) i.maxMutating = i.mutating;
    return 'mutating';
  }

  requestEnded(kind: 'readOnly' | 'mutating'): void {
    if (kind === 'readOnly') this.#inflight.readOnly--;
    else this.#inflight.mutating--;
  }

  requestFinished(r: FinishedRequest): void {
    const raw = rawLabelKey(r.method, r.info, r.query, r.contentType, r.code);
    let c: RequestChildren | undefined;
    if (raw !== undefined) {
      const version = this.#resources.version;
      if (version !== this.#rawRegistryVersion) {
        this.#byRawInputs.clear();
        this.#rawRegistryVersion = version;
      }
      c = this.#byRawInputs.get(raw);
    }
    c ??= this.#requestChildren(r, raw);
    c.count.inc();
    c.duration.observe(r.seconds);
    if (c.size && r.bytes !== undefined) c.size.observe(r.bytes);
  }

  #requestChildren(r: FinishedRequest, raw: string | undefined): RequestChildren {
    const { labels: l, known } = this.#labels(r.method, r.info, r.query, r.contentType);
    const key = `${l.verb}\0${l.dry_run}\0${l.group}\0${l.version}\0${l.resource}\0${l.subresource}\0${l.scope}\0${r.code}`;
    let c = this.#requests.get(key);
    if (!c) {
      const labels = this.#requests.size < MAX_LABEL_SETS ? l : { ...l, group: '', version: '', resource: '', subresource: '' };
      c = {
        count: this.m.requests.labels({ ...labels, code: String(r.code) }),
        duration: this.m.requestDuration.labels(labels),
        // Upstream observes response sizes of reads only.
        size: l.verb === 'GET' || l.verb === 'LIST' ? this.m.responseSizes.labels(sizeLabels(labels)) : undefined,
      };
      if (this.#requests.size < MAX_LABEL_SETS) this.#requests.set(key, c);
    }
    // Only children kept under their labels, of a served resource (unknown ones' raw inputs are
    // whatever a client typed).
    if (raw !== undefined && known && this.#requests.get(key) === c && this.#byRawInputs.size < MAX_LABEL_SETS) this.#byRawInputs.set(raw, c);
    return c;
  }

  /** A long-running request (a watch) has started; call the result when it ends. */
  longRunningStarted(method: string, info: RequestInfo, query: URLSearchParams): () => void {
    const l = sizeLabels(this.#labels(method, info, query, undefined).labels);
    const key = `${l.verb}\0${l.group}\0${l.version}\0${l.resource}\0${l.subresource}\0${l.scope}`;
    let g = this.#longRunning.get(key);
    if (!g) {
      g = this.m.longRunning.labels(l);
      // Bounded by the registry's resources: watches of unknown resources never start.
      if (this.#longRunning.size < MAX_LABEL_SETS) this.#longRunning.set(key, g);
    }
    const gauge = g;
    gauge.inc();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      gauge.dec();
    };
  }

  /** A watch event was written: `bytes` of the resource's group, version and resource. */
  watchEvent(info: RequestInfo, bytes: number): void {
    const key = `w\0${info.apiGroup}\0${info.apiVersion}\0${info.resource}`;
    let c = this.#small.get(key) as { inc(): void } | undefined;
    if (!c) {
      c = this.m.watchEvents.labels(info.apiGroup, info.apiVersion, info.resource);
      this.#remember(key, c);
    }
    c.inc();
    this.#observe(`ws\0${key}`, () => this.m.watchEventSizes.labels(info.apiGroup, info.apiVersion, info.resource), bytes);
  }

  authenticated(result: AuthnOutcome, user: UserInfo | undefined, seconds: number): void {
    // Children by value, without a key string or a closure per call: results are three, the
    // compressed user names seven.
    let a = this.#authn.get(result);
    if (!a) this.#authn.set(result, (a = { count: this.m.authnAttempts.labels(result), duration: this.m.authnDuration.labels(result) }));
    a.count.inc();
    a.duration.observe(seconds);
    if (result === 'success' && user) {
      const name = compressUsername(user.username);
      let u = this.#authnUsers.get(name);
      if (!u) this.#authnUsers.set(name, (u = this.m.authnUsers.labels(name)));
      u.inc();
    }
  }

  authorized(r: AuthzResult, seconds: number): void {
    const result = r.evaluationError ? 'error' : r.decision === 'allow' ? 'allowed' : r.authorizer === 'none' ? 'no-opinion' : 'denied';
    let z = this.#authz.get(result);
    if (!z) this.#authz.set(result, (z = { count: this.m.authzAttempts.labels(result), duration: this.m.authzDuration.labels(result) }));
    z.count.inc();
    z.duration.observe(seconds);
    // Terminal decisions of the configured authorizers; upstream does not instrument its
    // privileged-group (system:masters) check, nor count "everyone had no opinion".
    const who = r.authorizer;
    if (r.evaluationError || !who || who === 'none' || who === 'system:masters') return;
    const decision = r.decision === 'allow' ? 'allowed' : 'denied';
    let d = this.#authzDecisions.get(who);
    if (!d) {
      d = {};
      // Authorizer names come from the configuration; bounded all the same.
      if (this.#authzDecisions.size < MAX_LABEL_SETS) this.#authzDecisions.set(who, d);
    }
    (d[decision] ??= this.m.authzDecisions.labels(who, who.toLowerCase(), decision)).inc();
  }

  /** The admission verdicts of one request: per plugin, and per step (admit, validate). */
  admission(records: readonly VerdictRecord[], operation: string): void {
    if (records.length === 0) return;
    let admit = 0;
    let validate = 0;
    let admitRejected = false;
    let validateRejected = false;
    let anyAdmit = false;
    let anyValidate = false;
    for (const rec of records) {
      const type = rec.phase === 'mutating' ? 'admit' : 'validate';
      const seconds = rec.durationMs / 1000;
      this.#pluginObserver(rec.plugin, operation, !rec.allowed, type).observe(seconds);
      if (type === 'admit') {
        anyAdmit = true;
        admit += seconds;
        admitRejected ||= !rec.allowed;
      } else {
        anyValidate = true;
        validate += seconds;
        validateRejected ||= !rec.allowed;
      }
    }
    if (anyAdmit) this.#step(operation, admitRejected, 'admit', admit);
    if (anyValidate) this.#step(operation, validateRejected, 'validate', validate);
  }

  /** One admission webhook call (name as configured in the webhook configuration). */
  webhook(name: string, type: 'admit' | 'validate', operation: string, rejected: boolean, seconds: number): void {
    const rj = rejected ? 'true' : 'false';
    this.#observe(`wh\0${name}\0${operation}\0${rj}\0${type}`, () => this.m.admissionWebhook.labels(name, operation, rj, type), seconds);
  }

  /**
   * A plugin's histogram child, found by plugin and operation and a slot for the rest, without a
   * key string or a closure per record (a write has a record per admission plugin).
   */
  #pluginObserver(plugin: string, operation: string, rejected: boolean, type: 'admit' | 'validate'): { observe(v: number): void } {
    let byOperation = this.#plugins.get(plugin);
    if (!byOperation) {
      byOperation = new Map();
      if (this.#plugins.size < MAX_LABEL_SETS) this.#plugins.set(plugin, byOperation);
    }
    let slots = byOperation.get(operation);
    if (!slots) {
      slots = [undefined, undefined, undefined, undefined];
      if (byOperation.size < MAX_LABEL_SETS) byOperation.set(operation, slots);
    }
    const i = (rejected ? 1 : 0) + (type === 'admit' ? 0 : 2);
    return (slots[i] ??= this.m.admissionController.labels(plugin, operation, rejected ? 'true' : 'false', type));
  }

  #step(operation: string, rejected: boolean, type: string, seconds: number): void {
    const rj = rejected ? 'true' : 'false';
    this.#observe(`s\0${operation}\0${rj}\0${type}`, () => this.m.admissionStep.labels(operation, rj, type), seconds);
  }

  #observe(key: string, make: () => { observe(v: number): void }, v: number): void {
    let c = this.#small.get(key) as { observe(v: number): void } | undefined;
    if (!c) {
      c = make();
      this.#remember(key, c);
    }
    c.observe(v);
  }

  #remember(key: string, child: { inc(): void } | { observe(v: number): void }): void {
    if (this.#small.size < MAX_LABEL_SETS) this.#small.set(key, child);
  }

  #labels(method: string, info: RequestInfo, query: URLSearchParams, contentType: string | undefined): { labels: RequestLabels; known: boolean } {
    let known = false;
    if (info.isResourceRequest) {
      const def = this.#resources.get(info.apiGroup, info.apiVersion, info.resource);
      known = def !== undefined && (info.subresource === '' || findSubresource(def, info.subresource) !== undefined || (def.extraSubresources?.includes(info.subresource) ?? false));
    }
    return { labels: requestLabels(method, info, query, contentType, known), known };
  }
}

function sizeLabels(l: RequestLabels): Omit<RequestLabels, 'dry_run'> {
  return { verb: l.verb, group: l.group, version: l.version, resource: l.resource, subresource: l.subresource, scope: l.scope, component: l.component };
}

/** upstream's compressUsername: a few known identities by name, the rest as categories. */
export function compressUsername(username: string): string {
  if (username === 'admin' || username === 'client' || username === 'kube_proxy' || username === 'kubelet' || username === 'system:serviceaccount:kube-system:default') return username;
  if (username.includes('@')) return 'email_id';
  return 'other';
}
