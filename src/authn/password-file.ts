/**
 * Static passwords (--basic-auth-file), `Authorization: Basic base64(user:password)`. Upstream
 * removed this method in Kubernetes 1.19; it is kept for clusters migrating off it, off by
 * default, and logs a deprecation warning whenever it is enabled.
 *
 * Upstream's CSV layout `password,user,uid[,"group1,group2"]`, but the password column must be a
 * scrypt hash: `scrypt$N$r$p$salt$hash` (salt and hash in base64, N a power of two ≥ 2^14,
 * 1 ≤ r ≤ 32, 1 ≤ p ≤ 16, salt ≥ 16 bytes, hash 32-64 bytes; `hashPassword` makes one). A file
 * holding a plaintext (or any other) password fails to load, naming the line, so a password
 * never sits in the clear on disk. bcrypt is not accepted: node:crypto has no bcrypt and no
 * package is added for it.
 *
 * An unknown user costs the same scrypt as a wrong password, so timing does not reveal which
 * user names exist. Verified credentials are remembered for a minute under an HMAC with a
 * per-process key, because clients send Basic credentials on every request and scrypt is meant
 * to be slow. The file is read once at start (as upstream).
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { AuthnRequest, AuthnResult, MaybePromise, RequestAuthenticator, UserInfo } from './types.ts';
import { AuthnError } from './types.ts';
import { CsvError, parseCsv } from './csv.ts';
import { hasControlChars, headerValues } from './raw-headers.ts';
import { BoundedTtlCache } from '../util/bounded-ttl-cache.ts';

const scryptAsync = promisify(scrypt) as (pw: string | Buffer, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export class PasswordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

export interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses `scrypt$N$r$p$salt$hash`; the reason it is refused otherwise (never echoing the value). */
export function parseScryptHash(s: string): ScryptHash | string {
  if (/^\$2[aby]\$/.test(s)) return 'bcrypt hashes are not supported; use scrypt$N$r$p$salt$hash';
  const parts = s.split('$');
  if (parts[0] !== 'scrypt') return 'the password is not a scrypt$N$r$p$salt$hash hash (plaintext passwords are refused)';
  if (parts.length !== 6) return 'a scrypt hash has six $-separated fields: scrypt$N$r$p$salt$hash';
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const num = (x: string): number => (/^[1-9]\d{0,7}$/.test(x) ? Number(x) : NaN);
  const N = num(n);
  const R = num(r);
  const P = num(p);
  if (!(N >= 2 ** 14 && N <= 2 ** 20 && (N & (N - 1)) === 0)) return 'scrypt N must be a power of two from 16384 to 1048576';
  if (!(R >= 1 && R <= 32)) return 'scrypt r must be from 1 to 32';
  if (!(P >= 1 && P <= 16)) return 'scrypt p must be from 1 to 16';
  if (!B64.test(salt) || !B64.test(hash)) return 'scrypt salt and hash must be base64';
  const out = { N, r: R, p: P, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  if (out.salt.length < 16) return 'scrypt salt must be at least 16 bytes';
  if (out.hash.length < 32 || out.hash.length > 64) return 'scrypt hash must be 32 to 64 bytes';
  return out;
}

function derive(password: string, h: Omit<ScryptHash, 'hash'>, keylen: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (plus 128·r·p); allow exactly that much with some headroom.
  return scryptAsync(Buffer.from(password, 'utf8'), h.salt, keylen, { N: h.N, r: h.r, p: h.p, maxmem: 128 * h.N * h.r + 128 * h.r * h.p + 1024 * 1024 });
}

/** A hash for the password file: `scrypt$32768$8$1$<salt>$<hash>` by default. */
export async function hashPassword(password: string, opts: { N?: number; r?: number; p?: number; salt?: Buffer } = {}): Promise<string> {
  const h = { N: opts.N ?? 32768, r: opts.r ?? 8, p: opts.p ?? 1, salt: opts.salt ?? randomBytes(16) };
  const hash = await derive(password, h, 32);
  const text = `scrypt$${h.N}$${h.r}$${h.p}$${h.salt.toString('base64')}$${hash.toString('base64')}`;
  const check = parseScryptHash(text);
  if (typeof check === 'string') throw new PasswordFileError(check);
  return text;
}

interface Entry {
  hash: ScryptHash;
  user: UserInfo;
}

/** Parses the file text; throws PasswordFileError naming the file and line of the first bad entry. */
export function parsePasswordFile(text: string, path: string): { users: Map<string, Entry>; warnings: string[] } {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw new PasswordFileError(`password file '${path}': ${err.message}`);
    throw err;
  }
  const users = new Map<string, Entry>();
  const warnings: string[] = [];
  for (const { fields, line } of records) {
    if (fields.length < 3) throw new PasswordFileError(`password file '${path}' must have at least 3 columns (password, user name, user uid), found ${fields.length} on line ${line}`);
    const [password, name, uid, groups] = fields as [string, string, string, string | undefined];
    const hash = parseScryptHash(password);
    if (typeof hash === 'string') throw new PasswordFileError(`password file '${path}', line ${line}: ${hash}`);
    if (name === '') throw new PasswordFileError(`password file '${path}': empty user name on line ${line}`);
    if (users.has(name)) warnings.push(`duplicate user '${name}' has been found in password file '${path}', line ${line}`);
    const user: UserInfo = { username: name, groups: groups === undefined ? [] : groups.split(',').filter((g) => g !== '') };
    if (uid !== '') user.uid = uid;
    users.set(name, { hash, user });
  }
  return { users, warnings };
}

export type BasicParse = { kind: 'none' } | { kind: 'credentials'; user: string; password: string } | { kind: 'malformed'; reason: string };

const STRICT_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `Authorization: Basic ...`: exactly one header, strict base64, a colon, no control characters. */
export function parseBasic(headers: AuthnRequest['headers']): BasicParse {
  const values = headerValues(headers, 'authorization');
  if (values.length === 0) return { kind: 'none' };
  const basic = values.filter((v) => /^[ \t]*basic(?:[ \t]|$)/i.test(v));
  if (basic.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'malformed', reason: 'multiple Authorization headers' };
  const raw = values[0]!;
  if (raw.length > 8192) return { kind: 'malformed', reason: 'Authorization header too large' };
  if (hasControlChars(raw)) return { kind: 'malformed', reason: 'control characters in Authorization header' };
  const m = /^[ \t]*basic ([^ \t]*)[ \t]*$/i.exec(raw);
  if (!m || m[1] === '' || !STRICT_B64.test(m[1]!)) return { kind: 'malformed', reason: 'basic credentials are not base64' };
  const decoded = Buffer.from(m[1]!, 'base64');
  const text = decoded.toString('utf8');
  // Invalid UTF-8 would decode to U+FFFD and compare equal to something else.
  if (!Buffer.from(text, 'utf8').equals(decoded)) return { kind: 'malformed', reason: 'basic credentials are not UTF-8' };
  if (/[\x00-\x1f\x7f]/.test(text)) return { kind: 'malformed', reason: 'control characters in basic credentials' };
  const colon = text.indexOf(':');
  if (colon < 0) return { kind: 'malformed', reason: 'basic credentials have no colon' };
  return { kind: 'credentials', user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface PasswordFileOptions {
  /** --basic-auth-file */
  path: string;
  now?: () => Date;
  log: { warn(obj: object, msg: string): void };
  /** How long a verified user/password pair is remembered; default 60 s, 0 disables. */
  cacheTtlMs?: number;
}

const MAX_CACHE = 1000;

export class PasswordFileAuthenticator implements RequestAuthenticator {
  readonly name = 'password-file';
  readonly #users: Map<string, Entry>;
  readonly #dummy: ScryptHash;
  readonly #now: () => Date;
  readonly #ttl: number;
  readonly #cacheKey = randomBytes(32);
  /** HMAC of user and password -> user name. */
  readonly #cache: BoundedTtlCache<string>;

  /** Loads the file now: missing, malformed or plaintext entries are a start-up error. */
  constructor(opts: PasswordFileOptions) {
    let text: string;
    try {
      text = readFileSync(opts.path, 'utf8');
    } catch (err) {
      throw new PasswordFileError(`password file '${opts.path}': ${(err as Error).message}`);
    }
    const { users, warnings } = parsePasswordFile(text, opts.path);
    opts.log.warn({ path: opts.path }, '--basic-auth-file is deprecated (removed from Kubernetes in 1.19); prefer client certificates, tokens or OIDC');
    for (const w of warnings) opts.log.warn({ path: opts.path }, w);
    this.#users = users;
    const first = users.values().next().value?.hash;
    // Unknown users are checked against a hash with the file's own cost, so they take as long.
    this.#dummy = { N: first?.N ?? 32768, r: first?.r ?? 8, p: first?.p ?? 1, salt: randomBytes(16), hash: randomBytes(first?.hash.length ?? 32) };
    this.#now = opts.now ?? (() => new Date());
    this.#ttl = opts.cacheTtlMs ?? 60_000;
    if (!Number.isFinite(this.#ttl) || this.#ttl < 0) throw new PasswordFileError('cacheTtlMs must be a non-negative number');
    this.#cache = new BoundedTtlCache(MAX_CACHE, () => this.#now().getTime());
  }

  get size(): number {
    return this.#users.size;
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  /** At once for a password checked within the cache's TTL; otherwise after scrypt. */
  authenticateNow(req: AuthnRequest): MaybePromise<AuthnResult> {
    const c = parseBasic(req.headers);
    if (c.kind === 'none') return { kind: 'no-opinion' };
    if (c.kind === 'malformed') return this.#reject(`invalid basic credentials: ${c.reason}`);
    const entry = this.#users.get(c.user);
    const key = createHmac('sha256', this.#cacheKey).update(c.user).update('\0').update(c.password).digest('hex');
    if (entry && this.#cache.get(key) === c.user) return this.#accept(entry);
    return this.#check(c.user, c.password, entry, key);
  }

  async #check(name: string, password: string, entry: Entry | undefined, key: string): Promise<AuthnResult> {
    const h = entry?.hash ?? this.#dummy;
    const got = await derive(password, h, h.hash.length);
    if (!entry || !timingSafeEqual(got, h.hash)) return this.#reject('invalid username/password combination');
    this.#cache.set(key, name, this.#ttl);
    return this.#accept(entry);
  }

  #accept(entry: Entry): AuthnResult {
    const user: UserInfo = { username: entry.user.username, groups: [...entry.user.groups] };
    if (entry.user.uid !== undefined) user.uid = entry.user.uid;
    return { kind: 'authenticated', method: this.name, user };
  }

  #reject(message: string): AuthnResult {
    return { kind: 'rejected', method: this.name, error: new AuthnError('InvalidCredential', message) };
  }
}
