/**
 * A bearer token read from a file and re-read while the client runs, as client-go's
 * NewCachedFileTokenSource (transport/token_source.go): a projected service account token, or any
 * token a tool rotates on disk, keeps working without restarting the client.
 *
 * The rules are client-go's: a read token is good for one minute (fileTokenSource's period) less
 * ten seconds of leeway, so the file is read again on the first request at least 50 s after the
 * last good read; the content is trimmed and an empty file is an error; when a read fails the last
 * good token goes on being used (and the next request tries again), as cachingTokenSource does.
 */
import { readFileSync } from 'node:fs';

const PERIOD_MS = 60_000;
const LEEWAY_MS = 10_000;

export interface TokenFileSourceOptions {
  /** Milliseconds since the epoch (injected so tests move time). */
  now?: () => number;
  /** Reads the file (injected so tests count reads); default readFileSync. */
  read?: (path: string) => string;
}

export class TokenFileSource {
  private token: string | undefined;
  private expiresAt = 0;
  private readonly now: () => number;
  private readonly read: (path: string) => string;
  readonly path: string;

  constructor(path: string, o: TokenFileSourceOptions = {}) {
    this.path = path;
    this.now = o.now ?? Date.now;
    this.read = o.read ?? ((p) => readFileSync(p, 'utf8'));
  }

  /**
   * The current token: the cached one while fresh, else the file's. Throws only when the file has
   * never been read successfully.
   */
  get(): string {
    const now = this.now();
    if (this.token !== undefined && this.expiresAt - LEEWAY_MS > now) return this.token;
    let token: string;
    try {
      token = this.read(this.path).trim();
      if (!token) throw new Error(`read empty token from file "${this.path}"`);
    } catch (err) {
      if (this.token !== undefined) return this.token;
      throw err;
    }
    this.token = token;
    this.expiresAt = now + PERIOD_MS;
    return token;
  }
}
