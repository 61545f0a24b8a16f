/**
 * gRPC calls to one etcd member, straight over node:http2 (the wire protocol is small: a POST
 * per call on one HTTP/2 connection, length-prefixed messages, the status in trailers). The
 * store's hot path is one unary call per write; doing it here instead of through @grpc/grpc-js
 * saves most of the client's CPU per call (issue 18, README "Benchmarks").
 *
 * As kube-apiserver's etcd client (storagebackend/factory/etcd3.go): a dial timeout of 20 s,
 * keepalive pings every 30 s that must be answered within 10 s (a member that stopped without
 * closing the connection breaks the calls and streams on it instead of hanging them), watches
 * with `hasleader: true` (etcd ends them when the member loses its leader), and a bound on the
 * size of any message received. A broken connection is replaced on the next call.
 */
import http2 from 'node:http2';
import { EventEmitter } from 'node:events';
import { FrameDecoder, FrameError, frame } from './grpc-frames.ts';

/** gRPC status codes the store tells apart. */
export const Status = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** A failed call: etcd's status code and message (etcd's messages, e.g. "etcdserver: mvcc: required revision has been compacted"). */
export class GrpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
  }
}

export interface ChannelTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface ChannelOptions {
  /** http://host:port or https://host:port */
  url: string;
  tls?: ChannelTls;
  maxMessageBytes: number;
  dialTimeoutMs?: number;
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

const { NGHTTP2_CANCEL } = http2.constants;

function unavailable(url: string, err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  if (err instanceof FrameError) return new GrpcError(err.code, err.message);
  const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
  return new GrpcError(Status.UNAVAILABLE, `connection to ${url}: ${why}`);
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md). */
function statusOf(headers: http2.IncomingHttpHeaders): { code: number; message: string } | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  let message = String(headers['grpc-message'] ?? '');
  try {
    message = decodeURIComponent(message);
  } catch {
    // kept as sent
  }
  return { code: Number.isInteger(code) ? code : Status.UNKNOWN, message };
}

function callHeaders(path: string, extra: Record<string, string>): http2.OutgoingHttpHeaders {
  return { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra };
}

export class GrpcChannel {
  readonly url: string;
  private readonly opts: ChannelOptions;
  private session: http2.ClientHttp2Session | undefined;
  private closed = false;

  constructor(opts: ChannelOptions) {
    this.opts = opts;
    this.url = opts.url;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.closed) throw new GrpcError(Status.CANCELLED, 'client is closed');
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const tls = this.opts.tls;
    const s = http2.connect(this.url, {
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      // Large list responses without a window update per 64 KiB.
      settings: { initialWindowSize: 1 << 20 },
    });
    this.session = s;
    const dial = setTimeout(() => s.destroy(new Error(`no connection within ${this.opts.dialTimeoutMs ?? 20_000} ms`)), this.opts.dialTimeoutMs ?? 20_000);
    let keepalive: NodeJS.Timeout | undefined;
    s.once('connect', () => {
      clearTimeout(dial);
      s.setLocalWindowSize(16 << 20);
      const every = this.opts.keepaliveMs ?? 30_000;
      keepalive = setInterval(() => this.ping(s), every);
      keepalive.unref();
    });
    // The calls on the session see its failure as their own; the next call dials again.
    s.on('error', () => {});
    const forget = () => {
      clearTimeout(dial);
      if (keepalive) clearInterval(keepalive);
      if (this.session === s) this.session = undefined;
    };
    s.once('close', forget);
    s.once('goaway', () => {
      if (this.session === s) this.session = undefined;
    });
    return s;
  }

  private ping(s: http2.ClientHttp2Session): void {
    if (s.destroyed) return;
    const limit = setTimeout(() => s.destroy(new Error('keepalive ping unanswered')), this.opts.keepaliveTimeoutMs ?? 10_000);
    limit.unref();
    const sent = s.ping((err) => {
      clearTimeout(limit);
      if (err && !s.destroyed) s.destroy(err);
    });
    if (!sent) clearTimeout(limit);
  }

  /** One request message, one response message; fails with GrpcError. */
  unary(path: string, body: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.connect().request(callHeaders(path, { 'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m` }));
      } catch (err) {
        reject(unavailable(this.url, err));
        return;
      }
      const decoder = new FrameDecoder(this.opts.maxMessageBytes);
      let message: Buffer | undefined;
      let status: { code: number; message: string } | undefined;
      let failure: GrpcError | undefined;
      const fail = (err: GrpcError) => {
        failure ??= err;
        if (!req.closed) req.close(NGHTTP2_CANCEL);
      };
      const timer = setTimeout(() => fail(new GrpcError(Status.DEADLINE_EXCEEDED, 'context deadline exceeded')), timeoutMs);
      req.on('response', (h) => {
        status ??= statusOf(h);
        if (h[':status'] !== 200 && !status) fail(new GrpcError(Status.UNKNOWN, `${this.url}: HTTP status ${h[':status']}`));
      });
      req.on('trailers', (h) => {
        status ??= statusOf(h);
      });
      req.on('data', (chunk: Buffer) => {
        try {
          for (const m of decoder.push(chunk)) message = m;
        } catch (err) {
          fail(unavailable(this.url, err));
        }
      });
      req.on('error', (err) => fail(unavailable(this.url, err)));
      req.on('close', () => {
        clearTimeout(timer);
        if (failure) reject(failure);
        else if (!status) reject(new GrpcError(Status.UNAVAILABLE, `connection to ${this.url}: the call ended without a status (HTTP/2 code ${req.rstCode})`));
        else if (status.code !== Status.OK) reject(new GrpcError(status.code, status.message));
        else if (!message) reject(new GrpcError(Status.INTERNAL, `${this.url}: ${path} answered OK without a message`));
        else resolve(message);
      });
      req.end(frame(body));
    });
  }

  /** A bidirectional stream (etcd's Watch). */
  stream(path: string): GrpcStream {
    return new GrpcStream(this, path);
  }

  /** @internal the stream's HTTP/2 request, on the current connection */
  open(path: string): http2.ClientHttp2Stream {
    return this.connect().request(callHeaders(path, { hasleader: 'true' }));
  }

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    // Calls and streams in flight end with their own error (the store fails them as Closed).
    s?.destroy();
  }
}

/**
 * Events: 'data' (a response message's bytes), then either 'end' (OK status) or 'error'
 * (GrpcError) once. cancel() ends it quietly: nothing is emitted after it.
 */
export class GrpcStream extends EventEmitter {
  private readonly req: http2.ClientHttp2Stream | undefined;
  private done = false;

  constructor(channel: GrpcChannel, path: string) {
    super();
    try {
      this.req = channel.open(path);
    } catch (err) {
      this.req = undefined;
      queueMicrotask(() => this.finish(unavailable(channel.url, err)));
      return;
    }
    const req = this.req;
    const decoder = new FrameDecoder(channel.maxMessageBytes);
    let status: { code: number; message: string } | undefined;
    req.on('response', (h) => {
      status ??= statusOf(h);
    });
    req.on('trailers', (h) => {
      status ??= statusOf(h);
    });
    req.on('data', (chunk: Buffer) => {
      if (this.done) return;
      try {
        for (const m of decoder.push(chunk)) if (!this.done) this.emit('data', m);
      } catch (err) {
        this.finish(unavailable(channel.url, err));
        req.close(NGHTTP2_CANCEL);
      }
    });
    req.on('error', (err) => this.finish(unavailable(channel.url, err)));
    req.on('close', () => {
      if (status?.code === Status.OK) this.finish(undefined);
      else if (status) this.finish(new GrpcError(status.code, status.message));
      else this.finish(new GrpcError(Status.UNAVAILABLE, `connection to ${channel.url}: the stream ended (HTTP/2 code ${req.rstCode})`));
    });
  }

  write(message: Uint8Array): void {
    if (this.done || !this.req || this.req.closed) return;
    this.req.write(frame(message));
  }

  cancel(): void {
    this.done = true;
    if (this.req && !this.req.closed) this.req.close(NGHTTP2_CANCEL);
  }

  private finish(err: GrpcError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (err) this.emit('error', err);
    else this.emit('end');
  }
}
