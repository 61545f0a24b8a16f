/**
 * --authorization-mode=Webhook: each decision is a SubjectAccessReview (authorization.k8s.io/v1)
 * POSTed to a service named by a kubeconfig-format file, as upstream's
 * staging/src/k8s.io/apiserver/plugin/pkg/authorizer/webhook. Allowed → allow, denied → deny,
 * neither → no opinion. Unlike upstream (no opinion on error), any failure denies, with the failure
 * as evaluationError (so the API server answers 500, as upstream does for an authorizer error): a
 * webhook that cannot be asked must never let a request through to a later authorizer by accident.
 * Answers are cached for their TTL in a bounded cache: the key is the whole request attribute set,
 * which clients choose freely.
 */
import { loadKubeconfig } from '../util/kubeconfig.ts';
import { HttpStatusError, JsonEndpoint, NotJsonError } from '../util/http/json-endpoint.ts';
import { HttpClientError } from '../util/http/send.ts';
import { BoundedTtlCache } from '../util/bounded-ttl-cache.ts';
import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';
import { reviewSelectorsOf, type ReviewSelectors } from './review-selectors.ts';

export const DEFAULT_AUTHORIZED_TTL_MS = 5 * 60_000;
export const DEFAULT_UNAUTHORIZED_TTL_MS = 30_000;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1 << 20;
const SAR_API_VERSION = 'authorization.k8s.io/v1';
/** Cached decisions at most, as upstream's webhook authorizer (an 8192-entry LRU expire cache). */
export const DEFAULT_CACHE_ENTRIES = 8192;

/** Where and how to reach the webhook, from the kubeconfig file. */
export interface WebhookTarget {
  server: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  /** The kubeconfig's tokenFile (absolute): re-read about every minute, winning over `token` once read. */
  tokenFile?: string;
  /** tls-server-name: the name to check the webhook's certificate against. */
  serverName?: string;
}

export interface WebhookAuthorizerOptions {
  target: WebhookTarget;
  /** --authorization-webhook-cache-authorized-ttl */
  authorizedTtlMs?: number;
  /** --authorization-webhook-cache-unauthorized-ttl */
  unauthorizedTtlMs?: number;
  timeoutMs?: number;
  now?: () => Date;
  /** Most decisions cached at once (default DEFAULT_CACHE_ENTRIES). */
  cacheEntries?: number;
}

export interface SubjectAccessReviewSpec {
  resourceAttributes?: { namespace: string; verb: string; group: string; version: string; resource: string; subresource: string; name: string } & ReviewSelectors;
  nonResourceAttributes?: { path: string; verb: string };
  user: string;
  groups: string[];
  extra?: Record<string, string[]>;
  uid?: string;
}

export class WebhookAuthorizer implements Authorizer {
  readonly name = 'Webhook';
  /** The webhook (the shared HTTP client: one keep-alive agent, tokenFile re-read). */
  readonly #endpoint: JsonEndpoint;
  readonly #authorizedTtl: number;
  readonly #unauthorizedTtl: number;
  readonly #timeout: number;
  readonly #now: () => Date;
  readonly #cache: BoundedTtlCache<AuthzResult>;

  constructor(opts: WebhookAuthorizerOptions) {
    const t = opts.target;
    const url = new URL(t.server);
    if (url.protocol !== 'https:') throw new Error(`authorization webhook server must be an https:// URL, got ${t.server}`);
    this.#authorizedTtl = opts.authorizedTtlMs ?? DEFAULT_AUTHORIZED_TTL_MS;
    this.#unauthorizedTtl = opts.unauthorizedTtlMs ?? DEFAULT_UNAUTHORIZED_TTL_MS;
    this.#timeout = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    this.#now = opts.now ?? (() => new Date());
    this.#cache = new BoundedTtlCache(opts.cacheEntries ?? DEFAULT_CACHE_ENTRIES, () => this.#now().getTime());
    this.#endpoint = new JsonEndpoint(
      { url, caPem: t.caPem, certPem: t.clientCertPem, keyPem: t.clientKeyPem, token: t.token, tokenFile: t.tokenFile, tlsServerName: t.serverName },
      { now: () => this.#now().getTime() },
    );
  }

  /** Reads the kubeconfig-format --authorization-webhook-config-file. */
  static fromConfigFile(path: string, opts: Omit<WebhookAuthorizerOptions, 'target'> = {}): WebhookAuthorizer {
    return new WebhookAuthorizer({ ...opts, target: loadWebhookTarget(path) });
  }

  async authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    const spec = subjectAccessReviewSpec(a);
    // The whole spec is the key: any attribute that differs may get a different answer.
    const key = JSON.stringify(spec);
    const hit = this.#cache.get(key);
    if (hit) return hit;
    let status: Record<string, unknown>;
    try {
      status = await this.#post({ apiVersion: SAR_API_VERSION, kind: 'SubjectAccessReview', spec });
    } catch (err) {
      // Failures are not cached: the next request asks again.
      return { decision: 'deny', reason: '', evaluationError: `authorization webhook failed: ${(err as Error).message}` };
    }
    const result = decide(status);
    const ttl = result.decision === 'allow' ? this.#authorizedTtl : this.#unauthorizedTtl;
    this.#cache.set(key, result, ttl);
    return result;
  }

  async #post(review: object): Promise<Record<string, unknown>> {
    let answer: unknown;
    try {
      answer = await this.#endpoint.postJson(review, { timeoutMs: this.#timeout, maxResponseBytes: MAX_RESPONSE_BYTES });
    } catch (err) {
      if (err instanceof HttpStatusError) throw new Error(`status ${err.status}: ${err.body.slice(0, 200)}`);
      if (err instanceof NotJsonError) throw new Error('response is not JSON');
      // The deadline covers the whole exchange, not just a silent connection.
      if (err instanceof HttpClientError && err.kind === 'deadline') throw new Error(`no response within ${this.#timeout}ms`);
      throw err;
    }
    return parseReviewStatus(answer);
  }
}

export function subjectAccessReviewSpec(a: Readonly<AuthzAttributes>): SubjectAccessReviewSpec {
  const spec: SubjectAccessReviewSpec = { user: a.user.username, groups: [...a.user.groups] };
  if (a.user.uid) spec.uid = a.user.uid;
  if (a.user.extra && Object.keys(a.user.extra).length) spec.extra = a.user.extra;
  if (a.isResourceRequest) {
    // The selectors go in the review, so they are part of the cache key too.
    spec.resourceAttributes = { namespace: a.namespace, verb: a.verb, group: a.apiGroup, version: a.apiVersion, resource: a.resource, subresource: a.subresource, name: a.name, ...reviewSelectorsOf(a) };
  } else {
    spec.nonResourceAttributes = { path: a.path, verb: a.verb };
  }
  return spec;
}

function parseReviewStatus(obj: unknown): Record<string, unknown> {
  if (!isRecord(obj)) throw new Error('response is not a JSON object');
  if (obj.kind !== undefined && obj.kind !== 'SubjectAccessReview') throw new Error(`response kind is ${JSON.stringify(obj.kind)}, want "SubjectAccessReview"`);
  if (obj.apiVersion !== undefined && obj.apiVersion !== SAR_API_VERSION) throw new Error(`response apiVersion is ${JSON.stringify(obj.apiVersion)}, want "${SAR_API_VERSION}"`);
  const status = obj.status ?? {};
  if (!isRecord(status)) throw new Error('response status is not an object');
  for (const f of ['allowed', 'denied'] as const) {
    if (status[f] !== undefined && typeof status[f] !== 'boolean') throw new Error(`response status.${f} is not a boolean`);
  }
  return status;
}

function decide(status: Record<string, unknown>): AuthzResult {
  const parts = [status.reason, status.evaluationError ? `evaluation error: ${String(status.evaluationError)}` : ''].filter((s) => typeof s === 'string' && s !== '');
  const reason = parts.join('; ');
  if (status.allowed === true) return { decision: 'allow', reason };
  if (status.denied === true) return { decision: 'deny', reason };
  return { decision: 'no-opinion', reason };
}

/** The cluster and user of the kubeconfig's current context (the one kubeconfig reader). */
export function loadWebhookTarget(path: string): WebhookTarget {
  const kc = loadKubeconfig(path, 'authorization webhook config');
  const target: WebhookTarget = { server: kc.server };
  if (kc.caPem !== undefined) target.caPem = kc.caPem;
  if (kc.certPem !== undefined) {
    target.clientCertPem = kc.certPem;
    target.clientKeyPem = kc.keyPem;
  }
  if (kc.token !== undefined) target.token = kc.token;
  if (kc.tokenFile !== undefined) target.tokenFile = kc.tokenFile;
  if (kc.tlsServerName !== undefined) target.serverName = kc.tlsServerName;
  return target;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
