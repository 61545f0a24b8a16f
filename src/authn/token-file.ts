/**
 * Static tokens (--token-auth-file), upstream's CSV: `token,user,uid[,"group1,group2"]`, extra
 * columns ignored, no comment lines, an empty token skipped with a warning, a repeated token
 * warned about and the last one kept.
 *
 * Tokens are kept only as SHA-256 digests: lookup is by digest and the final comparison is
 * constant-time, so response timing reveals nothing about how much of a guess was right, and a
 * heap dump holds no usable token. The file is re-read when its content changes. A file that
 * becomes unreadable or invalid fails closed: no token from it authenticates until it is valid
 * again, and the log says so. (Keeping the last good table would keep a token valid that an
 * operator removed in the very edit that broke the file.)
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash, hash as digestOnce, timingSafeEqual } from 'node:crypto';
import type { AuthnResult, MaybePromise, UserInfo } from './types.ts';
import type { TokenAuthenticator } from './bearer.ts';
import { CsvError, parseCsv } from './csv.ts';

export interface TokenTable {
  /** hex SHA-256 of the token -> entry */
  readonly entries: ReadonlyMap<string, { digest: Buffer; user: UserInfo }>;
  /** Non-fatal findings, upstream's warnings (empty or duplicate tokens). */
  readonly warnings: readonly string[];
  /** hex SHA-256 of the file content, to notice changes. */
  readonly contentHash: string;
}

export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

export interface TokenFileLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

// The one-shot digest: every token request hashes, and a Hash object per call costs about half again as much.
const sha256 = (s: string): Buffer => digestOnce('sha256', s, 'buffer');
/** What a broken file authenticates: nothing. Its hash matches no content, so any good file reloads. */
const NO_TOKENS: TokenTable = { entries: new Map(), warnings: [], contentHash: '' };

export function parseTokenFile(text: string, path: string): TokenTable {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw new TokenFileError(`token file '${path}': ${err.message}`);
    throw err;
  }
  const entries = new Map<string, { digest: Buffer; user: UserInfo }>();
  const warnings: string[] = [];
  let recordNum = 0;
  for (const { fields, line } of records) {
    if (fields.length < 3) {
      throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${fields.length} on line ${line}`);
    }
    recordNum++;
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined];
    if (token === '') {
      warnings.push(`empty token has been found in token file '${path}', record number '${recordNum}'`);
      continue;
    }
    // Upstream accepts an empty user name; an identity nobody can name in a binding is refused.
    if (name === '') throw new TokenFileError(`token file '${path}': empty user name on line ${line}`);
    const digest = sha256(token);
    const key = digest.toString('hex');
    if (entries.has(key)) warnings.push(`duplicate token has been found in token file '${path}', record number '${recordNum}'`);
    const user: UserInfo = { username: name, groups: groups === undefined ? [] : groups.split(',').filter((g) => g !== '') };
    if (uid !== '') user.uid = uid;
    entries.set(key, { digest, user });
  }
  return { entries, warnings, contentHash: createHash('sha256').update(text, 'utf8').digest('hex') };
}

/** Reads and parses a token file; throws TokenFileError naming the file and line when malformed. */
export function loadTokenFile(path: string): TokenTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenFileError(`token file '${path}': ${(err as Error).message}`);
  }
  return parseTokenFile(text, path);
}

export interface TokenFileOptions {
  path: string;
  now?: () => Date;
  /** How often, at most, a request triggers a check of the file. Default 10 s; 0 checks every time. */
  checkIntervalMs?: number;
  log?: TokenFileLogger;
}

export type ReloadOutcome = 'unchanged' | 'reloaded' | 'failed';

export class TokenFileAuthenticator implements TokenAuthenticator {
  readonly name = 'token-file';
  readonly #path: string;
  readonly #now: () => Date;
  readonly #interval: number;
  readonly #log: TokenFileLogger;
  #table: TokenTable;
  #lastCheck: number;
  #pending: Promise<ReloadOutcome> | undefined;
  /** Why the file is unusable now (undefined while it is good), so one failure is logged once. */
  #failure: string | undefined;

  /** Loads the file now: a missing or malformed file at start is a configuration error. */
  constructor(opts: TokenFileOptions) {
    this.#path = opts.path;
    this.#now = opts.now ?? (() => new Date());
    this.#interval = opts.checkIntervalMs ?? 10_000;
    if (!Number.isFinite(this.#interval) || this.#interval < 0) throw new TokenFileError('checkIntervalMs must be a non-negative number');
    this.#log = opts.log ?? { warn: (obj, msg) => console.warn(msg, obj), error: (obj, msg) => console.error(msg, obj) };
    this.#table = loadTokenFile(this.#path);
    for (const w of this.#table.warnings) this.#log.warn({ path: this.#path }, w);
    this.#lastCheck = this.#now().getTime();
  }

  /** Number of tokens currently loaded. */
  get size(): number {
    return this.#table.entries.size;
  }

  async authenticateToken(token: string): Promise<AuthnResult> {
    return this.authenticateTokenNow(token);
  }

  /** At once, unless this request is the one to check the file (then after the check). */
  authenticateTokenNow(token: string): MaybePromise<AuthnResult> {
    const t = this.#now().getTime();
    if (t - this.#lastCheck >= this.#interval || t < this.#lastCheck) {
      this.#lastCheck = t;
      return this.reload().then(() => this.#lookup(token));
    }
    return this.#lookup(token);
  }

  #lookup(token: string): AuthnResult {
    const digest = sha256(token);
    const hit = this.#table.entries.get(digest.toString('hex'));
    if (!hit || !timingSafeEqual(digest, hit.digest)) return { kind: 'no-opinion' };
    const u = hit.user;
    const user: UserInfo = { username: u.username, groups: [...u.groups] };
    if (u.uid !== undefined) user.uid = u.uid;
    return { kind: 'authenticated', method: this.name, user };
  }

  /** Re-reads the file if its content changed; concurrent callers share one read. */
  reload(): Promise<ReloadOutcome> {
    this.#pending ??= this.#reload().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #reload(): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      return this.#fail(`unreadable: ${(err as Error).message}`);
    }
    const hash = createHash('sha256').update(text, 'utf8').digest('hex');
    if (hash === this.#table.contentHash) return 'unchanged';
    let table: TokenTable;
    try {
      table = parseTokenFile(text, this.#path);
    } catch (err) {
      if (!(err instanceof TokenFileError)) throw err;
      return this.#fail(`invalid (content sha256 ${hash.slice(0, 12)}): ${err.message}`);
    }
    for (const w of table.warnings) this.#log.warn({ path: this.#path }, w);
    if (this.#failure !== undefined) this.#log.warn({ path: this.#path }, 'token file is valid again; its tokens authenticate');
    this.#failure = undefined;
    this.#table = table;
    return 'reloaded';
  }

  /** Drops every token of the file; logs once per distinct failure. */
  #fail(why: string): ReloadOutcome {
    this.#table = NO_TOKENS;
    if (why !== this.#failure) this.#log.error({ path: this.#path, reason: why }, 'token file is unusable; no token from it authenticates until it is valid again');
    this.#failure = why;
    return 'failed';
  }
}
