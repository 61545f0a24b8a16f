/**
 * The inbound side of h2-session.ts: bytes from the socket cut into HTTP/2 frames (RFC 9113
 * section 4), with the checks that need no connection state beyond framing: the frame size
 * bound, the fixed sizes of control frames, padding, and header blocks reassembled from HEADERS
 * and CONTINUATION (bounded, never interleaved with other frames). Every violation is an
 * H2ProtocolError; the session ends the connection on it.
 */
import { CONTINUATION, END_HEADERS, END_STREAM, GOAWAY, H2ProtocolError, HEADERS, MAX_FRAME, MAX_HEADER_BLOCK, PING, PRIORITY, RST_STREAM, SETTINGS, WINDOW_UPDATE, unpad } from './h2-frames.ts';

/** Payload sizes of the control frames read here (RFC 9113 section 6; GOAWAY's is a minimum). */
const FIXED_SIZE: Record<number, number> = { [RST_STREAM]: 4, [PING]: 8, [GOAWAY]: 8, [WINDOW_UPDATE]: 4 };

/** Where the frames go. */
export interface FrameSink {
  /** Reading stops once this is set (a frame's handling ended the connection). */
  readonly destroyed: boolean;
  /** Any frame but HEADERS and CONTINUATION. */
  frame(type: number, flags: number, id: number, payload: Buffer): void;
  /** A whole header block (padding and priority removed, continuations joined). */
  headerBlock(id: number, endStream: boolean, block: Buffer): void;
}

export class H2FrameReader {
  private readonly sink: FrameSink;
  /** The start of a frame not yet whole. */
  private inbox: Buffer = Buffer.alloc(0);
  /** A header block being continued: stream, END_STREAM of its HEADERS frame, fragments. */
  private continued: { id: number; endStream: boolean; parts: Buffer[]; bytes: number } | undefined;

  constructor(sink: FrameSink) {
    this.sink = sink;
  }

  /** Hands the sink every whole frame in `chunk` (and what was left of the last one); throws H2ProtocolError. */
  push(chunk: Buffer): void {
    const buf = this.inbox.length > 0 ? Buffer.concat([this.inbox, chunk]) : chunk;
    let off = 0;
    while (!this.sink.destroyed && buf.length - off >= 9) {
      const len = buf.readUIntBE(off, 3);
      if (len > MAX_FRAME) throw new H2ProtocolError(`HTTP/2 frame of ${len} bytes, over ${MAX_FRAME}`);
      if (buf.length - off < 9 + len) break;
      const type = buf[off + 3];
      const flags = buf[off + 4];
      const id = buf.readUInt32BE(off + 5) & 0x7fffffff;
      const payload = buf.subarray(off + 9, off + 9 + len);
      off += 9 + len;
      this.read(type, flags, id, payload);
    }
    this.inbox = buf.subarray(off);
  }

  private read(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.continued && type !== CONTINUATION) throw new H2ProtocolError('HTTP/2: a header block was interrupted');
    const size = FIXED_SIZE[type];
    if (size !== undefined && (type === GOAWAY ? payload.length < size : payload.length !== size)) {
      throw new H2ProtocolError(`HTTP/2: a frame of type ${type} with ${payload.length} bytes`);
    }
    if (type === SETTINGS && payload.length % 6 !== 0) throw new H2ProtocolError('HTTP/2: SETTINGS not a multiple of 6 bytes');
    if (type === HEADERS) {
      let p = unpad(flags, payload);
      if (flags & PRIORITY) p = p.subarray(5);
      this.fragment(id, (flags & END_STREAM) !== 0, flags, p);
    } else if (type === CONTINUATION) {
      const c = this.continued;
      if (!c || c.id !== id) throw new H2ProtocolError('HTTP/2: CONTINUATION without its HEADERS');
      this.fragment(id, c.endStream, flags, payload);
    } else this.sink.frame(type, flags, id, payload);
  }

  private fragment(id: number, endStream: boolean, flags: number, fragment: Buffer): void {
    let block = fragment;
    if (!(flags & END_HEADERS) || this.continued) {
      const c = (this.continued ??= { id, endStream, parts: [], bytes: 0 });
      c.parts.push(Buffer.from(fragment)); // the socket's chunk is not kept across reads
      c.bytes += fragment.length;
      if (c.bytes > MAX_HEADER_BLOCK) throw new H2ProtocolError(`HTTP/2 header block over ${MAX_HEADER_BLOCK} bytes`);
      if (!(flags & END_HEADERS)) return;
      block = Buffer.concat(c.parts);
      this.continued = undefined;
    }
    this.sink.headerBlock(id, endStream, block);
  }
}
