/**
 * The issuer's signing keys, from its discovery document's jwks_uri. Keys are cached; a token
 * signed with a key we do not have (an unknown `kid`: the provider rotated) triggers one refetch,
 * rate-limited so a stream of forged kids cannot turn us into a traffic amplifier against the
 * provider. Concurrent requests share one fetch. A provider that cannot be reached means no keys,
 * and a token nobody can check is rejected (fail closed), never accepted and never a crash.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput } from 'jose';
import type { FetchJson } from './https-get-json.ts';

export interface RemoteKeySetOptions {
  issuerUrl: string;
  /** Where the discovery document lives when not at <issuer>/.well-known/openid-configuration. */
  discoveryUrl?: string;
  fetchJson: FetchJson;
  now: () => Date;
  /** Minimum time between two fetches (also after a failure); default 10 s. */
  minRefreshIntervalMs?: number;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;
type KeyLike = Awaited<ReturnType<LocalSet>>;

export class KeySetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySetUnavailableError';
  }
}

export class RemoteKeySet {
  readonly #opts: RemoteKeySetOptions;
  readonly #minInterval: number;
  #local: LocalSet | undefined;
  #lastAttemptMs = -Infinity;
  #lastError = '';
  #inflight: Promise<void> | undefined;
  #fetches = 0;

  constructor(opts: RemoteKeySetOptions) {
    this.#opts = opts;
    this.#minInterval = opts.minRefreshIntervalMs ?? 10_000;
  }

  /** Completed fetch attempts, for tests and metrics. */
  get fetches(): number {
    return this.#fetches;
  }

  get discoveryUrl(): string {
    return this.#opts.discoveryUrl ?? `${this.#opts.issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  }

  /** jose's key resolver: the cached keys, refreshed at most once per call when the kid is unknown. */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    if (!this.#local) {
      await this.#refresh();
      if (!this.#local) throw new KeySetUnavailableError(`oidc: authenticator not initialized: ${this.#lastError}`);
    }
    try {
      return await this.#local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !(await this.#refresh())) throw err;
      return await this.#local(header, token);
    }
  };

  /** Fetches now unless rate-limited; true when a fetch ran (whether or not it succeeded). */
  async #refresh(): Promise<boolean> {
    if (this.#inflight) {
      await this.#inflight;
      return true;
    }
    const now = this.#opts.now().getTime();
    if (now - this.#lastAttemptMs < this.#minInterval) return false;
    this.#lastAttemptMs = now;
    this.#inflight = this.#fetch().finally(() => {
      this.#inflight = undefined;
      this.#fetches++;
    });
    await this.#inflight;
    return true;
  }

  async #fetch(): Promise<void> {
    try {
      const doc = await this.#opts.fetchJson(this.discoveryUrl);
      if (typeof doc !== 'object' || doc === null) throw new Error('discovery document is not an object');
      const { issuer, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
      // A discovery document for another issuer could hand us that issuer's keys (go-oidc's check).
      if (issuer !== this.#opts.issuerUrl) {
        throw new Error(`oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(this.#opts.issuerUrl)} got ${JSON.stringify(issuer)}`);
      }
      if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) throw new Error('discovery document has no https jwks_uri');
      const jwks = await this.#opts.fetchJson(jwksUri);
      if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as JSONWebKeySet).keys)) throw new Error('JWKS has no keys array');
      // Private members would never be used, but a JWKS carrying them is broken; drop them.
      const keys = (jwks as JSONWebKeySet).keys.filter((k) => typeof k === 'object' && k !== null && k.d === undefined && k.kty !== 'oct');
      this.#local = createLocalJWKSet({ keys });
      this.#lastError = '';
    } catch (err) {
      // Keep the last good keys: a provider blip must not lock out tokens signed with them.
      this.#lastError = `fetching keys for ${JSON.stringify(this.#opts.issuerUrl)}: ${(err as Error).message}`;
    }
  }
}
