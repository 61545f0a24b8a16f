/**
 * Webhook token authentication (--authentication-token-webhook-config-file): a bearer token nobody
 * else recognised is POSTed as a TokenReview to a remote service named by a kubeconfig-format
 * file, and its answer is cached (--authentication-token-webhook-cache-ttl, default 2m).
 *
 * Fail closed: an unreachable webhook, a timeout, a non-2xx answer, a body that is not a
 * well-formed TokenReview of the version we sent, or authenticated:false all reject the token;
 * nothing but an explicit, well-formed authenticated:true admits it. Transport failures are not
 * cached (as upstream), so a webhook that comes back is asked again at once.
 *
 * Cache keys are SHA-256 digests of audiences + token, so the cache never holds a usable token.
 * Upstream caches denials for the same TTL as successes; here they default to 30 s (at most the
 * success TTL) so a token the webhook just started to accept is not refused for minutes.
 *
 * Put this authenticator last among the token methods: like upstream it judges every token it
 * sees, so members after it would never be asked.
 */
import { createHash } from 'node:crypto';
import { loadKubeconfig } from '../util/kubeconfig.ts';
import { HttpStatusError, JsonEndpoint, NotJsonError } from '../util/http/json-endpoint.ts';
import { HttpClientError } from '../util/http/send.ts';
import type { AuthnResult, MaybePromise, UserInfo } from './types.ts';
import { AuthnError } from './types.ts';
import type { TokenAuthenticator } from './bearer.ts';
import { BoundedTtlCache } from '../util/bounded-ttl-cache.ts';

export const DEFAULT_WEBHOOK_CACHE_TTL_MS = 120_000;
export const DEFAULT_WEBHOOK_FAILURE_TTL_MS = 30_000;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_CACHE_ENTRIES = 10_000;

export interface WebhookTokenOptions {
  /** --authentication-token-webhook-config-file (kubeconfig format). */
  configFile: string;
  /** --authentication-token-webhook-cache-ttl in ms; 0 disables caching. Default 2 minutes. */
  cacheTtlMs?: number;
  /** How long an authenticated:false answer is cached; default 30 s, never above cacheTtlMs. */
  failureCacheTtlMs?: number;
  /** Whole-request timeout in ms (connect, send, answer). Default 10 s. */
  timeoutMs?: number;
  /** --authentication-token-webhook-version: TokenReview version to send and expect. Default v1. */
  version?: 'v1' | 'v1beta1';
  /** The API server's own audiences (--api-audiences), assumed when the webhook names none. */
  implicitAudiences?: readonly string[];
  now?: () => Date;
}

/** What the webhook said, once checked: a user, an explicit no, or a failure not worth caching. */
type Verdict =
  | { kind: 'user'; user: UserInfo; audiences: string[] }
  /** cache: an explicit, error-free "no"; internal: the webhook could not be asked or made no sense. */
  | { kind: 'denied'; message: string; cache: boolean; internal: boolean };

export class WebhookTokenAuthenticator implements TokenAuthenticator {
  readonly name = 'webhook';
  /**
   * The webhook (the shared HTTP client): connections are kept alive between reviews, as
   * client-go does, and the kubeconfig's tokenFile is re-read about every minute.
   */
  readonly #endpoint: JsonEndpoint;
  readonly #ttl: number;
  readonly #failureTtl: number;
  readonly #timeout: number;
  readonly #apiVersion: string;
  readonly #implicit: readonly string[];
  readonly #now: () => Date;
  readonly #cache: BoundedTtlCache<AuthnResult & { audiences?: string[] }>;
  readonly #inflight = new Map<string, Promise<AuthnResult & { audiences?: string[] }>>();

  /** Reads and checks the kubeconfig now: a bad file is a start-up error, never a request error. */
  constructor(opts: WebhookTokenOptions) {
    this.#ttl = nonNegative(opts.cacheTtlMs ?? DEFAULT_WEBHOOK_CACHE_TTL_MS, 'cacheTtlMs');
    this.#failureTtl = Math.min(nonNegative(opts.failureCacheTtlMs ?? DEFAULT_WEBHOOK_FAILURE_TTL_MS, 'failureCacheTtlMs'), this.#ttl);
    this.#timeout = nonNegative(opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, 'timeoutMs');
    if (this.#timeout === 0) throw new Error('webhook token authenticator: timeoutMs must be positive');
    const version = opts.version ?? 'v1';
    if (version !== 'v1' && version !== 'v1beta1') throw new Error(`webhook token authenticator: unsupported version ${JSON.stringify(version)} (want v1 or v1beta1)`);
    this.#apiVersion = `authentication.k8s.io/${version}`;
    this.#implicit = [...(opts.implicitAudiences ?? [])];
    this.#now = opts.now ?? (() => new Date());
    this.#cache = new BoundedTtlCache(MAX_CACHE_ENTRIES, () => this.#now().getTime());
    this.#endpoint = new JsonEndpoint(loadKubeconfig(opts.configFile, 'webhook config'), { now: () => this.#now().getTime() });
  }

  /**
   * `audiences` are those the caller wants the token to be good for (TokenReview spec.audiences);
   * when given, the webhook's answer must name one of them (or the implicit ones must).
   */
  async authenticateToken(token: string, audiences: readonly string[] = []): Promise<AuthnResult & { audiences?: string[] }> {
    return this.authenticateTokenNow(token, audiences);
  }

  /** At once for an answer still in the cache; otherwise after the webhook. */
  authenticateTokenNow(token: string, audiences: readonly string[] = []): MaybePromise<AuthnResult & { audiences?: string[] }> {
    const key = createHash('sha256').update(JSON.stringify([audiences, token]), 'utf8').digest('hex');
    const hit = this.#cache.get(key);
    if (hit) return copy(hit);
    // Concurrent requests with one token share one webhook call (upstream: singleflight).
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#review(token, audiences, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p.then(copy);
  }

  async #review(token: string, audiences: readonly string[], key: string): Promise<AuthnResult & { audiences?: string[] }> {
    let v: Verdict;
    try {
      v = checkReview(await this.#post(token, audiences), this.#apiVersion);
    } catch (err) {
      v = { kind: 'denied', message: `webhook token authentication failed: ${(err as Error).message}`, cache: false, internal: true };
    }
    if (v.kind === 'user' && audiences.length > 0) {
      const got = v.audiences.length > 0 ? v.audiences : this.#implicit;
      const both = audiences.filter((a) => got.includes(a));
      // Not for these audiences: no opinion, as upstream (another method may know the token).
      if (both.length === 0) return this.#remember(key, { kind: 'no-opinion' }, this.#failureTtl);
      v = { ...v, audiences: both };
    }
    if (v.kind === 'denied') {
      const result: AuthnResult = { kind: 'rejected', method: this.name, error: new AuthnError(v.internal ? 'Internal' : 'InvalidCredential', v.message) };
      return v.cache ? this.#remember(key, result, this.#failureTtl) : result;
    }
    const result: AuthnResult & { audiences?: string[] } = { kind: 'authenticated', method: this.name, user: v.user };
    if (audiences.length > 0) result.audiences = v.audiences;
    return this.#remember(key, result, this.#ttl);
  }

  #remember(key: string, result: AuthnResult & { audiences?: string[] }, ttl: number): AuthnResult & { audiences?: string[] } {
    this.#cache.set(key, result, ttl);
    return result;
  }

  async #post(token: string, audiences: readonly string[]): Promise<unknown> {
    const spec: Record<string, unknown> = { token };
    if (audiences.length > 0) spec.audiences = [...audiences];
    const review = { apiVersion: this.#apiVersion, kind: 'TokenReview', metadata: { creationTimestamp: null }, spec };
    try {
      // The deadline covers the whole exchange: a trickling webhook must not hold requests.
      return await this.#endpoint.postJson(review, { timeoutMs: this.#timeout, maxResponseBytes: MAX_RESPONSE_BYTES });
    } catch (err) {
      if (err instanceof HttpStatusError) throw new Error(`webhook answered HTTP ${err.status}`);
      if (err instanceof NotJsonError) throw new Error('webhook answer is not JSON');
      if (err instanceof HttpClientError && err.kind === 'deadline') throw new Error('webhook timed out');
      if (err instanceof HttpClientError && err.kind === 'too-large') throw new Error('response too large');
      throw err;
    }
  }
}

/** Checks the answer's shape; anything unexpected is a failure, never a user. */
export function checkReview(review: unknown, apiVersion: string): Verdict {
  const fail = (why: string): Verdict => ({ kind: 'denied', message: `webhook token authentication failed: ${why}`, cache: false, internal: true });
  if (!isObject(review)) return fail('answer is not a JSON object');
  // Missing apiVersion/kind default to what was sent (upstream's decoder does the same); wrong ones fail.
  if (review.apiVersion !== undefined && review.apiVersion !== apiVersion) return fail(`answer has apiVersion ${JSON.stringify(review.apiVersion)}, want ${apiVersion}`);
  if (review.kind !== undefined && review.kind !== 'TokenReview') return fail(`answer has kind ${JSON.stringify(review.kind)}, want TokenReview`);
  const status = review.status;
  if (!isObject(status)) return fail('answer has no status');
  if (status.error !== undefined && typeof status.error !== 'string') return fail('status.error is not a string');
  if (status.authenticated !== true) {
    if (status.authenticated !== undefined && status.authenticated !== false) return fail('status.authenticated is not a boolean');
    // An error beside authenticated:false means the webhook could not decide: not cached (upstream).
    if (typeof status.error === 'string' && status.error !== '') return { kind: 'denied', message: status.error, cache: false, internal: false };
    return { kind: 'denied', message: 'invalid bearer token', cache: true, internal: false };
  }
  const u = status.user;
  if (!isObject(u)) return fail('status.user is missing');
  if (typeof u.username !== 'string' || u.username === '') return fail('status.user.username is empty');
  if (u.uid !== undefined && typeof u.uid !== 'string') return fail('status.user.uid is not a string');
  if (u.groups !== undefined && u.groups !== null && !isStringArray(u.groups)) return fail('status.user.groups is not a list of strings');
  const user: UserInfo = { username: u.username, groups: isStringArray(u.groups) ? [...u.groups] : [] };
  if (typeof u.uid === 'string' && u.uid !== '') user.uid = u.uid;
  if (u.extra !== undefined && u.extra !== null) {
    if (!isObject(u.extra)) return fail('status.user.extra is not an object');
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(u.extra)) {
      if (!isStringArray(v)) return fail(`status.user.extra[${JSON.stringify(k)}] is not a list of strings`);
      extra[k] = [...v];
    }
    if (Object.keys(extra).length > 0) user.extra = extra;
  }
  if (status.audiences !== undefined && status.audiences !== null && !isStringArray(status.audiences)) return fail('status.audiences is not a list of strings');
  return { kind: 'user', user, audiences: isStringArray(status.audiences) ? [...status.audiences] : [] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function nonNegative(n: number, what: string): number {
  if (!Number.isFinite(n) || n < 0) throw new Error(`webhook token authenticator: ${what} must be a non-negative number`);
  return n;
}

/** Callers get their own copy, so nobody can edit a cached identity. */
function copy(r: AuthnResult & { audiences?: string[] }): AuthnResult & { audiences?: string[] } {
  if (r.kind !== 'authenticated') return r;
  const u = r.user;
  const user: UserInfo = { username: u.username, groups: [...u.groups] };
  if (u.uid !== undefined) user.uid = u.uid;
  if (u.extra) user.extra = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]]));
  const out: AuthnResult & { audiences?: string[] } = { kind: 'authenticated', method: r.method, user };
  if (r.audiences) out.audiences = [...r.audiences];
  return out;
}

