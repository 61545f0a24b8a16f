/**
 * gRPC calls to one etcd member over one HTTP/2 connection of our own (h2-session.ts; the wire
 * protocol is small: a POST per call, length-prefixed messages, the status in trailers). The
 * store's hot path is one unary call per write; doing it here instead of through @grpc/grpc-js
 * or node:http2 saves most of the client's CPU per call (issue 18, README "Benchmarks").
 *
 * As kube-apiserver's etcd client (storagebackend/factory/etcd3.go): a dial timeout of 20 s,
 * keepalive pings every 30 s that must be answered within 10 s (a member that stopped without
 * closing the connection breaks the calls and streams on it instead of hanging them), watches
 * with `hasleader: true` (etcd ends them when the member loses its leader), and a bound on the
 * size of any message received. A broken connection is replaced on the next call.
 */
import { EventEmitter } from 'node:events';
import { FrameDecoder, FrameError, frame } from './grpc-frames.ts';
import { encodeHeaders, type HeaderList } from './hpack.ts';
import { H2Session, type H2Stream, type H2StreamHandlers } from './h2-session.ts';

/** gRPC status codes the store tells apart. */
export const Status = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** A failed call: etcd's status code and message (etcd's messages, e.g. "etcdserver: mvcc: required revision has been compacted"). */
export class GrpcError extends Error {
  readonly code: number;
  /**
   * The member cannot have acted on the call (gRPC's condition for a transparent retry): the
   * connection never came up, or the server refused the stream before processing it.
   */
  readonly unprocessed: boolean;
  constructor(code: number, message: string, unprocessed = false) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
    this.unprocessed = unprocessed;
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

function unavailable(url: string, err: unknown, unprocessed = false): GrpcError {
  if (err instanceof GrpcError) return err;
  if (err instanceof FrameError) return new GrpcError(err.code, err.message);
  const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
  return new GrpcError(Status.UNAVAILABLE, `connection to ${url}: ${why}`, unprocessed);
}

interface CallStatus {
  code: number;
  message: string;
}

/** grpc-status and grpc-message (percent-encoded, PROTOCOL-HTTP2.md) of a header block; :status beside. */
function statusOf(fields: HeaderList): { status: CallStatus | undefined; http: string | undefined } {
  let grpc: string | undefined;
  let message = '';
  let http: string | undefined;
  for (const [name, value] of fields) {
    if (name === 'grpc-status') grpc = value;
    else if (name === 'grpc-message') message = value;
    else if (name === ':status') http = value;
  }
  if (grpc === undefined) return { status: undefined, http };
  try {
    message = decodeURIComponent(message);
  } catch {
    // kept as sent
  }
  const code = Number(grpc);
  return { status: { code: Number.isInteger(code) ? code : Status.UNKNOWN, message }, http };
}

/**
 * A call's headers, encoded once per path and extra field (the deadline, `hasleader`): literals
 * only, so the bytes never change. The calls' paths and deadlines are few; past 64 a block is
 * encoded per call. A unary call finds its block by path and deadline in milliseconds, with no
 * string built per call.
 */
class HeaderBlocks {
  private readonly cache = new Map<string, Map<string | number, Buffer>>();
  private size = 0;
  private readonly base: HeaderList;
  constructor(scheme: string, authority: string) {
    this.base = [[':method', 'POST'], [':scheme', scheme], [':authority', authority], ['content-type', 'application/grpc'], ['te', 'trailers']];
  }
  /** The block of a unary call with this deadline (grpc-timeout in whole milliseconds, at least 1). */
  deadline(path: string, timeoutMs: number): Buffer {
    return this.cache.get(path)?.get(timeoutMs) ?? this.add(path, timeoutMs, 'grpc-timeout', `${Math.max(1, Math.ceil(timeoutMs))}m`);
  }
  get(path: string, name: string, value: string): Buffer {
    const key = `${name}\n${value}`;
    return this.cache.get(path)?.get(key) ?? this.add(path, key, name, value);
  }
  private add(path: string, key: string | number, name: string, value: string): Buffer {
    const block = encodeHeaders([...this.base.slice(0, 2), [':path', path], ...this.base.slice(2), [name, value]]);
    if (this.size < 64) {
      let byPath = this.cache.get(path);
      if (!byPath) this.cache.set(path, (byPath = new Map()));
      byPath.set(key, block);
      this.size++;
    }
    return block;
  }
}

export class GrpcChannel {
  readonly url: string;
  private readonly opts: ChannelOptions;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  private blocks: HeaderBlocks | undefined;
  private session: H2Session | undefined;
  private closed = false;

  constructor(opts: ChannelOptions) {
    this.opts = opts;
    this.url = opts.url;
    const u = new URL(opts.url);
    this.secure = u.protocol === 'https:';
    this.host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(u.port || (this.secure ? 443 : 80));
  }

  private connect(): H2Session {
    if (this.closed) throw new GrpcError(Status.CANCELLED, 'client is closed');
    const current = this.session;
    if (current && !current.draining) return current;
    const tls = this.opts.tls;
    // https:// without material of its own trusts the system's roots, as node:http2 did.
    const s = new H2Session({ host: this.host, port: this.port, tls: this.secure ? (tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) : undefined });
    this.session = s;
    this.blocks ??= new HeaderBlocks(s.scheme, s.authority);
    const dialMs = this.opts.dialTimeoutMs ?? 20_000;
    const dial = setTimeout(() => s.destroy(new Error(`no connection within ${dialMs} ms`)), dialMs);
    let keepalive: NodeJS.Timeout | undefined;
    s.once('connect', () => {
      clearTimeout(dial);
      keepalive = setInterval(() => this.ping(s), this.opts.keepaliveMs ?? 30_000);
      keepalive.unref();
    });
    // The calls on the session see its failure as their own; the next call dials again.
    s.once('close', () => {
      clearTimeout(dial);
      if (keepalive) clearInterval(keepalive);
      if (this.session === s) this.session = undefined;
    });
    return s;
  }

  private ping(s: H2Session): void {
    if (s.destroyed) return;
    const limit = setTimeout(() => s.destroy(new Error('keepalive ping unanswered')), this.opts.keepaliveTimeoutMs ?? 10_000);
    limit.unref();
    s.ping(() => clearTimeout(limit));
  }

  /** @internal a stream on the current connection */
  open(path: string, extra: [string, string], handlers: H2StreamHandlers, body?: Buffer, end?: boolean): H2Stream {
    const session = this.connect();
    return session.request(this.blocks!.get(path, extra[0], extra[1]), handlers, body, end);
  }

  /** One request message, one response message; fails with GrpcError. */
  unary(path: string, body: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return this.unaryFramed(path, frame(body), timeoutMs);
  }

  /** unary() with the request message already framed (grpc-frames.ts frame(), or txn-wire.ts). */
  unaryFramed(path: string, framed: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const call = new UnaryCall(this.url, path, this.opts.maxMessageBytes, resolve, reject, timeoutMs);
      try {
        const session = this.connect();
        call.stream = session.request(this.blocks!.deadline(path, timeoutMs), call, framed, true);
      } catch (err) {
        call.finish(unavailable(this.url, err, true));
      }
    });
  }

  /** A bidirectional stream (etcd's Watch). */
  stream(path: string): GrpcStream {
    return new GrpcStream(this, path);
  }

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    // Calls and streams in flight end with their own error (the store fails them as Closed).
    s?.destroy(new Error('the client closed'));
  }
}

function expire(call: UnaryCall): void {
  call.finish(new GrpcError(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'));
}

/** A unary call in flight: its stream's handlers, one object per call. */
class UnaryCall implements H2StreamHandlers {
  stream: H2Stream | undefined;
  private readonly url: string;
  private readonly path: string;
  private readonly decoder: FrameDecoder;
  private readonly resolve: (message: Buffer) => void;
  private readonly reject: (err: GrpcError) => void;
  private readonly timer: NodeJS.Timeout;
  private message: Buffer | undefined;
  private status: CallStatus | undefined;
  private settled = false;

  constructor(url: string, path: string, maxMessageBytes: number, resolve: (m: Buffer) => void, reject: (err: GrpcError) => void, timeoutMs: number) {
    this.url = url;
    this.path = path;
    this.decoder = new FrameDecoder(maxMessageBytes);
    this.resolve = resolve;
    this.reject = reject;
    this.timer = setTimeout(expire, timeoutMs, this);
  }

  headers(fields: HeaderList, end: boolean): void {
    const { status, http } = statusOf(fields);
    this.status ??= status;
    if (!this.status && http !== undefined && http !== '200') this.finish(new GrpcError(Status.UNKNOWN, `${this.url}: HTTP status ${http}`));
    else if (end) this.finish(undefined);
  }

  data(chunk: Buffer, end: boolean): void {
    try {
      for (const m of this.decoder.push(chunk)) this.message = m;
    } catch (err) {
      this.finish(unavailable(this.url, err));
      return;
    }
    if (end) this.finish(undefined);
  }

  reset(code: number | undefined, err: Error | undefined, unprocessed: boolean): void {
    this.finish(err ? unavailable(this.url, err, unprocessed) : new GrpcError(Status.UNAVAILABLE, `connection to ${this.url}: the call ended without a status (HTTP/2 code ${code})`, unprocessed));
  }

  finish(err: GrpcError | undefined): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const status = this.status;
    if (err) {
      this.stream?.cancel();
      this.reject(err);
    } else if (!status) this.reject(new GrpcError(Status.UNAVAILABLE, `connection to ${this.url}: the call ended without a status`));
    else if (status.code !== Status.OK) this.reject(new GrpcError(status.code, status.message));
    else if (!this.message) this.reject(new GrpcError(Status.INTERNAL, `${this.url}: ${this.path} answered OK without a message`));
    else this.resolve(this.message);
  }
}

/**
 * Events: 'data' (a response message's bytes), then either 'end' (OK status) or 'error'
 * (GrpcError) once. cancel() ends it quietly: nothing is emitted after it.
 */
export class GrpcStream extends EventEmitter {
  private readonly req: H2Stream | undefined;
  private done = false;

  constructor(channel: GrpcChannel, path: string) {
    super();
    const decoder = new FrameDecoder(channel.maxMessageBytes);
    let status: CallStatus | undefined;
    const handlers: H2StreamHandlers = {
      headers: (fields, end) => {
        status ??= statusOf(fields).status;
        if (end) this.ended(channel.url, status);
      },
      data: (chunk, end) => {
        if (this.done) return;
        try {
          for (const m of decoder.push(chunk)) if (!this.done) this.emit('data', m);
        } catch (err) {
          this.finish(unavailable(channel.url, err));
          this.req?.cancel();
          return;
        }
        if (end) this.ended(channel.url, status);
      },
      reset: (code, err) => this.finish(err ? unavailable(channel.url, err) : new GrpcError(Status.UNAVAILABLE, `connection to ${channel.url}: the stream ended (HTTP/2 code ${code})`)),
    };
    try {
      this.req = channel.open(path, ['hasleader', 'true'], handlers);
    } catch (err) {
      this.req = undefined;
      queueMicrotask(() => this.finish(unavailable(channel.url, err)));
    }
  }

  private ended(url: string, status: CallStatus | undefined): void {
    if (status?.code === Status.OK) this.finish(undefined);
    else if (status) this.finish(new GrpcError(status.code, status.message));
    else this.finish(new GrpcError(Status.UNAVAILABLE, `connection to ${url}: the stream ended without a status`));
  }

  write(message: Uint8Array): void {
    if (this.done || !this.req) return;
    this.req.write(frame(message));
  }

  cancel(): void {
    this.done = true;
    this.req?.cancel();
  }

  private finish(err: GrpcError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (err) this.emit('error', err);
    else this.emit('end');
  }
}
