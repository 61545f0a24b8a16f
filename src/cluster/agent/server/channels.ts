/**
 * The Kubernetes WebSocket channel protocols (apimachinery's wsstream, as the kubelet serves them):
 * every binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a Status
 * in JSON from v4 on), 4 resize (JSON {Width, Height}) — and v5.channel.k8s.io adds a close
 * message (255, channel) by which the client ends its stdin. Only the binary v4 and v5 protocols
 * are served: older ones carry no exit status, the base64 variants serve browsers.
 *
 * Memory is bounded both ways: a message is at most MAX_MESSAGE bytes (ws refuses larger ones with
 * 1009), the socket is paused while a reader holds more than its high-water mark, and a writer's
 * callback waits until its message is on the socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable, Writable } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
/** Server preference, newest first. */
export const CHANNEL_PROTOCOLS = [V5, V4] as const;
const CLOSE_SIGNAL = 255;
const MAX_MESSAGE = 1 << 20;

/** The protocol to speak with a client offering `header` (Sec-WebSocket-Protocol), if any. */
export function pickProtocol(header: string | string[] | undefined, supported: readonly string[]): string | undefined {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter(Boolean);
  return supported.find((p) => offered.includes(p));
}

export class ChannelConn {
  readonly ws: WebSocket;
  readonly protocol: string;
  readonly #readers = new Map<number, Readable>();
  #paused = false;

  constructor(ws: WebSocket) {
    this.ws = ws;
    this.protocol = ws.protocol;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary));
    ws.on('close', () => {
      for (const r of this.#readers.values()) r.push(null);
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    if (channel === CLOSE_SIGNAL && this.protocol === V5) {
      if (data.length > 1) this.#readers.get(data[1])?.push(null);
      return;
    }
    const r = this.#readers.get(channel);
    // Messages on channels nobody reads (stdin without stdin=1) are dropped, as wsstream does.
    if (!r || data.length === 1) return;
    if (!r.push(data.subarray(1)) && !this.#paused) {
      this.#paused = true;
      this.ws.pause();
    }
  }

  /** What the client sends on `channel`, ended by a v5 close message or the connection's end. */
  reader(channel: number): Readable {
    const r = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        if (this.#paused) {
          this.#paused = false;
          this.ws.resume();
        }
      },
    });
    this.#readers.set(channel, r);
    return r;
  }

  /** A stream whose writes go to the client as messages on `channel`. */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, cb),
    });
  }

  /** One message on `channel`; cb once it is written (or failed: the connection is gone). */
  send(channel: number, data: Buffer | string, cb?: (err?: Error | null) => void): void {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.ws.readyState !== WebSocket.OPEN) {
      cb?.(new Error('connection closed'));
      return;
    }
    this.ws.send(Buffer.concat([Buffer.from([channel]), body]), { binary: true }, (err) => cb?.(err ?? null));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }
}

/** Completes the WebSocket handshake of an upgrade request with the protocol already picked. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
  // One small server per handshake: the protocol chosen belongs to this request.
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false, handleProtocols: () => protocol });
  return new Promise((resolve) => server.handleUpgrade(req, socket, head, (ws) => resolve(ws)));
}

/**
 * A channel connection on an upgrade request whose protocol was already picked (`pickProtocol`);
 * the caller refuses requests without one before calling this.
 */
export async function acceptChannels(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<ChannelConn> {
  return new ChannelConn(await acceptWebSocket(req, socket, head, protocol));
}
