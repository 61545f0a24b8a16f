/**
 * gRPC's message framing over HTTP/2 (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): one byte
 * compressed flag, four bytes big-endian length, the message. The decoder takes DATA chunks as
 * they come and hands out whole messages, refusing one longer than the bound before buffering it
 * (a peer cannot make this process hold more than `maxMessageBytes` plus one chunk).
 */

export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export class FrameError extends Error {
  /** gRPC status code the failure means (8 RESOURCE_EXHAUSTED, 13 INTERNAL). */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export class FrameDecoder {
  private readonly maxMessageBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Whole messages completed by this chunk; throws FrameError for a frame it will not take. */
  push(chunk: Buffer): Buffer[] {
    // The common case, a response in one DATA frame: exactly one whole message, nothing buffered.
    if (this.buffered === 0 && chunk.length >= 5 && chunk[0] === 0) {
      const length = chunk.readUInt32BE(1);
      if (chunk.length === 5 + length && length <= this.maxMessageBytes) return [chunk.subarray(5)];
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 5) return out;
      const head = this.chunks[0].length >= 5 ? this.chunks[0] : this.flatten();
      if (head[0] !== 0) throw new FrameError(13, 'grpc: compressed message received, none was asked for');
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes) {
        throw new FrameError(8, `grpc: received message larger than max (${length} vs. ${this.maxMessageBytes})`);
      }
      if (this.buffered < 5 + length) return out;
      const all = this.flatten();
      out.push(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /** Bytes of an unfinished message are left (a stream that ended mid-message). */
  get pending(): number {
    return this.buffered;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }
}
