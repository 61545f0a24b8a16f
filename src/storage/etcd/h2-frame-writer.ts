/**
 * The outbound side of h2-session.ts: frames onto the socket, held until the end of the
 * event-loop turn's I/O so that everything written in one turn (the calls that requests on many
 * HTTP connections make) leaves in one write: one syscall, and one wake-up of etcd, for many.
 * The turn's small frames (headers, control frames, the DATA of most calls) are joined into one
 * buffer, so the socket's stream machinery sees one write a turn, not four a call; a large
 * payload goes on as it is, in order, without a copy.
 */
import type { Socket } from 'node:net';
import { CONTINUATION, END_HEADERS, END_STREAM, HEADERS, frameHeader } from './h2-frames.ts';

/** A payload at least this large is written on its own instead of copied into the turn's buffer. */
const JOIN_BELOW = 16 * 1024;

export class H2FrameWriter {
  private readonly socket: Socket;
  private pending: Buffer[] = [];
  private scheduled = false;
  private closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Raw bytes: whole frames, or a frame header then its payload. Nothing once closed. */
  write(buf: Buffer): void {
    if (this.closed) return;
    this.pending.push(buf);
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate, not nextTick: after this turn's I/O callbacks, not before them.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    if (this.closed || pending.length === 0) return;
    if (pending.length === 1) {
      this.socket.write(pending[0]);
      return;
    }
    this.socket.cork();
    let from = 0;
    for (let i = 0; i <= pending.length; i++) {
      if (i < pending.length && pending[i].length < JOIN_BELOW) continue;
      // pending[from..i) are small: one buffer; then the large one at i, as it is.
      if (i - from === 1) this.socket.write(pending[from]);
      else if (i > from) this.socket.write(Buffer.concat(pending.slice(from, i)));
      if (i < pending.length) this.socket.write(pending[i]);
      from = i + 1;
    }
    this.socket.uncork();
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

  /** Writes nothing more (the session is destroyed); what this turn wrote is dropped. */
  close(): void {
    this.closed = true;
    this.pending = [];
  }
}
