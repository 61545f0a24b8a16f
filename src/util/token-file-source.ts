/**
 * A bearer token read from a file and re-read while the client runs, as client-go's
 * NewCachedFileTokenSource with bearerAuthRoundTripper (transport/token_source.go,
 * round_trippers.go): a projected service account token, or any token rotated on disk, keeps
 * working without restarting the client. Used by every client that sends a kubeconfig's tokenFile:
 * the shared HTTPS transport (components, audit webhook, ImagePolicyWebhook) and the
 * authentication and authorization webhooks.
 *
 * The rules are client-go's: a read token is good for one minute (fileTokenSource's period) less
 * ten seconds of leeway, so the file is read again on the first call at least 50 s after the last
 * good read; the content is trimmed and an empty file is an error; a read that fails keeps the
 * last good token (the next call tries again), and before any good read the kubeconfig's `token`
 * (the fallback) is used, as the round tripper's static bearer.
 */
import { readFileSync } from 'node:fs';

const PERIOD_MS = 60_000;
const LEEWAY_MS = 10_000;

export interface TokenFileSourceOptions {
  /** Milliseconds since the epoch (injected so tests move time). */
  now?: () => number;
  /** Reads the file (injected so tests count reads); default readFileSync. */
  read?: (path: string) => string;
  /** Used while the file has never been read: the kubeconfig's `token` beside the tokenFile. */
  fallback?: string;
}

export class TokenFileSource {
  readonly path: string;
  private token: string | undefined;
  private expiresAt = 0;
  private readonly now: () => number;
  private readonly read: (path: string) => string;
  private readonly fallback: string | undefined;

  constructor(path: string, o: TokenFileSourceOptions = {}) {
    this.path = path;
    this.now = o.now ?? Date.now;
    this.read = o.read ?? ((p) => readFileSync(p, 'utf8'));
    this.fallback = o.fallback || undefined;
  }

  /**
   * The token to send: the cached one while fresh, else the file's, else the last good one or the
   * fallback. Throws only when the file has never been read and there is no fallback.
   */
  get(): string {
    const now = this.now();
    if (this.token !== undefined && this.expiresAt - LEEWAY_MS > now) return this.token;
    let token: string;
    try {
      token = this.read(this.path).trim();
      if (!token) throw new Error(`read empty token from file "${this.path}"`);
    } catch (err) {
      const last = this.token ?? this.fallback;
      if (last !== undefined) return last;
      throw err;
    }
    this.token = token;
    this.expiresAt = now + PERIOD_MS;
    return token;
  }
}
