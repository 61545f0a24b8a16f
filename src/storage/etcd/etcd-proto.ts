/**
 * etcd's v3 API messages (etcdserverpb, mvccpb), compiled by protobufjs from etcd's rpc.proto,
 * kv.proto and auth.proto read where the pinned etcd3 package ships them (node_modules/etcd3/proto;
 * the snapshot command still uses that package, so they are always installed; google API
 * annotations kept: protobufjs ignores them). Only the shapes the store uses are typed here;
 * the field names are the proto's (keepCase), so what is encoded is exactly etcd's wire format.
 *
 * 64-bit integers decode as Long objects (protobufjs has `long` installed, process-wide) or as
 * numbers: `int()` reads either. Revisions stay far below 2^53.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const ETCD3_PROTO = join(dirname(createRequire(import.meta.url).resolve('etcd3/package.json')), 'proto');
const root = new protobuf.Root().loadSync(join(ETCD3_PROTO, 'rpc.proto'), { keepCase: true });

function type(name: string): protobuf.Type {
  return root.lookupType(name);
}

export const messages = {
  RangeRequest: type('etcdserverpb.RangeRequest'),
  RangeResponse: type('etcdserverpb.RangeResponse'),
  TxnRequest: type('etcdserverpb.TxnRequest'),
  TxnResponse: type('etcdserverpb.TxnResponse'),
  CompactionRequest: type('etcdserverpb.CompactionRequest'),
  CompactionResponse: type('etcdserverpb.CompactionResponse'),
  PutRequest: type('etcdserverpb.PutRequest'),
  PutResponse: type('etcdserverpb.PutResponse'),
  LeaseGrantRequest: type('etcdserverpb.LeaseGrantRequest'),
  LeaseGrantResponse: type('etcdserverpb.LeaseGrantResponse'),
  StatusRequest: type('etcdserverpb.StatusRequest'),
  StatusResponse: type('etcdserverpb.StatusResponse'),
  WatchRequest: type('etcdserverpb.WatchRequest'),
  WatchResponse: type('etcdserverpb.WatchResponse'),
};

function enumValue(name: string, value: string): number {
  const n = root.lookupEnum(name).values[value];
  if (n === undefined) throw new Error(`etcd proto: ${name} has no ${value}`);
  return n;
}

export const CompareTarget = { Create: enumValue('etcdserverpb.Compare.CompareTarget', 'Create'), Mod: enumValue('etcdserverpb.Compare.CompareTarget', 'Mod') };
export const CompareResult = { Equal: enumValue('etcdserverpb.Compare.CompareResult', 'Equal'), Greater: enumValue('etcdserverpb.Compare.CompareResult', 'Greater') };
export const EVENT_DELETE = enumValue('mvccpb.Event.EventType', 'Delete');

/**
 * A protobufjs reader whose int64/uint64 fields come out as numbers when they fit in 49 bits
 * (7 varint bytes: revisions, versions, counts, TTLs, far below) and as Long beyond (lease and
 * member IDs are random 64-bit values, kept exact): int() reads either, and a response's
 * revisions need no Long and LongBits object each (the Txn and watch message of every write).
 */
class Int64Reader extends protobuf.BufferReader {}
const longInt64 = protobuf.Reader.prototype.int64;
const longUint64 = protobuf.Reader.prototype.uint64;

/** The varint at the reader's position as a number, if it is at most 7 bytes; else the position is left. */
function smallVarint(r: protobuf.Reader): number | undefined {
  const start = r.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7 && r.pos < r.len; i++) {
    const b = r.buf[r.pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  r.pos = start;
  return undefined;
}

Object.assign(Int64Reader.prototype, {
  int64(this: protobuf.Reader): Int64 {
    return smallVarint(this) ?? (longInt64.call(this) as unknown as Int64);
  },
  uint64(this: protobuf.Reader): Int64 {
    return smallVarint(this) ?? (longUint64.call(this) as unknown as Int64);
  },
});

/** A response message decoded with int64 fields as Int64Reader gives them. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Buffer): T {
  return type.decode(new Int64Reader(bytes)) as unknown as T;
}

/** An int64 as decoded (Long, or number when protobufjs runs without `long`). */
export type Int64 = number | { toNumber(): number };

export function int(v: Int64 | null | undefined): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export interface ResponseHeader {
  revision: Int64;
  member_id?: Int64;
}

export interface KeyValue {
  key: Buffer;
  create_revision: Int64;
  mod_revision: Int64;
  version: Int64;
  value: Buffer;
  /** The lease the key is attached to; 0 for none. */
  lease?: Int64;
}

export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  keys_only?: boolean;
  count_only?: boolean;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: Int64;
}

export interface Compare {
  key: Buffer;
  target: number;
  result: number;
  create_revision?: number;
  mod_revision?: number;
}

export interface RequestOp {
  request_range?: RangeRequest;
  /**
   * lease: the key is deleted when the lease expires (lease-manager.ts); 0 or absent for none.
   * ignore_value: the key keeps its value and gets the lease (lease-backfill.ts).
   */
  request_put?: { key: Buffer; value: Buffer; prev_kv?: boolean; lease?: Int64 } | { key: Buffer; ignore_value: true; lease: Int64 };
  request_delete_range?: { key: Buffer; prev_kv?: boolean };
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure?: RequestOp[];
}

export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: { header: ResponseHeader; prev_kv?: KeyValue | null };
  response_delete_range?: { header: ResponseHeader; deleted: Int64; prev_kvs: KeyValue[] };
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  physical?: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
}

export interface PutResponse {
  header: ResponseHeader;
}

export interface LeaseGrantRequest {
  TTL: number;
  /** 0: the lessor chooses. */
  ID: number;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  /** Kept as decoded: lease IDs are random 64-bit values, beyond a double's integers. */
  ID: Int64;
  TTL: Int64;
  error: string;
}

/** Maintenance/Status (the fields read here). */
export interface StatusResponse {
  header: ResponseHeader;
  /** The member's backend database as physically allocated, in bytes. */
  dbSize: Int64;
}

export interface WatchRequest {
  create_request?: { key: Buffer; range_end?: Buffer; start_revision?: number; progress_notify?: boolean; prev_kv?: boolean };
  progress_request?: Record<string, never>;
}

export interface Event {
  type: number;
  kv: KeyValue;
  prev_kv?: KeyValue | null;
}

export interface WatchResponse {
  header?: ResponseHeader | null;
  watch_id: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision: Int64;
  cancel_reason: string;
  events: Event[];
}
