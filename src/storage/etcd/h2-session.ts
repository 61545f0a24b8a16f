/**
 * A small HTTP/2 client connection (RFC 9113) for the etcd client's gRPC calls (grpc-channel.ts).
 * node:http2 costs two to three times the CPU per call of this (a Duplex stream, async resource
 * and header objects per request; issue 18: 100-176 vs 42-72 us per Txn in process): a create is one
 * unary call and one watch message, so that cost was most of what creates on etcd paid over
 * SQLite. What a gRPC client needs and no more: requests with a fixed header block, DATA both
 * ways with flow control (a Txn can carry a value of 1.5 MiB over a 64 KiB window), SETTINGS,
 * PING (keepalive), RST_STREAM, GOAWAY, CONTINUATION; no push (refused at SETTINGS), no
 * priorities. Frames are cut from the socket's bytes by h2-frame-reader.ts and written, one
 * writev per event-loop turn, by h2-frame-writer.ts; this file keeps the connection's state.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { HpackDecoder, HpackError } from './hpack.ts';
import { ACK, CANCEL, REFUSED_STREAM, DATA, END_STREAM, GOAWAY, H2ProtocolError, MAX_FRAME, MAX_STREAM_ID, PING, PUSH_PROMISE, RST_STREAM, SESSION_WINDOW, SETTINGS, STREAM_WINDOW, WINDOW_UPDATE } from './h2-frames.ts';
import { clientPreface, frameHeader, pingFrame, rstStream, unpad, windowUpdate } from './h2-frames.ts';
import { H2FrameReader, type FrameSink } from './h2-frame-reader.ts';
import { H2FrameWriter } from './h2-frame-writer.ts';
import { H2Stream, type H2StreamHandlers, type StreamOwner } from './h2-stream.ts';

export { H2ProtocolError, H2Stream, type H2StreamHandlers };

export interface H2SessionOptions {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
}

/** Events: 'connect' once the connection (and TLS) is up; 'close' (Error | undefined) once. */
export class H2Session extends EventEmitter implements StreamOwner, FrameSink {
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  private readonly socket: net.Socket;
  private readonly out: H2FrameWriter;
  private readonly hpack = new HpackDecoder();
  private readonly streams = new Map<number, H2Stream>();
  private nextId = 1;
  private peerInitialWindow = 65535;
  private peerMaxFrame = MAX_FRAME;
  private peerMaxStreams = Infinity;
  private sendWindow = 65535;
  private receivedUnacked = 0;
  /** Streams over the peer's SETTINGS_MAX_CONCURRENT_STREAMS, in order. */
  private waitingStart: { stream: H2Stream; start: () => void }[] = [];
  private readonly pings = new Map<string, () => void>();
  private pingSeq = 0;
  private readonly reader = new H2FrameReader(this);
  /** The connection (and TLS) came up: a request may have reached the peer since. */
  private up = false;
  /** No new streams: GOAWAY received, ids used up, or closed. */
  draining = false;
  destroyed = false;

  constructor(opts: H2SessionOptions) {
    super();
    this.scheme = opts.tls ? 'https' : 'http';
    this.authority = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
    if (opts.tls) {
      const servername = net.isIP(opts.host) ? undefined : opts.host;
      this.socket = tls.connect({ ...opts.tls, host: opts.host, port: opts.port, servername, ALPNProtocols: ['h2'] }, () => {
        const t = this.socket as tls.TLSSocket;
        if (t.alpnProtocol !== 'h2') this.destroy(new Error(`the server did not agree to HTTP/2 (ALPN ${String(t.alpnProtocol)})`));
        else this.connected();
      });
    } else {
      this.socket = net.connect({ host: opts.host, port: opts.port }, () => this.connected());
    }
    this.out = new H2FrameWriter(this.socket);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.destroy(err));
    this.socket.on('close', () => this.destroy(new Error('the connection closed')));
    this.out.write(clientPreface());
  }

  /** A new stream with this header block; body given with end=true makes a unary request. */
  request(block: Buffer, handlers: H2StreamHandlers, body?: Buffer, end = false): H2Stream {
    if (this.draining || this.destroyed) throw new Error('the HTTP/2 session takes no new streams');
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > MAX_STREAM_ID) this.draining = true;
    const stream = new H2Stream(this, id, handlers, this.peerInitialWindow);
    // A closure only for a stream that has to wait for room (the usual one starts at once).
    if (this.streams.size >= this.peerMaxStreams) this.waitingStart.push({ stream, start: () => this.start(stream, block, body, end) });
    else this.start(stream, block, body, end);
    return stream;
  }

  private start(stream: H2Stream, block: Buffer, body: Buffer | undefined, end: boolean): void {
    if (this.destroyed || stream.cancelled) return;
    this.streams.set(stream.id, stream);
    this.out.headers(stream.id, block, body === undefined && end, this.peerMaxFrame);
    if (body !== undefined) stream.write(body, end);
    else this.flushStream(stream); // written before it could start
  }

  ping(done: () => void): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pingSeq, 4);
    this.pings.set(payload.toString('hex'), done);
    this.out.write(pingFrame(payload, false));
  }

  /** @internal */
  cancel(stream: H2Stream): void {
    stream.cancelled = true; // also when still waiting to start
    if (!this.streams.delete(stream.id)) return;
    this.reset(stream.id);
    this.started();
  }

  /** @internal: send what the windows allow of the stream's queued DATA. */
  flushStream(s: H2Stream): void {
    while (s.queued.length > 0 && this.streams.get(s.id) === s) {
      const q = s.queued[0];
      const n = Math.min(q.buf.length, s.sendWindow, this.sendWindow, this.peerMaxFrame);
      if (n <= 0 && q.buf.length > 0) return;
      const last = n === q.buf.length;
      this.out.write(frameHeader(n, DATA, last && q.end ? END_STREAM : 0, s.id));
      if (n > 0) this.out.write(q.buf.subarray(0, n));
      s.sendWindow -= n;
      this.sendWindow -= n;
      if (last) s.queued.shift();
      else q.buf = q.buf.subarray(n);
    }
  }

  close(): void {
    this.destroy(undefined);
  }

  destroy(err: Error | undefined): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.draining = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.out.close();
    this.socket.destroy();
    const why = err ?? new Error('the connection was closed');
    for (const s of streams) s.handlers.reset(undefined, why, !this.up);
    this.failWaiting(why);
    this.emit('close', err);
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (err) {
      // The peer's fault ends the connection; a handler's own failure is a bug, thrown on.
      if (!(err instanceof H2ProtocolError || err instanceof HpackError)) throw err;
      this.destroy(err);
    }
  }

  /** @internal (FrameSink): a frame other than a header block's. */
  frame(type: number, flags: number, id: number, payload: Buffer): void {
    switch (type) {
      case DATA:
        return this.onDataFrame(flags, id, payload);
      case RST_STREAM: {
        const s = this.streams.get(id);
        if (s && this.streams.delete(id)) {
          const code = payload.readUInt32BE(0);
          s.handlers.reset(code, undefined, code === REFUSED_STREAM);
          this.started();
        }
        return;
      }
      case SETTINGS:
        if (flags & ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) this.setting(payload.readUInt16BE(i), payload.readUInt32BE(i + 2));
        this.out.write(frameHeader(0, SETTINGS, ACK, 0));
        return;
      case PUSH_PROMISE:
        throw new H2ProtocolError('HTTP/2: PUSH_PROMISE after push was disabled');
      case PING:
        if (flags & ACK) {
          const key = payload.toString('hex');
          const done = this.pings.get(key);
          this.pings.delete(key);
          done?.();
        } else this.out.write(pingFrame(payload, true));
        return;
      case GOAWAY: {
        const last = payload.readUInt32BE(0) & 0x7fffffff;
        this.draining = true;
        this.failWaiting(new Error('the server is going away (GOAWAY)'));
        // Streams the peer never saw fail at once; the others may still finish.
        for (const [sid, s] of this.streams) {
          if (sid > last) {
            this.streams.delete(sid);
            s.handlers.reset(undefined, new Error(`the server is going away (GOAWAY code ${payload.readUInt32BE(4)})`), true);
          }
        }
        this.started();
        return;
      }
      case WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          this.sendWindow += inc;
          for (const s of [...this.streams.values()]) if (s.queued.length > 0) this.flushStream(s);
        } else {
          const s = this.streams.get(id);
          if (s) {
            s.sendWindow += inc;
            this.flushStream(s);
          }
        }
        return;
      }
      default:
      // PRIORITY and unknown frame types are ignored (RFC 9113 5.5).
    }
  }

  private setting(key: number, value: number): void {
    // Out-of-range values are connection errors (RFC 9113 6.5.2): a frame size of 0 would make
    // the header and data writers loop without end, a window over 2^31-1 overflow flow control.
    if (key === 4 && value > 0x7fffffff) throw new H2ProtocolError(`HTTP/2: SETTINGS_INITIAL_WINDOW_SIZE ${value} over 2^31-1`);
    if (key === 5 && (value < 16_384 || value > 16_777_215)) throw new H2ProtocolError(`HTTP/2: SETTINGS_MAX_FRAME_SIZE ${value} outside 16384..16777215`);
    if (key === 3) this.peerMaxStreams = value;
    else if (key === 4) {
      const delta = value - this.peerInitialWindow;
      this.peerInitialWindow = value;
      for (const s of this.streams.values()) s.sendWindow += delta;
      if (delta > 0) for (const s of [...this.streams.values()]) this.flushStream(s);
    } else if (key === 5) this.peerMaxFrame = value;
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    // Flow control counts the whole payload, padding included.
    this.receivedUnacked += payload.length;
    const s = this.streams.get(id);
    const end = (flags & END_STREAM) !== 0;
    let wu: Buffer | undefined;
    if (this.receivedUnacked >= SESSION_WINDOW / 2) {
      wu = windowUpdate(0, this.receivedUnacked);
      this.receivedUnacked = 0;
    }
    if (s) {
      s.received += payload.length;
      if (!end && s.received >= STREAM_WINDOW / 2) {
        const w = windowUpdate(id, s.received);
        wu = wu ? Buffer.concat([wu, w]) : w;
        s.received = 0;
      }
    }
    if (wu) this.out.write(wu);
    if (!s) return;
    if (end) this.ended(s);
    s.handlers.data(unpad(flags, payload), end);
  }

  /** @internal (FrameSink): a whole header block. */
  headerBlock(id: number, endStream: boolean, block: Buffer): void {
    // Decoded even for a stream given up: the decoder's table follows every block.
    const fields = this.hpack.decode(block);
    const s = this.streams.get(id);
    if (!s) return;
    if (endStream) this.ended(s);
    s.handlers.headers(fields, endStream);
  }

  /**
   * The peer ended the stream (gRPC's trailers: the call is over). A stream this side has not
   * ended yet (a watch) is reset, as gRPC clients do, so the peer forgets it too.
   */
  private ended(s: H2Stream): void {
    if (!s.localEnded) {
      s.localEnded = true;
      this.reset(s.id);
    }
    this.streams.delete(s.id);
    this.started();
  }

  private connected(): void {
    this.up = true;
    this.emit('connect');
  }

  private reset(id: number): void {
    this.out.write(rstStream(id, CANCEL));
  }

  /** Streams that never started were never sent: the request may go elsewhere. */
  private failWaiting(err: Error): void {
    const waiting = this.waitingStart;
    this.waitingStart = [];
    for (const w of waiting) if (!w.stream.cancelled) w.stream.handlers.reset(undefined, err, true);
  }

  /** A stream ended: start one waiting for room; a draining session with nothing left closes. */
  private started(): void {
    while (this.waitingStart.length > 0 && this.streams.size < this.peerMaxStreams) this.waitingStart.shift()!.start();
    if (this.draining && this.streams.size === 0 && this.waitingStart.length === 0) this.close();
  }
}
