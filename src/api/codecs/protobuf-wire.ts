/**
 * The protobuf wire format as the request decoder (protobuf.ts) reads it, and the constants the
 * encoder (protobuf-encode.ts) shares: the "k8s\0" prefix, wire types, a bounds-checked reader,
 * and a flat read of the small fixed messages (runtime.Unknown, TypeMeta, IntOrString, Time...).
 * Schema-free, so the schema-driven decoder reads on its own. Every malformed input is an
 * ApiError 400 (malformed()), never a crash.
 */
import { badRequest } from '../errors.ts';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export function malformed(detail: string): Error {
  return badRequest(`unable to decode protobuf body: ${detail}`);
}

/** A bounds-checked protobuf wire reader over buf[pos, end). */
export class WireReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw malformed('unexpected EOF in varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw malformed('integer overflow in varint');
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) throw malformed('length exceeds the remaining input');
    const start = this.pos;
    this.pos += Number(len);
    return this.buf.subarray(start, this.pos);
  }
  fixed(n: 4 | 8): DataView {
    if (this.end - this.pos < n) throw malformed('unexpected EOF in fixed-width value');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return view;
  }
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = key >> 3n;
    if (field === 0n || field > 0x1fffffffn) throw malformed(`illegal field number ${field}`);
    return { field: Number(field), wire: Number(key & 7n) };
  }
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.fixed(8);
    else if (wire === WIRE_LEN) this.bytes();
    else if (wire === WIRE_FIXED32) this.fixed(4);
    else throw malformed(`illegal wireType ${wire}`);
  }
}

export const utf8 = new TextDecoder('utf-8');

/** Reads a message's fields as raw values by number: enough for the small fixed messages. */
export function readFlat(bytes: Uint8Array): Map<number, bigint | Uint8Array> {
  const r = new WireReader(bytes);
  const out = new Map<number, bigint | Uint8Array>();
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (wire === WIRE_VARINT) out.set(field, r.varint());
    else if (wire === WIRE_LEN) out.set(field, r.bytes());
    else r.skip(wire);
  }
  return out;
}

export function flatInt(m: Map<number, bigint | Uint8Array>, n: number, bits: 32 | 64): bigint {
  const v = m.get(n);
  if (v instanceof Uint8Array) throw malformed(`wrong wireType for field ${n}`);
  return BigInt.asIntN(bits, v ?? 0n);
}

export function flatString(m: Map<number, bigint | Uint8Array>, n: number): string {
  const v = m.get(n);
  if (typeof v === 'bigint') throw malformed(`wrong wireType for field ${n}`);
  return v ? utf8.decode(v) : '';
}

export function flatBytes(m: Map<number, bigint | Uint8Array>, n: number): Uint8Array | undefined {
  const v = m.get(n);
  if (typeof v === 'bigint') throw malformed(`wrong wireType for field ${n}`);
  return v;
}

/** Whether a body starts with the "k8s\\0" prefix. */
export function hasMagic(b: Uint8Array): boolean {
  return b.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.every((v, i) => b[i] === v);
}
