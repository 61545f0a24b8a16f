/** The part of spdy-transport 3 (no published types) the agent uses: a SPDY server session on a socket. */
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream';

  export interface SpdyStream extends Duplex {
    readonly id: number;
    readonly headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, cb?: () => void): void;
    abort(): void;
  }

  export interface SpdyConnection {
    start(version: number): void;
    on(event: 'stream', cb: (s: SpdyStream) => void): this;
    on(event: 'error' | 'close', cb: (err?: Error) => void): this;
    end(cb?: () => void): void;
    destroyStreams(err?: Error): void;
  }

  const transport: {
    connection: { create(socket: Duplex, options: { protocol: 'spdy' | 'http2'; isServer: boolean; windowSize?: number; maxStreams?: number }): SpdyConnection };
  };
  export default transport;
}
