/**
 * Framing of watch streams: JSON events one per line, protobuf events as 4-byte big-endian length
 * + meta/v1 WatchEvent {1 type, 2 RawExtension{1 raw}} whose raw is a whole "k8s\0" body (the
 * format src/api/codecs/protobuf-encode.ts protobufWatchFrame writes). Every frame is bounded: a
 * longer one fails the watch instead of growing a buffer without end.
 */
import { Buffer } from 'node:buffer';

/** Largest event accepted (the API server's own request limit is 3 MiB; objects stay below). */
export const MAX_WATCH_FRAME = 16 * 1024 * 1024;

export interface Framer {
  /** Feeds bytes; returns the complete frames they finish. Throws on an oversized frame. */
  push(chunk: Buffer): Buffer[];
  /** Bytes of an unfinished frame left over (0 at a clean end). */
  pending(): number;
}

export function lineFramer(max = MAX_WATCH_FRAME): Framer {
  let buf: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const out: Buffer[] = [];
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        if (nl > start) out.push(buf.subarray(start, nl));
        start = nl + 1;
      }
      buf = buf.subarray(start);
      if (buf.length > max) throw new Error(`watch event larger than ${max} bytes`);
      return out;
    },
    pending: () => buf.length,
  };
}

export function lengthFramer(max = MAX_WATCH_FRAME): Framer {
  let buf: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const out: Buffer[] = [];
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (len > max) throw new Error(`watch event larger than ${max} bytes`);
        if (buf.length < 4 + len) break;
        out.push(buf.subarray(4, 4 + len));
        buf = buf.subarray(4 + len);
      }
      return out;
    },
    pending: () => buf.length,
  };
}

function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= b.length) throw new Error('truncated varint in watch event');
    const byte = b[pos++];
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [v, pos];
  }
  throw new Error('varint too long in watch event');
}

/** The length-delimited fields of a message, by number (last one wins); other wire types skipped. */
function lenFields(b: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let pos = 0;
  while (pos < b.length) {
    let key: number;
    [key, pos] = varint(b, pos);
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0: [, pos] = varint(b, pos); break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        let len: number;
        [len, pos] = varint(b, pos);
        if (pos + len > b.length) throw new Error('truncated field in watch event');
        out.set(field, b.subarray(pos, pos + len));
        pos += len;
        break;
      }
      default: throw new Error(`unsupported wire type ${key & 7} in watch event`);
    }
  }
  if (pos > b.length) throw new Error('truncated watch event');
  return out;
}

/** A protobuf WatchEvent's type and the object's whole "k8s\0" body. */
export function parseProtobufWatchEvent(frame: Uint8Array): { type: string; raw: Uint8Array } {
  const f = lenFields(frame);
  const type = Buffer.from(f.get(1) ?? new Uint8Array()).toString('utf8');
  const raw = lenFields(f.get(2) ?? new Uint8Array()).get(1) ?? new Uint8Array();
  return { type, raw };
}
