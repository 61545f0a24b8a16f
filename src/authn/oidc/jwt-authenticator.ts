/**
 * One `jwt` issuer (upstream plugin/pkg/authenticator/token/oidc). A token that is not a JWT, or
 * whose (unverified) `iss` is another issuer's, is not ours: no opinion. A token naming our issuer
 * authenticates or is rejected; nothing in between falls through to a weaker method.
 *
 * Verified tokens are cached by SHA-256 of the token until their exp, so a busy client costs one
 * signature check per token, and the cache never holds a usable token.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { TokenAuthenticator } from '../bearer.ts';
import { AuthnError, type AuthnResult, type MaybePromise, type UserInfo } from '../types.ts';
import { ClaimError, mapClaims } from './map-claims.ts';
import { KeySetUnavailableError, RemoteKeySet } from './remote-key-set.ts';
import type { FetchJson } from './https-get-json.ts';
import type { CompiledJwt } from './validate-jwt.ts';

/** What upstream's --oidc-signing-algs accepts (go-oidc's asymmetric algorithms). */
export const SUPPORTED_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'] as const;

export interface JwtAuthenticatorOptions {
  jwt: CompiledJwt;
  fetchJson: FetchJson;
  now: () => Date;
  /** Allowed signing algorithms; default ["RS256"] as upstream. Symmetric and "none" are never allowed. */
  signingAlgs?: readonly string[];
  /**
   * Tolerance for nbf (and our own iat check); default 60 s, go-oidc v2's nbf leeway. None for exp:
   * go-oidc refuses a token once its exp is before now (verify.go `t.Expiry.Before(nowTime)`).
   */
  clockSkewSeconds?: number;
  /** Minimum time between JWKS fetches; default 10 s. */
  minRefreshIntervalMs?: number;
  /** Verified-token cache entries; default 4096, 0 disables. */
  cacheSize?: number;
}

const goQuoteList = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** The unverified `iss` of a compact JWS, or undefined when the token is no JWT at all. */
export function peekIssuer(token: string): string | undefined {
  if (token.split('.').length !== 3) return undefined;
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

export class JwtAuthenticator implements TokenAuthenticator {
  readonly name = 'oidc';
  readonly issuer: string;
  readonly keys: RemoteKeySet;
  readonly #jwt: CompiledJwt;
  readonly #now: () => Date;
  readonly #algs: string[];
  readonly #skew: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, { user: UserInfo; expMs: number }>();

  constructor(opts: JwtAuthenticatorOptions) {
    this.#jwt = opts.jwt;
    this.issuer = opts.jwt.config.issuer.url;
    this.#now = opts.now;
    this.#algs = [...(opts.signingAlgs ?? ['RS256'])];
    for (const a of this.#algs) {
      if (!(SUPPORTED_SIGNING_ALGS as readonly string[]).includes(a)) throw new Error(`oidc: unsupported signing algorithm ${JSON.stringify(a)}`);
    }
    this.#skew = opts.clockSkewSeconds ?? 60;
    this.#cacheSize = opts.cacheSize ?? 4096;
    this.keys = new RemoteKeySet({
      issuerUrl: this.issuer,
      discoveryUrl: opts.jwt.config.issuer.discoveryURL,
      fetchJson: opts.fetchJson,
      now: opts.now,
      minRefreshIntervalMs: opts.minRefreshIntervalMs,
    });
  }

  async authenticateToken(token: string): Promise<AuthnResult> {
    return this.authenticateTokenNow(token);
  }

  /** At once for a token verified before and not yet expired; a first sight waits for its keys. */
  authenticateTokenNow(token: string): MaybePromise<AuthnResult> {
    if (peekIssuer(token) !== this.issuer) return { kind: 'no-opinion' };
    const nowMs = this.#now().getTime();
    const key = createHash('sha256').update(token, 'utf8').digest('hex');
    const hit = this.#cache.get(key);
    if (hit && nowMs <= hit.expMs) return this.#ok(hit.user);
    if (hit) this.#cache.delete(key);
    return this.#firstSight(token, key, nowMs);
  }

  async #firstSight(token: string, key: string, nowMs: number): Promise<AuthnResult> {
    try {
      const { user, expMs } = await this.#verify(token, nowMs);
      this.#remember(key, user, expMs, nowMs);
      return this.#ok(user);
    } catch (err) {
      return { kind: 'rejected', method: this.name, error: toAuthnError(err) };
    }
  }

  async #verify(token: string, nowMs: number): Promise<{ user: UserInfo; expMs: number }> {
    const alg = decodeProtectedHeader(token).alg;
    // Checked before any key lookup: "none" and HMAC (the public key as a shared secret) never verify.
    if (typeof alg !== 'string' || !this.#algs.includes(alg)) {
      throw new ClaimError(`oidc: verify token: oidc: id token signed with unsupported algorithm, expected ${goQuoteList(this.#algs)} got ${JSON.stringify(alg)}`);
    }
    const options = { algorithms: this.#algs, issuer: this.issuer, requiredClaims: ['exp'], clockTolerance: this.#skew, currentDate: new Date(nowMs) };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.getKey, options));
    } catch (err) {
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
      // No kid and several candidate keys: try each, as go-oidc does.
      payload = await verifyWithAny(token, err as unknown as AsyncIterable<CryptoKey>, options);
    }
    // jose applied the tolerance to exp too; go-oidc gives exp none.
    if ((payload.exp as number) * 1000 < nowMs) throw new TokenExpiredError();
    if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + this.#skew * 1000) {
      throw new ClaimError('oidc: verify token: token issued in the future (iat)');
    }
    const auds = payload.aud === undefined ? [] : typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
    const want = this.#jwt.config.issuer.audiences;
    if (!auds.some((a) => want.includes(a))) {
      throw new ClaimError(`oidc: verify token: oidc: expected audience in ${goQuoteList([...want].sort())} got ${goQuoteList(auds)}`);
    }
    return { user: mapClaims(this.#jwt, payload), expMs: (payload.exp as number) * 1000 };
  }

  #remember(key: string, user: UserInfo, expMs: number, nowMs: number): void {
    if (this.#cacheSize <= 0) return;
    if (this.#cache.size >= this.#cacheSize) {
      for (const [k, v] of this.#cache) if (v.expMs <= nowMs) this.#cache.delete(k);
      // Still full: drop the oldest insertion (Map keeps insertion order).
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, { user, expMs });
  }

  #ok(user: UserInfo): AuthnResult {
    // A copy, so a later stage adding groups cannot change the cached user.
    return { kind: 'authenticated', method: this.name, user: structuredClone(user) };
  }
}

/** An exp before now (go-oidc's TokenExpiredError), found after jose's own checks with their tolerance. */
class TokenExpiredError extends Error {}

async function verifyWithAny(token: string, candidates: AsyncIterable<CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  let last: unknown = new errors.JWSSignatureVerificationFailed();
  for await (const key of candidates) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      last = err;
      // Only a signature mismatch means "try the next key"; an expired token stays expired.
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw last;
}

function toAuthnError(err: unknown): AuthnError {
  if (err instanceof ClaimError) return new AuthnError('InvalidCredential', err.message);
  if (err instanceof KeySetUnavailableError) return new AuthnError('InvalidCredential', err.message);
  if (err instanceof errors.JWTExpired || err instanceof TokenExpiredError) return new AuthnError('Expired', `oidc: verify token: oidc: token is expired`);
  if (err instanceof errors.JWKSNoMatchingKey) return new AuthnError('InvalidCredential', 'oidc: verify token: failed to verify signature: no key matches the token');
  if (err instanceof errors.JOSEError) return new AuthnError('InvalidCredential', `oidc: verify token: ${err.message}`);
  return new AuthnError('InvalidCredential', `oidc: verify token: ${(err as Error).message}`);
}
