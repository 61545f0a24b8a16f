/**
 * One HTTP/2 stream of h2-session.ts: its handlers, its send window and the DATA waiting for it.
 */
import type { HeaderList } from './hpack.ts';

export interface H2StreamHandlers {
  headers(fields: HeaderList, endStream: boolean): void;
  data(chunk: Buffer, endStream: boolean): void;
  /**
   * The stream ended without the peer's END_STREAM: RST_STREAM (its code) or a lost connection.
   * `unprocessed`: the peer cannot have acted on it (the connection never came up, GOAWAY named
   * an earlier last stream, REFUSED_STREAM), so the request may be sent again elsewhere.
   */
  reset(code: number | undefined, err: Error | undefined, unprocessed: boolean): void;
}

/** What a stream asks of its session. */
export interface StreamOwner {
  flushStream(s: H2Stream): void;
  cancel(s: H2Stream): void;
}

export class H2Stream {
  readonly id: number;
  readonly handlers: H2StreamHandlers;
  sendWindow: number;
  /** DATA waiting for window. */
  queued: { buf: Buffer; end: boolean }[] = [];
  localEnded = false;
  cancelled = false;
  received = 0;
  private readonly session: StreamOwner;

  constructor(session: StreamOwner, id: number, handlers: H2StreamHandlers, sendWindow: number) {
    this.session = session;
    this.id = id;
    this.handlers = handlers;
    this.sendWindow = sendWindow;
  }

  write(buf: Buffer, end = false): void {
    if (this.localEnded) return;
    this.localEnded = end;
    this.queued.push({ buf, end });
    this.session.flushStream(this);
  }

  cancel(): void {
    this.session.cancel(this);
  }
}
