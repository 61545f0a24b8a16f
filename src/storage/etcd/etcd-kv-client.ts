/**
 * The etcd v3 calls the store makes (KV Range/Txn/Put/Compact and the Watch stream), over
 * grpc-channel.ts to a list of members: one member serves calls until its connection or etcd
 * itself answers UNAVAILABLE (connection refused or reset, "etcdserver: no leader", "leader
 * changed"); that call fails and the next call goes to the next member. Nothing is retried here:
 * a write whose first attempt may have committed must not be sent again (a create would come
 * back KeyExists for the caller's own write); the store retries reads itself (etcd-store.ts), as
 * etcd's Go client retries only repeatable calls. The exception is gRPC's transparent retry: a
 * call that cannot have reached etcd (its connection never came up, or the member refused the
 * stream unprocessed) is sent to the next member at once, write or not.
 */
import { GrpcChannel, GrpcError, Status, type ChannelTls } from './grpc-channel.ts';
import type { GrpcStream } from './grpc-channel.ts';
import { decodeMessage, messages } from './etcd-proto.ts';
import { frame } from './grpc-frames.ts';
import { framedTxn } from './txn-wire.ts';
import type { CompactionRequest, CompactionResponse, LeaseGrantRequest, LeaseGrantResponse, PutRequest, PutResponse, StatusResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse, WatchRequest, WatchResponse } from './etcd-proto.ts';
import type protobuf from 'protobufjs';

export interface EtcdKvOptions {
  servers: string[];
  tls?: ChannelTls;
  /** Per call (default 60 s): a call that takes longer fails DEADLINE_EXCEEDED. */
  callTimeoutMs?: number;
  /** The largest response message taken (default 2^31-1, etcd's Go client's). */
  maxMessageBytes?: number;
  dialTimeoutMs?: number;
}

/** Calls made after close() fail with this (errors.ts maps it to the store's Closed). */
export class ClientClosedError extends Error {
  constructor() {
    super('the etcd client is closed');
    this.name = 'ClientClosedError';
  }
}

/** A failure worth one more try of a read on the next member. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof GrpcError && err.code === Status.UNAVAILABLE;
}

/** A Watch stream: 'data' (WatchResponse), then 'error' or 'end' once. */
export interface WatchStream {
  write(req: WatchRequest): void;
  cancel(): void;
  on(event: 'data', fn: (res: WatchResponse) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  on(event: 'end', fn: () => void): this;
}

export interface EtcdKv {
  readonly servers: readonly string[];
  range(req: RangeRequest): Promise<RangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  put(req: PutRequest): Promise<PutResponse>;
  compact(req: CompactionRequest): Promise<CompactionResponse>;
  /** Lease/LeaseGrant (keys written with a TTL: lease-manager.ts). */
  leaseGrant(req: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  /** Maintenance/Status of the member calls go to now (apiserver_storage_size_bytes), within timeoutMs. */
  status(timeoutMs?: number): Promise<StatusResponse>;
  /** A Watch stream on the member calls currently go to. */
  watch(): WatchStream;
  close(): void;
}

const KV = '/etcdserverpb.KV/';

class WatchStreamImpl implements WatchStream {
  private readonly raw: GrpcStream;
  constructor(raw: GrpcStream, onUnavailable: () => void) {
    this.raw = raw;
    // A stream that broke for the member's sake: the next stream (and call) goes to the next member.
    raw.on('error', (err: Error) => {
      if (isUnavailable(err)) onUnavailable();
    });
  }
  write(req: WatchRequest): void {
    this.raw.write(messages.WatchRequest.encode(req).finish());
  }
  cancel(): void {
    this.raw.cancel();
  }
  on(event: 'data' | 'error' | 'end', fn: (arg: never) => void): this {
    if (event === 'data') {
      this.raw.on('data', (bytes: Buffer) => {
        let res: WatchResponse;
        try {
          res = decodeMessage<WatchResponse>(messages.WatchResponse, bytes);
        } catch (err) {
          this.raw.cancel();
          this.raw.emit('error', new GrpcError(Status.INTERNAL, `etcd watch response: ${(err as Error).message}`));
          return;
        }
        (fn as (r: WatchResponse) => void)(res);
      });
    } else this.raw.on(event, fn as (...a: unknown[]) => void);
    return this;
  }
}

class EtcdKvClient implements EtcdKv {
  readonly servers: readonly string[];
  private readonly channels: GrpcChannel[];
  private current = 0;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(opts: EtcdKvOptions) {
    if (opts.servers.length === 0) throw new Error('no etcd server given');
    this.servers = [...opts.servers];
    const maxMessageBytes = opts.maxMessageBytes ?? 2 ** 31 - 1;
    this.channels = opts.servers.map((url) => new GrpcChannel({ url, tls: opts.tls, maxMessageBytes, dialTimeoutMs: opts.dialTimeoutMs }));
    this.timeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  private async call<Res>(method: string, type: protobuf.Type, res: protobuf.Type, req: object, service = KV, timeoutMs = this.timeoutMs): Promise<Res> {
    if (this.closed) throw new ClientClosedError();
    return this.send(method, frame(type.encode(req).finish()), res, service, timeoutMs);
  }

  /** A call whose request message is framed already. */
  private async send<Res>(method: string, body: Buffer, res: protobuf.Type, service = KV, timeoutMs = this.timeoutMs): Promise<Res> {
    if (this.closed) throw new ClientClosedError();
    // A call no member can have acted on (gRPC's transparent retry: the connection never came
    // up, the stream was refused unprocessed) goes to the next member, at most once per member.
    for (let tried = 1; ; tried++) {
      const index = this.current;
      let bytes: Buffer;
      try {
        bytes = await this.channels[index].unaryFramed(service + method, body, timeoutMs);
      } catch (err) {
        if (this.closed) throw new ClientClosedError();
        if (isUnavailable(err)) this.failedOver(index);
        if (err instanceof GrpcError && err.unprocessed && tried < this.channels.length) continue;
        throw err;
      }
      return decodeMessage<Res>(res, bytes);
    }
  }

  /** The next call tries the next member (unless another failure moved on already). */
  private failedOver(index: number): void {
    if (this.current === index) this.current = (index + 1) % this.channels.length;
  }

  range(req: RangeRequest): Promise<RangeResponse> {
    return this.call('Range', messages.RangeRequest, messages.RangeResponse, req);
  }

  txn(req: TxnRequest): Promise<TxnResponse> {
    // Every store write: its request written by hand, byte for byte protobufjs' (txn-wire.ts).
    let body: Buffer;
    try {
      if (this.closed) throw new ClientClosedError();
      body = framedTxn(req);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.send('Txn', body, messages.TxnResponse);
  }

  put(req: PutRequest): Promise<PutResponse> {
    return this.call('Put', messages.PutRequest, messages.PutResponse, req);
  }

  compact(req: CompactionRequest): Promise<CompactionResponse> {
    return this.call('Compact', messages.CompactionRequest, messages.CompactionResponse, req);
  }

  leaseGrant(req: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    return this.call('LeaseGrant', messages.LeaseGrantRequest, messages.LeaseGrantResponse, req, '/etcdserverpb.Lease/');
  }

  status(timeoutMs?: number): Promise<StatusResponse> {
    return this.call('Status', messages.StatusRequest, messages.StatusResponse, {}, '/etcdserverpb.Maintenance/', timeoutMs);
  }

  watch(): WatchStream {
    if (this.closed) throw new ClientClosedError();
    const index = this.current;
    return new WatchStreamImpl(this.channels[index].stream('/etcdserverpb.Watch/Watch'), () => this.failedOver(index));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.channels) c.close();
  }
}

export function createEtcdKv(opts: EtcdKvOptions): EtcdKv {
  return new EtcdKvClient(opts);
}
