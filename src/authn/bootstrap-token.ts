/**
 * Bootstrap tokens (--enable-bootstrap-token-auth): `<id>.<secret>` tokens, each backed by a
 * Secret `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token in kube-system, used by
 * kubeadm-style node joins. The user is `system:bootstrap:<id>` in `system:bootstrappers` plus the
 * Secret's auth-extra-groups (each under `system:bootstrappers:`), sorted and deduplicated.
 *
 * As upstream, every way a token can fail to match (no such Secret, wrong type, wrong secret,
 * expired, not for authentication, bad extra groups) is no opinion rather than a rejection: the
 * id.secret shape is also a fine static token-file or webhook token, so other methods must still
 * be asked. This never admits anyone: the bearer chain rejects a token that every method ignores,
 * so a wrong secret is a 401, never anonymous. A store failure rejects (fail closed).
 *
 * The secret is compared in constant time; which check failed is not told to the client. The
 * Secret is read from the watch cache at once when it can answer (getNow), else through get.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AuthnResult, MaybePromise } from './types.ts';
import { AuthnError, isPending } from './types.ts';
import type { ObjectGetterNow } from './live-reads.ts';
import type { TokenAuthenticator } from './bearer.ts';
import { builtinKey } from '../api/registry/resource-def.ts';

export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAP_DEFAULT_GROUP = 'system:bootstrappers';
const NAMESPACE = 'kube-system';

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
// RFC 3339 as Go's time.RFC3339 parses it: seconds required, fraction optional, Z or ±hh:mm.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Reads one stored object by key (Store.get fits). */
export type GetObject = (key: string) => Promise<{ value: unknown } | undefined>;

export interface BootstrapTokenOptions {
  get: GetObject;
  /** The Store's getNow; absent: every lookup waits on get. */
  getNow?: ObjectGetterNow;
  now?: () => Date;
  /** Why a matching Secret was not accepted (upstream logs these at V(3)); never told to the client. */
  log?: { debug(obj: object, msg: string): void };
}

export function secretKey(tokenId: string): string {
  return builtinKey('', 'secrets', NAMESPACE, `${BOOTSTRAP_SECRET_PREFIX}${tokenId}`);
}

export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  readonly name = 'bootstrap-token';
  readonly #get: GetObject;
  readonly #getNow: ObjectGetterNow | undefined;
  readonly #now: () => Date;
  readonly #log: { debug(obj: object, msg: string): void };

  constructor(opts: BootstrapTokenOptions) {
    this.#get = opts.get;
    this.#getNow = opts.getNow;
    this.#now = opts.now ?? (() => new Date());
    this.#log = opts.log ?? { debug() {} };
  }

  async authenticateToken(token: string): Promise<AuthnResult> {
    return this.authenticateTokenNow(token);
  }

  authenticateTokenNow(token: string): MaybePromise<AuthnResult> {
    const m = TOKEN.exec(token);
    if (!m) return { kind: 'no-opinion' };
    const [, id, secret] = m as unknown as [string, string, string];
    let stored: MaybePromise<{ value: unknown } | null | undefined>;
    try {
      stored = this.#getNow?.(secretKey(id));
      if (stored === undefined) stored = this.#get(secretKey(id));
    } catch (err) {
      return this.#lookupFailed(err);
    }
    if (isPending(stored)) return stored.then((o) => this.#judge(id, secret, o), (err: unknown) => this.#lookupFailed(err));
    return this.#judge(id, secret, stored);
  }

  #lookupFailed(err: unknown): AuthnResult {
    return { kind: 'rejected', method: this.name, error: new AuthnError('Internal', `bootstrap token lookup failed: ${(err as Error).message}`) };
  }

  #judge(id: string, secret: string, stored: { value: unknown } | null | undefined): AuthnResult {
    const name = `${NAMESPACE}/${BOOTSTRAP_SECRET_PREFIX}${id}`;
    const skip = (why: string): AuthnResult => {
      this.#log.debug({ secret: name }, `bootstrap secret matching bearer token ${why}`);
      return { kind: 'no-opinion' };
    };
    if (!stored) return skip('does not exist');
    const s = stored.value as { type?: unknown; data?: unknown; metadata?: { deletionTimestamp?: unknown } } | null;
    if (typeof s !== 'object' || s === null) return skip('is not an object');
    if (s.metadata?.deletionTimestamp) return skip('is deleted and awaiting removal');
    if (s.type !== BOOTSTRAP_SECRET_TYPE || typeof s.data !== 'object' || s.data === null) return skip(`has invalid type, expected ${BOOTSTRAP_SECRET_TYPE}`);
    const data = s.data as Record<string, unknown>;
    const get = (k: string): string => decodeData(data[k]);

    if (!constantTimeEqual(get('token-secret'), secret)) return skip('has invalid value for key token-secret');
    if (get('token-id') !== id) return skip('has invalid value for key token-id');
    if (hasExpired(get('expiration'), this.#now())) return skip('has expired');
    if (get('usage-bootstrap-authentication') !== 'true') return skip('not marked usage-bootstrap-authentication=true');
    const groups = new Set([BOOTSTRAP_DEFAULT_GROUP]);
    const extra = get('auth-extra-groups');
    if (extra !== '') {
      for (const g of extra.split(',')) {
        if (!EXTRA_GROUP.test(g)) return skip(`has invalid value for key auth-extra-groups: ${JSON.stringify(g)} does not match ${EXTRA_GROUP.source}`);
        groups.add(g);
      }
    }
    return { kind: 'authenticated', method: this.name, user: { username: `${BOOTSTRAP_USER_PREFIX}${id}`, groups: [...groups].sort() } };
  }
}

/** A Secret data value (base64) as text; anything missing or not strict base64 reads as "". */
export function decodeData(v: unknown): string {
  if (typeof v !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) return '';
  return Buffer.from(v, 'base64').toString('utf8');
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Length is not secret (always 16 for a valid token); compare equal-length buffers only.
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Upstream: no expiration never expires; an unparseable one counts as expired. */
export function hasExpired(expiration: string, now: Date): boolean {
  return tokenExpiry(expiration, now).expired;
}

/**
 * cluster-bootstrap's GetExpiration: how long until `expiration` (RFC 3339 as Go parses it) passes,
 * and whether it already has. None never expires (ttl 0, not expired); an unparseable one counts as
 * expired, as does one exactly now.
 */
export function tokenExpiry(expiration: string, now: Date): { expired: boolean; ttlMs: number } {
  if (expiration === '') return { expired: false, ttlMs: 0 };
  const m = RFC3339.exec(expiration);
  if (!m) return { expired: true, ttlMs: 0 };
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  // Date.parse would roll 2024-02-30 over into March; Go refuses it, so must we.
  const probe = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (probe.getUTCMonth() !== mo! - 1 || probe.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) return { expired: true, ttlMs: 0 };
  const t = Date.parse(expiration.toUpperCase());
  if (Number.isNaN(t)) return { expired: true, ttlMs: 0 };
  const ttlMs = t - now.getTime();
  return ttlMs <= 0 ? { expired: true, ttlMs: 0 } : { expired: false, ttlMs };
}
