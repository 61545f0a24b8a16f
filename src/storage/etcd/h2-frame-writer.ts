/**
 * The outbound side of h2-session.ts: frames onto the socket, corked until the end of the
 * event-loop turn's I/O so that everything written in one turn (the calls that requests on many
 * HTTP connections make) leaves in one writev: one syscall, and one wake-up of etcd, for many.
 */
import type { Socket } from 'node:net';
import { CONTINUATION, END_HEADERS, END_STREAM, HEADERS, frameHeader } from './h2-frames.ts';

export class H2FrameWriter {
  private readonly socket: Socket;
  private corked = false;
  private closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Raw bytes: whole frames, or a frame header then its payload. Nothing once closed. */
  write(buf: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      // setImmediate, not nextTick: after this turn's I/O callbacks, not before them.
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buf);
  }

  /** A header block as HEADERS, then CONTINUATION frames when it is over the peer's frame size. */
  headers(id: number, block: Buffer, endStream: boolean, maxFrame: number): void {
    let flags = endStream ? END_STREAM : 0;
    if (block.length <= maxFrame) {
      this.write(frameHeader(block.length, HEADERS, flags | END_HEADERS, id));
      this.write(block);
      return;
    }
    for (let off = 0, type = HEADERS; off < block.length; off += maxFrame, type = CONTINUATION, flags = 0) {
      const part = block.subarray(off, off + maxFrame);
      this.write(frameHeader(part.length, type, flags | (off + part.length >= block.length ? END_HEADERS : 0), id));
      this.write(part);
    }
  }

  /** Writes nothing more (the session is destroyed). */
  close(): void {
    this.closed = true;
  }
}
