/**
 * A TxnRequest's gRPC message (the 5-byte length prefix, then the protobuf), written straight into
 * one buffer: the bytes protobufjs writes for the same request (fields in number order; a proto3
 * scalar only when it is not its default, 0, false or empty, while a member of a oneof, the
 * compare's revision, is written whenever set), without its writer's operation list, the
 * finished buffer and the copy that frames it. Every store write is one Txn (txn.ts builds its
 * parts), so this runs once per create, update and delete; txn-wire.test.ts checks it byte for
 * byte against protobufjs over the shapes the store and the lease backfill send.
 *
 * Covers the fields of etcd-proto.ts's TxnRequest: compares on key with result, target and a
 * create or mod revision; success and failure ops of put (key, value, lease, prev_kv,
 * ignore_value), range (key, range_end, limit, revision, keys_only, count_only) and delete
 * (key, prev_kv). int64 values are numbers (safe integers) or Longs (lease IDs).
 */
import type { Compare, Int64, RangeRequest, RequestOp, TxnRequest } from './etcd-proto.ts';

const VARINT = 0;
const LEN = 2;

/** Where a message's fields go: first counted, then written (tags are one byte: every field number here is below 16). */
interface Sink {
  varint(field: number, v: number): void;
  /** An int64 that is written even when 0 (a oneof member). */
  int64(field: number, v: Int64): void;
  bool(field: number, v: boolean): void;
  bytes(field: number, b: Uint8Array): void;
  message<M>(field: number, fields: (s: Sink, m: M) => void, m: M): void;
}

/** An int64's two's-complement low and high 32 bits (a Long carries them; a number within 2^53 is split). */
function low(v: Int64): number {
  if (typeof v !== 'number') return (v as unknown as { low: number }).low >>> 0;
  if (!Number.isSafeInteger(v)) throw new TypeError(`etcd Txn: int64 ${v} is not a safe integer`);
  return v >>> 0;
}

function high(v: Int64): number {
  return typeof v === 'number' ? Math.floor(v / 2 ** 32) >>> 0 : (v as unknown as { high: number }).high >>> 0;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Bytes of the varint Writer.int64 writes: 7 bits a byte while the high half has any left. */
function varint64Size(lo: number, hi: number): number {
  let n = 0;
  while (hi) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  return n + varintSize(lo);
}

class Counter implements Sink {
  size = 0;
  varint(_field: number, v: number): void {
    this.size += 1 + varintSize(v);
  }
  int64(_field: number, v: Int64): void {
    this.size += 1 + varint64Size(low(v), high(v));
  }
  bool(): void {
    this.size += 2;
  }
  bytes(_field: number, b: Uint8Array): void {
    this.size += 1 + varintSize(b.length) + b.length;
  }
  message<M>(_field: number, fields: (s: Sink, m: M) => void, m: M): void {
    const n = sizeOf(fields, m);
    this.size += 1 + varintSize(n) + n;
  }
}

/** One counter for every size taken (a nested message's is taken inside its parent's, so it is saved around it). */
const counter = new Counter();

function sizeOf<M>(fields: (s: Sink, m: M) => void, m: M): number {
  const outer = counter.size;
  counter.size = 0;
  fields(counter, m);
  const n = counter.size;
  counter.size = outer;
  return n;
}

class Writer implements Sink {
  pos: number;
  readonly buf: Buffer;
  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }
  private raw(v: number): void {
    while (v >= 128) {
      this.buf[this.pos++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  private tag(field: number, wire: number): void {
    this.raw((field << 3) | wire);
  }
  varint(field: number, v: number): void {
    this.tag(field, VARINT);
    this.raw(v);
  }
  int64(field: number, v: Int64): void {
    this.tag(field, VARINT);
    let lo = low(v);
    let hi = high(v);
    while (hi) {
      this.buf[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.raw(lo);
  }
  bool(field: number, v: boolean): void {
    this.tag(field, VARINT);
    this.buf[this.pos++] = v ? 1 : 0;
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, LEN);
    this.raw(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  message<M>(field: number, fields: (s: Sink, m: M) => void, m: M): void {
    this.tag(field, LEN);
    this.raw(sizeOf(fields, m));
    fields(this, m);
  }
}

/** An int64 set to something other than 0 (how proto3 leaves out a default one). */
function nonZero(v: Int64 | null | undefined): v is Int64 {
  if (v == null) return false;
  if (typeof v === 'number') return v !== 0;
  const long = v as unknown as { low: number; high: number };
  return (long.low | long.high) !== 0;
}

function compareFields(s: Sink, c: Compare): void {
  if (c.result) s.varint(1, c.result);
  if (c.target) s.varint(2, c.target);
  if (c.key?.length) s.bytes(3, c.key);
  if (c.create_revision != null) s.int64(5, c.create_revision);
  if (c.mod_revision != null) s.int64(6, c.mod_revision);
}

type Put = NonNullable<RequestOp['request_put']>;

function putFields(s: Sink, p: Put): void {
  if (p.key?.length) s.bytes(1, p.key);
  if ('value' in p && p.value?.length) s.bytes(2, p.value);
  if (nonZero(p.lease)) s.int64(3, p.lease);
  if ('prev_kv' in p && p.prev_kv) s.bool(4, p.prev_kv);
  if ('ignore_value' in p && p.ignore_value) s.bool(5, p.ignore_value);
}

function rangeFields(s: Sink, r: RangeRequest): void {
  if (r.key?.length) s.bytes(1, r.key);
  if (r.range_end?.length) s.bytes(2, r.range_end);
  if (nonZero(r.limit)) s.int64(3, r.limit);
  if (nonZero(r.revision)) s.int64(4, r.revision);
  if (r.keys_only) s.bool(8, r.keys_only);
  if (r.count_only) s.bool(9, r.count_only);
}

function deleteFields(s: Sink, d: NonNullable<RequestOp['request_delete_range']>): void {
  if (d.key?.length) s.bytes(1, d.key);
  if (d.prev_kv) s.bool(3, d.prev_kv);
}

function opFields(s: Sink, op: RequestOp): void {
  if (op.request_range != null) s.message(1, rangeFields, op.request_range);
  if (op.request_put != null) s.message(2, putFields, op.request_put);
  if (op.request_delete_range != null) s.message(3, deleteFields, op.request_delete_range);
}

function txnFields(s: Sink, t: TxnRequest): void {
  for (const c of t.compare ?? []) s.message(1, compareFields, c);
  for (const op of t.success ?? []) s.message(2, opFields, op);
  for (const op of t.failure ?? []) s.message(3, opFields, op);
}

/** The request as gRPC frames it: flag 0, the length (big-endian), the TxnRequest's bytes. */
export function framedTxn(req: TxnRequest): Buffer {
  const size = sizeOf(txnFields, req);
  const buf = Buffer.allocUnsafe(5 + size);
  buf[0] = 0;
  buf.writeUInt32BE(size, 1);
  const w = new Writer(buf, 5);
  txnFields(w, req);
  if (w.pos !== buf.length) throw new Error(`etcd Txn: wrote ${w.pos - 5} bytes of ${size}`);
  return buf;
}
