/**
 * SPDY/3.1 sessions as client-go's spdy streams speak them (moby/spdystream): the client opens
 * every stream, each named by a `streamtype` header (and, for port forwarding, `port` and
 * `requestid`), and the server accepts each with a reply. spdy-transport carries the framing and
 * header compression. Go's spdystream does SPDY/3 framing without 3.1's session window, so the
 * session is started as version 3 (per-stream windows only).
 *
 * Two entrances: an HTTP upgrade (`Upgrade: SPDY/3.1` with X-Stream-Protocol-Version, for exec from
 * kubectl before 1.30 and port-forward before 1.31) and a WebSocket carrying the SPDY bytes in
 * binary messages (kubectl 1.31+'s port-forward, subprotocol SPDY/3.1+portforward.k8s.io).
 * Streams are bounded: at most MAX_STREAMS open per session, and at most MAX_UNREAD bytes a
 * stream's reader has not taken: past that the session stops reading its connection until the
 * reader catches up. spdystream neither sends nor heeds SPDY windows, so without this a client
 * writing stdin (or port-forward data) faster than the process or pod socket reads it grew the
 * agent without limit; Go's spdystream blocks its frame loop the same way (head of line).
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import type { WebSocket } from 'ws';

export type { SpdyStream };

const MAX_STREAMS = 256;
/** Unread bytes one stream may hold before the session stops reading its connection. */
export const MAX_UNREAD = 1 << 20;

/** The protocols offered in X-Stream-Protocol-Version (repeated or comma-separated). */
export function offeredStreamProtocols(req: IncomingMessage): string[] {
  const h = req.headers['x-stream-protocol-version'];
  return (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',').map((p) => p.trim()).filter(Boolean);
}

/** Upstream's httpstream.Handshake failure text. */
export function negotiationError(offered: readonly string[], supported: readonly string[]): string {
  return `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`;
}

/** Answers the upgrade with 101 and the chosen protocol, then starts a SPDY server session on the socket. */
export function acceptSpdyUpgrade(socket: Duplex, head: Buffer, protocol: string): SpdyConnection {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  if (head.length > 0) socket.unshift(head);
  return serverSession(socket);
}

/** A SPDY server session over the binary messages of a WebSocket (the tunnel). */
export function spdyOverWebSocket(ws: WebSocket): SpdyConnection {
  const pipe = new Duplex({
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb(new Error('connection closed'));
      ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
    },
    final(cb) {
      ws.close(1000);
      cb();
    },
  });
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    // A session that stopped reading (a full stream) leaves this buffer full: the socket waits too.
    if (isBinary && !pipe.push(Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer))) ws.pause();
  });
  ws.on('close', () => {
    pipe.push(null);
    pipe.destroy();
  });
  return serverSession(pipe);
}

interface WindowPair {
  send: { updateMax(max: number): void };
}
const UNLIMITED_WINDOW = 2 ** 31 - 1;

type HeaderCallback = (err: Error | null, headers?: Record<string, string>) => void;

function serverSession(socket: Duplex): SpdyConnection {
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: true, maxStreams: MAX_STREAMS });
  // spdy-transport reads SYN_STREAM as HTTP over SPDY and refuses one without :method and :path;
  // spdystream's streams carry only their own headers. This session's parser fills the two in.
  const parser = (conn as unknown as { _spdyState: { parser: { parseKVs(b: unknown, cb: HeaderCallback): void } } })._spdyState.parser;
  const parseKVs = parser.parseKVs.bind(parser);
  parser.parseKVs = (b, cb) =>
    parseKVs(b, (err, headers) => {
      if (!err && headers && headers[':method'] === undefined) Object.assign(headers, { ':method': 'POST', ':path': '/' });
      cb(err, headers);
    });
  // spdystream neither reads SETTINGS nor sends WINDOW_UPDATE (client-go relies on TCP for flow
  // control), so the 64 KiB send windows SPDY starts with would stall any longer output. The
  // session and every stream may send without a window; the socket's own backpressure applies.
  const st = (conn as unknown as { _spdyState: { window: WindowPair; streamWindow: WindowPair } })._spdyState;
  st.window.send.updateMax(UNLIMITED_WINDOW);
  st.streamWindow.send.updateMax(UNLIMITED_WINDOW);
  conn.start(3);
  conn.on('error', () => socket.destroy());
  return conn;
}

interface Internals {
  socket: Duplex;
  _spdyState: { parser: NodeJS.WritableStream };
}

/**
 * Stops reading the session's connection while any stream holds more than MAX_UNREAD unread
 * bytes, and reads on once none does (the stream's reader asked for more, or it closed).
 */
function boundUnread(conn: SpdyConnection): (s: SpdyStream) => void {
  const { socket, _spdyState: { parser } } = conn as unknown as Internals;
  const full = new Set<SpdyStream>();
  const release = (s: SpdyStream) => {
    if (full.delete(s) && full.size === 0 && !socket.destroyed) socket.pipe(parser);
  };
  return (s) => {
    const inner = s as unknown as { _handleData(frame: unknown): void; _read(n: number): void };
    const handleData = inner._handleData.bind(s);
    const read = inner._read.bind(s);
    inner._handleData = (frame) => {
      handleData(frame);
      if (s.readableLength > MAX_UNREAD && !full.has(s)) {
        if (full.size === 0) socket.unpipe(parser);
        full.add(s);
      }
    };
    // Readable calls _read when its reader wants more, i.e. the buffer went below its mark.
    inner._read = (n) => {
      if (s.readableLength <= MAX_UNREAD) release(s);
      read(n);
    };
    s.once('close', () => release(s));
  };
}

/** Accepts every stream the client opens (a SYN_REPLY, as spdystream waits for one). */
export function onStreams(conn: SpdyConnection, cb: (s: SpdyStream) => void): void {
  // spdy-transport does not enforce its maxStreams on streams the peer opens: counted here.
  let open = 0;
  const bound = boundUnread(conn);
  conn.on('stream', (s) => {
    s.on('error', () => undefined);
    if (open >= MAX_STREAMS) return s.abort();
    open++;
    s.once('close', () => open--);
    bound(s);
    // Used once the reply is out: header compression is asynchronous, and data written on any
    // stream before it could otherwise reach the client first.
    s.respond(200, {}, () => cb(s));
  });
}
