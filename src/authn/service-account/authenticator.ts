/**
 * Service account tokens (upstream pkg/serviceaccount JWTTokenAuthenticator). A bearer token that
 * is not a JWT, or names another issuer, is not ours: no opinion, so the other token methods can
 * try it. A JWT naming our issuer (or the legacy one) either authenticates or is rejected.
 *
 * Signature, issuer and audience checks are cached by SHA-256 of the token until its expiry; the
 * clock checks and the live-object checks run on every request, so deleting a ServiceAccount or
 * the Pod a token is bound to revokes it at once. A token in the cache whose objects the watch
 * cache holds is decided at once (authenticateTokenNow); a first sight, or a store that must be
 * asked, is decided after the wait, with the same checks in the same order.
 */
import { hash } from 'node:crypto';
import type { AuthnRequest, AuthnResult, MaybePromise, RequestAuthenticator } from '../types.ts';
import { AuthnError, isPending } from '../types.ts';
import { readLive, type ObjectGetterNow } from '../live-reads.ts';
import { parseBearer, type TokenAuthenticator } from '../bearer.ts';
import { LEGACY_ISSUER } from './claims.ts';
import type { VerificationKey } from './keys.ts';
import { JwtVerifier, peekIssuer } from './verify-jwt.ts';
import { BoundedTtlCache } from '../../util/bounded-ttl-cache.ts';
import { userFromServiceAccount, validateBoundClaims, validateLegacyClaims, type ObjectGetter, type ServiceAccountInfo } from './validate-claims.ts';

export interface ServiceAccountAuthenticatorOptions {
  /** --service-account-issuer values; tokens are issued with the first, all are accepted. */
  issuers: readonly string[];
  /** --service-account-key-file keys (see loadServiceAccountKeys). */
  keys: readonly VerificationKey[];
  /** --api-audiences; default [issuers[0]] as upstream. */
  apiAudiences?: readonly string[];
  /** Accept legacy secret-based tokens (issuer kubernetes/serviceaccount). Default true. */
  legacy?: boolean;
  /** The Store's get. */
  get: ObjectGetter;
  /** The Store's getNow (memory, when it can answer at once); absent: every read waits on get. */
  getNow?: ObjectGetterNow;
  now?: () => Date;
  /** Allowed clock skew for exp/nbf/iat and deletion grace; default 60 s (go-jose DefaultLeeway). */
  clockSkewSeconds?: number;
  /** Verified-signature cache entries; default 4096, 0 disables the cache. */
  cacheSize?: number;
}

interface CacheEntry {
  claims: Readonly<Record<string, unknown>>;
  legacy: boolean;
  /** exp in ms; Infinity for legacy tokens without exp */
  expMs: number;
}

const invalid = (message: string) => new AuthnError('InvalidCredential', message);
const goQuoteList = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${name} claim is not a number`);
  return v;
}

function audiences(claims: Record<string, unknown>): string[] {
  const aud = claims.aud;
  if (aud === undefined) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[];
  throw invalid('aud claim is malformed');
}

export class ServiceAccountTokenAuthenticator implements RequestAuthenticator, TokenAuthenticator {
  readonly name = 'serviceaccount';
  readonly #issuers: ReadonlySet<string>;
  readonly #apiAudiences: readonly string[];
  readonly #legacy: boolean;
  readonly #verifier: JwtVerifier;
  readonly #get: ObjectGetter;
  readonly #getNow: ObjectGetterNow | undefined;
  readonly #now: () => Date;
  readonly #skewMs: number;
  /** SHA-256 of the token -> its verified claims; undefined when disabled (cacheSize 0). */
  readonly #cache: BoundedTtlCache<CacheEntry> | undefined;

  constructor(opts: ServiceAccountAuthenticatorOptions) {
    if (opts.issuers.length === 0 || opts.issuers.some((i) => i === '')) throw new Error('service account authenticator needs a non-empty --service-account-issuer');
    const skew = opts.clockSkewSeconds ?? 60;
    if (!Number.isFinite(skew) || skew < 0) throw new Error('clockSkewSeconds must be a non-negative number');
    const cacheSize = opts.cacheSize ?? 4096;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new Error('cacheSize must be a non-negative integer');
    this.#legacy = opts.legacy ?? true;
    this.#issuers = new Set(this.#legacy ? [...opts.issuers, LEGACY_ISSUER] : opts.issuers);
    this.#apiAudiences = opts.apiAudiences && opts.apiAudiences.length > 0 ? [...opts.apiAudiences] : [opts.issuers[0]!];
    this.#verifier = new JwtVerifier(opts.keys);
    this.#get = opts.get;
    this.#getNow = opts.getNow;
    this.#now = opts.now ?? (() => new Date());
    this.#skewMs = skew * 1000;
    this.#cache = cacheSize > 0 ? new BoundedTtlCache(cacheSize, () => this.#now().getTime()) : undefined;
  }

  /** Standalone use in the request union; normally a member of BearerTokenAuthenticator instead. */
  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    const p = parseBearer(req.headers);
    if (p.kind === 'none') return { kind: 'no-opinion' };
    if (p.kind === 'malformed') return this.#reject(invalid(`invalid bearer token: ${p.reason}`));
    return this.authenticateToken(p.token);
  }

  async authenticateToken(token: string): Promise<AuthnResult> {
    return this.authenticateTokenNow(token);
  }

  authenticateTokenNow(token: string): MaybePromise<AuthnResult> {
    // The cache first: a token in it was verified as one of ours (issuer included), and the same
    // token names the same issuer, so its payload need not be decoded again on every request.
    const digest = hash('sha256', token, 'hex');
    const hit = this.#cache?.get(digest);
    if (!hit) {
      const iss = peekIssuer(token);
      if (iss === undefined || !this.#issuers.has(iss)) return { kind: 'no-opinion' };
    }
    let info: MaybePromise<ServiceAccountInfo>;
    try {
      info = this.#validate(token, digest, hit);
    } catch (err) {
      return this.#failed(err);
    }
    if (isPending(info)) return info.then((i) => this.#ok(i), (err: unknown) => this.#failed(err));
    return this.#ok(info);
  }

  #ok(info: ServiceAccountInfo): AuthnResult {
    return { kind: 'authenticated', method: this.name, user: userFromServiceAccount(info) };
  }

  /** A bad token is a rejection; anything else (a store failure) goes on up, as a throw. */
  #failed(err: unknown): AuthnResult {
    if (err instanceof AuthnError) return this.#reject(err);
    throw err;
  }

  #validate(token: string, digest: string, hit: CacheEntry | undefined): MaybePromise<ServiceAccountInfo> {
    const now = this.#now();
    if (hit) return this.#validateLive(hit, token, now);
    return this.#verified(token, digest).then((entry) => this.#validateLive(entry, token, now));
  }

  #validateLive(entry: CacheEntry, token: string, now: Date): MaybePromise<ServiceAccountInfo> {
    this.#checkTimes(entry.claims, entry.legacy, now);
    const reads = entry.legacy ? validateLegacyClaims(entry.claims, token) : validateBoundClaims(entry.claims, now, this.#skewMs);
    return readLive(reads, this.#get, this.#getNow);
  }

  /** A token not in the cache: its signature, issuer and audience checked, then cached. */
  async #verified(token: string, digest: string): Promise<CacheEntry> {
    const claims = await this.#verifier.verify(token);
    // The issuer was read before the signature was checked; read it again from the verified claims.
    if (typeof claims.iss !== 'string' || !this.#issuers.has(claims.iss)) throw invalid(`token issuer ${JSON.stringify(claims.iss)} is invalid`);
    const legacy = claims.iss === LEGACY_ISSUER;
    const exp = numericDate(claims, 'exp');
    // Bound tokens always carry exp upstream; one without it would never expire, so it is refused.
    if (!legacy && exp === undefined) throw invalid('exp claim is missing');
    numericDate(claims, 'nbf');
    numericDate(claims, 'iat');
    this.#checkAudience(claims);
    const entry: CacheEntry = { claims: Object.freeze(claims), legacy, expMs: exp === undefined ? Infinity : exp * 1000 };
    // Kept while the token can still pass the time checks: through exp plus the allowed skew.
    this.#cache?.set(digest, entry, entry.expMs + this.#skewMs - this.#now().getTime() + 1);
    return entry;
  }

  #checkAudience(claims: Record<string, unknown>): void {
    let auds = audiences(claims);
    // Upstream: a token without audiences (legacy) is meant for the API server.
    if (auds.length === 0) auds = [...this.#apiAudiences];
    if (!auds.some((a) => this.#apiAudiences.includes(a))) {
      throw invalid(`token audiences ${goQuoteList(auds)} is invalid for the target audiences ${goQuoteList(this.#apiAudiences)}`);
    }
  }

  #checkTimes(claims: Record<string, unknown>, legacy: boolean, now: Date): void {
    const t = now.getTime();
    const exp = claims.exp as number | undefined;
    const nbf = claims.nbf as number | undefined;
    const iat = claims.iat as number | undefined;
    if (exp !== undefined && t - this.#skewMs > exp * 1000) throw new AuthnError('Expired', 'service account token has expired');
    if (nbf !== undefined && t + this.#skewMs < nbf * 1000) throw invalid('service account token is not valid yet');
    if (iat !== undefined && t + this.#skewMs < iat * 1000) throw invalid(legacy ? 'token issued in the future' : 'service account token is not valid yet');
  }

  #reject(error: AuthnError): AuthnResult {
    return { kind: 'rejected', method: this.name, error };
  }
}
