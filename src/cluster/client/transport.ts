/**
 * The HTTPS transport under the API client: one keep-alive agent per identity (mutual TLS from a
 * client certificate, or a bearer token), and retries with exponential backoff and jitter.
 * Kept apart from the Kubernetes specifics (paths, codecs, Status). Ordinary requests go through
 * the shared HTTP client (src/util/http/send.ts: deadlines, size limit, typed failures) that the
 * webhook callers use too: "one HTTP client for webhooks and the API". This layer adds the
 * identity's two agents (bounded pool, watches apart), the bearer token and the retries; the
 * ImagePolicyWebhook and audit webhook backends use it for those.
 *
 * What is retried (client-go's rest.Request with its default retry and checkWait):
 * - 429: any verb; the server refused the request before doing anything (Retry-After honoured).
 * - 5xx and connection failures: idempotent requests only (GET, PUT, DELETE, a watch's start),
 *   since a POST or PATCH that reached the server may have taken effect.
 * - connection refused: any verb (nothing was sent).
 */
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ApiStatusError } from './errors.ts';
import { backoffDelay, realTimers, type Timers } from './timers.ts';
import { TokenFileSource } from '../../util/token-file-source.ts';
import type { ClientIdentity } from './types.ts';
import { HttpClientError, send, urlTarget } from '../../util/http/send.ts';

export interface TransportOptions {
  /** https://host:port */
  server: string;
  identity: ClientIdentity;
  userAgent: string;
  /** Retries after the first attempt (default 5; 0 disables). */
  maxRetries?: number;
  /** First retry delay and cap (default 200 ms and 30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Longest answer read into memory (default 512 MiB): a larger one fails the call. */
  maxResponseBytes?: number;
  /** A request with no answer byte for this long fails (default 60 s; watches excepted). */
  requestTimeoutMs?: number;
  /**
   * A new connection's TCP connect and TLS handshake at most (default 30 s, client-go's dialer
   * timeout): the idle limit starts only once TCP is connected, so an address that drops SYNs would
   * otherwise hold a request for the OS's connect timeout (minutes). Counted as refused (nothing
   * was sent), so retried whatever the verb.
   */
  connectTimeoutMs?: number;
  /**
   * Each attempt's whole exchange at most (default none): for webhook callers, whose Go
   * counterparts have an http.Client Timeout, so an answer that trickles cannot hold them.
   */
  attemptDeadlineMs?: number;
  /**
   * Connections for ordinary requests at most (default 32; watches have their own, one each):
   * more requests wait for a free one instead of each opening a TLS connection of its own.
   */
  maxConnections?: number;
  /**
   * Idle connections kept for the next requests (default maxConnections, all of them). Each idle
   * TLS connection holds ~115 KiB of the client's memory (OpenSSL's state and buffers): a client
   * whose bursts are rare and whose memory counts (the node agent) keeps fewer and pays a
   * handshake per extra connection in the next burst.
   */
  maxIdleConnections?: number;
  timers?: Timers;
  random?: () => number;
  /** Milliseconds since the epoch: when identity.tokenFile is read again (default Date.now). */
  now?: () => number;
}

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, starting with '/'. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Safe to send again after a 5xx or a broken connection. */
  idempotent: boolean;
}

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A transport failure (no HTTP answer); `refused` when nothing reached the server. */
export class ConnectionError extends Error {
  readonly refused: boolean;
  constructor(message: string, refused: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = 'ConnectionError';
    this.refused = refused;
  }
}

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class HttpsTransport {
  /** Ordinary requests: a bounded pool of keep-alive connections. */
  readonly agent: https.Agent;
  /** Watches and other streams: one connection each for as long as they last, so never bounded by (or starving) the pool. */
  readonly streamAgent: https.Agent;
  private readonly url: URL;
  /** Where ordinary requests connect (host without IPv6 brackets, port). */
  private readonly target: { host: string; port: number };
  private readonly opts: Required<Omit<TransportOptions, 'identity' | 'server' | 'userAgent' | 'maxConnections' | 'maxIdleConnections' | 'now' | 'attemptDeadlineMs'>>;
  private readonly attemptDeadlineMs: number | undefined;
  private readonly baseHeaders: Record<string, string>;
  /** identity.tokenFile, re-read as client-go's bearerAuthRoundTripper does (identity.token until it is read). */
  private readonly tokenSource: TokenFileSource | undefined;

  constructor(o: TransportOptions) {
    this.url = new URL(o.server);
    const { host, port } = urlTarget(this.url);
    this.target = { host, port };
    if (this.url.protocol !== 'https:') throw new Error(`server must be an https URL, got ${JSON.stringify(o.server)}`);
    const id = o.identity;
    if (!id.caPem) throw new Error('identity.caPem is required: the server certificate is always verified');
    if (!!id.certPem !== !!id.keyPem) throw new Error('identity needs both certPem and keyPem, or neither');
    if (!id.certPem && !id.token && !id.tokenFile) throw new Error('identity needs a client certificate or a token');
    this.tokenSource = id.tokenFile ? new TokenFileSource(id.tokenFile, { now: o.now, fallback: id.token }) : undefined;
    // As NewBearerAuthWithRefreshRoundTripper: without a token the file is read now, and a file
    // that cannot be read fails the construction; with one, the token covers a file that cannot.
    this.tokenSource?.get();
    // One TLS context for every connection: parsing the CA, certificate and key per connect was
    // a visible share of a busy client's CPU (the scale bench's scheduler).
    const secureContext = tls.createSecureContext({ ca: id.caPem, cert: id.certPem, key: id.keyPem });
    const maxConnections = o.maxConnections ?? 32;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new Error(`maxConnections must be a positive integer, got ${maxConnections}`);
    // Idle connections are all kept by default (up to the bound): closing them after a burst only
    // to open new ones for the next one costs a TLS handshake on both sides each time.
    const maxIdle = o.maxIdleConnections ?? maxConnections;
    if (!Number.isInteger(maxIdle) || maxIdle < 1) throw new Error(`maxIdleConnections must be a positive integer, got ${maxIdle}`);
    // The agents' servername (SNI and the name checked) wins over the one Node derives from the host.
    const servername = id.serverName ? { servername: id.serverName } : {};
    this.agent = new https.Agent({ keepAlive: true, secureContext, ...servername, maxSockets: maxConnections, maxFreeSockets: Math.min(maxIdle, maxConnections), scheduling: 'lifo' });
    this.streamAgent = new https.Agent({ keepAlive: true, secureContext, ...servername, maxFreeSockets: 4, scheduling: 'lifo' });
    this.opts = {
      maxRetries: o.maxRetries ?? 5,
      backoffInitialMs: o.backoffInitialMs ?? 200,
      backoffMaxMs: o.backoffMaxMs ?? 30_000,
      maxResponseBytes: o.maxResponseBytes ?? 512 * 1024 * 1024,
      requestTimeoutMs: o.requestTimeoutMs ?? 60_000,
      connectTimeoutMs: o.connectTimeoutMs ?? 30_000,
      timers: o.timers ?? realTimers,
      random: o.random ?? Math.random,
    };
    this.attemptDeadlineMs = o.attemptDeadlineMs;
    this.baseHeaders = { 'user-agent': o.userAgent, ...(id.token && !this.tokenSource ? { authorization: `Bearer ${id.token}` } : {}) };
  }

  /** Sends with retries; answers every HTTP status (the caller turns failures into errors). */
  async request(req: TransportRequest): Promise<TransportResponse> {
    return this.withRetries(req, () => this.once(req));
  }

  /**
   * Opens a streaming request (a watch): retried as `request` until an answer's headers arrive;
   * a 2xx answer is handed over unread, any other is read whole.
   */
  async stream(req: TransportRequest, signal: AbortSignal): Promise<{ status: number; headers: IncomingHttpHeaders; res?: IncomingMessage; body?: Buffer }> {
    return this.withRetries(req, async () => {
      const res = await this.open(req, signal);
      if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, res };
      const body = await this.readAll(res);
      return { status: res.statusCode ?? 0, headers: res.headers, body };
    }, signal);
  }

  /** Closed clients send nothing more, and requests waiting out a retry delay fail at once. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
    this.streamAgent.destroy();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private closed = false;
  private readonly sleepers = new Set<() => void>();

  /** A retry delay that ends early when the client is closed (a stop must not wait it out). */
  private async pause(ms: number): Promise<void> {
    if (this.closed) return;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.sleepers.add(wake);
    const handle = this.opts.timers.setTimeout(wake, ms);
    await woken;
    this.opts.timers.clearTimeout(handle);
    this.sleepers.delete(wake);
  }

  private closedError(req: TransportRequest): ApiStatusError {
    return new ApiStatusError(0, '', `${req.method} ${this.url.origin}${req.path}: client closed`);
  }

  private async withRetries<R extends { status: number; headers: IncomingHttpHeaders }>(req: TransportRequest, attempt: () => Promise<R>, signal?: AbortSignal): Promise<R> {
    for (let n = 0; ; n++) {
      if (this.closed) throw this.closedError(req);
      let delay: number | undefined;
      try {
        const res = await attempt();
        const retryable = res.status === 429 || (req.idempotent && res.status >= 500 && res.status !== 501);
        if (!retryable || n >= this.opts.maxRetries) return res;
        delay = retryAfterMs(res.headers['retry-after']);
      } catch (err) {
        if (signal?.aborted) throw err;
        const conn = err instanceof ConnectionError || err instanceof HttpClientError ? err : undefined;
        if (!conn || !(conn.refused || req.idempotent) || n >= this.opts.maxRetries) {
          throw new ApiStatusError(0, '', `${req.method} ${this.url.origin}${req.path}: ${(err as Error).message}`, undefined, { cause: err });
        }
      }
      await this.pause(delay ?? backoffDelay(n, this.opts.backoffInitialMs, this.opts.backoffMaxMs, this.opts.random));
      if (this.closed) throw this.closedError(req);
      if (signal?.aborted) throw new ConnectionError('aborted', false);
    }
  }

  /** An ordinary request, through the shared HTTP client (src/util/http/send.ts). */
  private async once(req: TransportRequest): Promise<TransportResponse> {
    return send({
      agent: this.agent, method: req.method, ...this.target, path: req.path,
      headers: this.headers(req), body: req.body, idleTimeoutMs: this.opts.requestTimeoutMs, connectTimeoutMs: this.opts.connectTimeoutMs, timeoutMs: this.attemptDeadlineMs, maxResponseBytes: this.opts.maxResponseBytes,
      // withRetries decides (a reset reused connection counts as refused there).
      resendOnStale: false,
    });
  }

  private headers(req: TransportRequest): Record<string, string> {
    return { ...this.baseHeaders, ...(this.tokenSource ? { authorization: `Bearer ${this.tokenSource.get()}` } : {}), ...req.headers };
  }

  /** A stream (a watch): the answer is handed over unread, on a connection of its own. */
  private open(req: TransportRequest, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
      const r = https.request({
        protocol: 'https:', hostname: this.url.hostname, port: this.url.port || 443, method: req.method, path: req.path, agent: this.streamAgent, signal,
        headers: { ...this.headers(req), ...(body ? { 'content-length': String(body.length) } : {}) },
      });
      r.on('response', (res) => resolve(res));
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionError || err.name === 'AbortError') reject(err);
        // A reset of a reused keep-alive socket is the server having closed it while idle:
        // the request was not processed (Node's documented retry case), so it counts as refused.
        else reject(new ConnectionError(err.message, REFUSED.has(err.code ?? '') || (err.code === 'ECONNRESET' && r.reusedSocket), err));
      });
      r.end(body);
    });
  }

  readAll(res: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.opts.maxResponseBytes) {
          res.destroy(new ConnectionError(`answer larger than ${this.opts.maxResponseBytes} bytes`, false));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', (err) => reject(err instanceof ConnectionError ? err : new ConnectionError(err.message, false, err)));
      res.on('aborted', () => reject(new ConnectionError('connection closed before the answer was complete', false)));
    });
  }
}

/** Retry-After in seconds (the API server's form) as milliseconds; at most 5 minutes. */
function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v || !/^\d+$/.test(v.trim())) return undefined;
  return Math.min(Number(v) * 1000, 300_000);
}
