/**
 * One HTTPS exchange, read whole, for the webhook callers and the API client's transport: "one
 * HTTP client for webhooks and the API". It owns what every caller needs the same way:
 *
 * - a deadline for the whole exchange (connect, send, every byte of the answer), an optional
 *   shorter one for a new connection's TCP and TLS handshakes, and an optional idle limit (no
 *   byte for so long);
 * - a bound on the answer's size, checked while it arrives (nothing larger is buffered);
 * - no redirects: a 3xx is an answer like any other, and every caller fails closed on non-2xx;
 * - a typed failure (HttpClientError) with Node's error code kept, so callers word it their way
 *   (Go's words for the ones whose messages reach users: ./go-words.ts);
 * - a request that fails on a kept-alive connection the server had closed is sent again on a new
 *   one by Go's rules (net/http Transport.roundTrip: shouldRetryRequest), unless the caller
 *   retries by itself (resendOnStale: false): when nothing of it was written (Go's
 *   nothingWrittenError), whatever the method; when it was written, only a replayable request
 *   (Go's isReplayable: GET, HEAD, OPTIONS, TRACE, or any method with an Idempotency-Key or
 *   X-Idempotency-Key header) and only before any answer. So a webhook never sees one
 *   AdmissionReview (a POST) twice because its server closed an idle connection as it arrived.
 *
 * Agents (keep-alive connections, TLS material) come from ./agent-pool.ts.
 *
 * Who uses it: the token, authorization, admission, audit and ImagePolicyWebhook webhooks, the
 * OIDC discovery/JWKS fetcher, who-can, and the API client's ordinary requests (through
 * src/cluster/client/transport.ts, which adds retries). Who stays outside, and why:
 * - watches (the API client's stream): the answer is handed over unread and lasts for hours;
 * - the aggregation proxy (src/server/aggregation/transport.ts) and the node proxy
 *   (src/server/node-proxy): they pipe a client's request and answer through, upgrades included
 *   (the aggregation proxy takes its verified backends' keep-alive agents from ./agent-pool.ts,
 *   and honours an APIService's insecureSkipTLSVerify, which nothing here offers);
 * - the image registry client (src/image-policy/registry/http.ts): it follows redirects to blob
 *   storage as the distribution spec requires, speaks plain HTTP to insecure registries, and
 *   streams blobs through a size cap instead of buffering them;
 * - the node agent's HTTP probes (src/cluster/agent/probes/http-get.ts): the kubelet's rules
 *   (plain HTTP, no certificate verification, redirects followed within the pod's host).
 */
import https from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { API_SERVER_USER_AGENT } from './user-agent.ts';

/** Why an exchange failed. */
export type HttpFailureKind = 'deadline' | 'connect-timeout' | 'idle-timeout' | 'too-large' | 'aborted' | 'network';

export class HttpClientError extends Error {
  readonly kind: HttpFailureKind;
  /** Node's error code for a network failure (ECONNREFUSED, a TLS verification code, ...). */
  readonly code: string | undefined;
  /** Nothing reached the server: safe to send again whatever the method. */
  readonly refused: boolean;
  /** An answer's headers had arrived (a deadline that struck while the body was read). */
  readonly answered: boolean;
  constructor(kind: HttpFailureKind, message: string, o: { code?: string | undefined; refused?: boolean; answered?: boolean; cause?: unknown } = {}) {
    super(message, { cause: o.cause });
    this.name = 'HttpClientError';
    this.kind = kind;
    this.code = o.code;
    this.refused = o.refused ?? false;
    this.answered = o.answered ?? false;
  }
}

export interface HttpRequest {
  /** A keep-alive agent carrying the TLS material (./agent-pool.ts). */
  agent: https.Agent;
  method: string;
  /** Where to connect; the Host header defaults to host:port. */
  host: string;
  port: number;
  /** Path and query, starting with '/'. */
  path: string;
  /** Without a user-agent, the API server's own (./user-agent.ts): every webhook names its caller. */
  headers?: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  /** The whole exchange (default none: then set idleTimeoutMs). */
  timeoutMs?: number;
  /** TCP connect and TLS handshake of a new connection. */
  connectTimeoutMs?: number;
  /** No byte sent or received for this long. */
  idleTimeoutMs?: number;
  /** Largest answer body read; a larger one fails with kind too-large. */
  maxResponseBytes: number;
  signal?: AbortSignal;
  /**
   * Send again, at once, when a kept-alive connection turns out closed before any answer (default
   * true), by Go's rules (above). A caller with its own retries and idempotency rules (the API
   * client's transport) says false and gets the failure, with refused: true when nothing of the
   * request was written.
   */
  resendOnStale?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Where an https URL points, as HttpRequest names it (IPv6 brackets off, the default port filled in). */
export function urlTarget(url: URL): { host: string; port: number; path: string } {
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), path: `${url.pathname}${url.search}` };
}

/** Node codes meaning the connection was never made: nothing was sent. */
const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** A kept-alive connection found closed: at most this many more tries on new ones. */
const STALE_RETRIES = 2;
/** Go's isReplayable: methods safe to send again though the server may have read them. */
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/**
 * Largest request (head and body) whose failed write is taken as nothing written. On an idle
 * kept-alive connection the socket's send buffer is empty, so a write this small lands whole or
 * fails whole (a connection the server reset fails the first write); a larger one may have
 * left in part before failing, so it counts as written: Go counts the bytes, Node does not tell.
 */
const WHOLE_WRITE_BYTES = 16 * 1024;
/** Node codes of a kept-alive connection the server had closed or reset. */
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Go's Request.isReplayable (the body is always rewindable here: it is held whole). */
export function isReplayable(method: string, headers: OutgoingHttpHeaders | undefined): boolean {
  if (REPLAYABLE_METHODS.has(method.toUpperCase())) return true;
  return Object.keys(headers ?? {}).some((h) => { const k = h.toLowerCase(); return k === 'idempotency-key' || k === 'x-idempotency-key'; });
}

/** Sends the request and reads the whole answer, whatever its status. */
export async function send(r: HttpRequest): Promise<HttpResponse> {
  if (r.timeoutMs === undefined && r.idleTimeoutMs === undefined) throw new Error('send: a request needs timeoutMs or idleTimeoutMs');
  const deadline = r.timeoutMs === undefined ? undefined : performance.now() + r.timeoutMs;
  const tries = r.resendOnStale === false ? 0 : STALE_RETRIES;
  const replayable = isReplayable(r.method, r.headers);
  for (let n = 0; ; n++) {
    const left = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
    try {
      return await once(r, left, r.timeoutMs);
    } catch (err) {
      if (!(err instanceof StaleConnection)) throw err;
      // Go's shouldRetryRequest for a reused connection.
      if (n >= tries || !(err.nothingWritten || replayable)) throw err.error;
    }
  }
}

/** The request failed on a reused connection before any answer: the server had closed it. */
class StaleConnection extends Error {
  readonly error: HttpClientError;
  readonly nothingWritten: boolean;
  constructor(error: HttpClientError, nothingWritten: boolean) {
    super(error.message);
    this.error = error;
    this.nothingWritten = nothingWritten;
  }
}

function once(r: HttpRequest, leftMs: number | undefined, totalMs: number | undefined): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    let settled = false;
    let answered = false;
    let wholeTimer: NodeJS.Timeout | undefined;
    let connectTimer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      settled = true;
      clearTimeout(wholeTimer);
      clearTimeout(connectTimer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      if (settled) return;
      cleanup();
      req.destroy();
      reject(err);
    };
    const onAbort = () => fail(new HttpClientError('aborted', 'request aborted'));
    const req = https.request({
      agent: r.agent, method: r.method, host: r.host, port: r.port, path: r.path,
      headers: { 'user-agent': API_SERVER_USER_AGENT, ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    });
    if (leftMs !== undefined) wholeTimer = setTimeout(() => fail(new HttpClientError('deadline', `no complete answer within ${totalMs} ms`, { answered })), leftMs);
    if (r.idleTimeoutMs !== undefined) req.setTimeout(r.idleTimeoutMs, () => fail(new HttpClientError('idle-timeout', `no answer within ${r.idleTimeoutMs} ms`)));
    if (r.signal?.aborted) return onAbort();
    r.signal?.addEventListener('abort', onAbort, { once: true });
    if (r.connectTimeoutMs !== undefined) {
      const ms = r.connectTimeoutMs;
      req.once('socket', (s) => {
        // Only a connection still being made: Node marks a socket reused only when it comes from
        // the free list, not when a queued request is handed one a finished request let go of.
        if (req.reusedSocket || !s.connecting) return;
        connectTimer = setTimeout(() => fail(new HttpClientError('connect-timeout', `no connection within ${ms} ms`, { refused: true })), ms);
        s.once('secureConnect', () => clearTimeout(connectTimer));
      });
    }
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code;
      const stale = req.reusedSocket && !answered && STALE_CODES.has(code ?? '');
      // Go's nothingWrittenError: the write itself failed before any of the request left.
      const nothingWritten = stale && !req.writableFinished && err.syscall === 'write' && headBytes(r) + (body?.length ?? 0) <= WHOLE_WRITE_BYTES;
      const e = new HttpClientError('network', err.message, { code, refused: nothingWritten || REFUSED.has(code ?? ''), cause: err });
      fail(stale ? new StaleConnection(e, nothingWritten) : e);
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > r.maxResponseBytes) fail(new HttpClientError('too-large', `response body larger than ${r.maxResponseBytes} bytes`));
        else chunks.push(c);
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(new HttpClientError('network', err.message, { code: err.code, cause: err })));
      res.on('aborted', () => fail(new HttpClientError('network', 'connection closed before the answer was complete', { code: 'ECONNRESET' })));
      res.on('end', () => {
        if (settled) return;
        cleanup();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}

/** About the bytes of a request's head (request line and headers; Node adds a few of its own). */
function headBytes(r: HttpRequest): number {
  let n = r.method.length + r.path.length + r.host.length + 128;
  for (const [k, v] of Object.entries(r.headers ?? {})) n += k.length + String(v).length + 4;
  return n;
}
