import { connect, type TLSSocket } from 'node:tls';
import type { Target } from './load.ts';

export interface RawResponse {
  status: number;
  bytes: number;
  /** The Retry-After header in seconds, when the answer has one (a 429 from flow control). */
  retryAfterS?: number;
}

export interface RawConnectionOptions {
  /** Authenticate with this bearer token instead of the target's client certificate. */
  bearerToken?: string;
}

type Pending = { resolve: (r: RawResponse) => void; reject: (e: Error) => void };

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection over TLS with a minimal response parser (status line,
 * content-length or chunked bodies, counted but not kept). node:https costs the load generator
 * several times more CPU per request, and on two cores a load generator that saturates first
 * would understate the faster server. One request in flight at a time (closed loop).
 */
export class RawConnection {
  private socket: TLSSocket | undefined;
  private readonly target: Target;
  private pending: Pending | undefined;
  private head: Buffer = Buffer.alloc(0);
  private state: 'head' | 'length' | 'chunked' = 'head';
  private status = 0;
  private remaining = 0;
  private bytes = 0;
  private chunkLine = '';
  private chunkTail = 0;
  private lastChunk = false;
  private retryAfterS: number | undefined;
  private readonly auth: string;
  private readonly bearer: boolean;

  constructor(target: Target, opts: RawConnectionOptions = {}) {
    this.target = target;
    this.bearer = opts.bearerToken !== undefined;
    this.auth = this.bearer ? `authorization: Bearer ${opts.bearerToken}\r\n` : '';
  }

  async request(method: string, path: string, body?: string, timeoutMs = 10_000): Promise<RawResponse> {
    const socket = this.socket ?? (await this.open());
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.target.host}:${this.target.port}\r\naccept: application/json\r\n${this.auth}`;
    if (body !== undefined) head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise<RawResponse>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`timeout: ${method} ${path}`)), timeoutMs);
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.state = 'head';
      this.head = Buffer.alloc(0);
      this.bytes = 0;
      socket.write(head + '\r\n' + (body ?? ''));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<TLSSocket> {
    const { tls, host, port } = this.target;
    return new Promise((resolve, reject) => {
      const s = connect({ host, port, ca: tls.caPem, ...(this.bearer ? {} : { cert: tls.certPem, key: tls.keyPem }) }, () => {
        s.off('error', reject);
        s.on('error', (e) => this.fail(e));
        s.on('close', () => this.fail(new Error('connection closed')));
        this.socket = s;
        resolve(s);
      });
      s.setNoDelay(true);
      s.once('error', reject);
      s.on('data', (d: Buffer) => this.onData(d));
    });
  }

  private fail(e: Error): void {
    this.close();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private done(): void {
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ status: this.status, bytes: this.bytes, ...(this.retryAfterS !== undefined ? { retryAfterS: this.retryAfterS } : {}) });
  }

  private onData(d: Buffer): void {
    if (!this.pending) return;
    if (this.state === 'head') {
      this.head = this.head.length ? Buffer.concat([this.head, d]) : d;
      const end = this.head.indexOf(HEAD_END);
      if (end < 0) return;
      const headText = this.head.toString('latin1', 0, end);
      this.status = Number(headText.slice(9, 12));
      const lower = headText.toLowerCase();
      const m = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      const ra = this.status === 429 ? /\r\nretry-after:\s*(\d+)/.exec(lower) : null;
      this.retryAfterS = ra ? Number(ra[1]) : undefined;
      const rest = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      if (m) {
        this.state = 'length';
        this.remaining = Number(m[1]);
      } else if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
        this.state = 'chunked';
        this.chunkLine = '';
        this.chunkTail = 0;
        this.remaining = 0;
        this.lastChunk = false;
      } else {
        this.state = 'length';
        this.remaining = 0;
      }
      if (rest.length === 0 && this.remaining === 0 && this.state === 'length') return this.done();
      d = rest;
    }
    if (this.state === 'length') {
      this.bytes += d.length;
      this.remaining -= d.length;
      if (this.remaining <= 0) this.done();
      return;
    }
    this.onChunked(d);
  }

  /** Chunked transfer coding: size line, data, CRLF; a zero-size chunk then CRLF ends it. */
  private onChunked(d: Buffer): void {
    let i = 0;
    while (i < d.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, d.length - i);
        this.bytes += n;
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.chunkTail = 2;
      } else if (this.chunkTail > 0) {
        this.chunkTail--;
        i++;
        if (this.chunkTail === 0 && this.lastChunk) return this.done();
      } else {
        const nl = d.indexOf(10, i);
        if (nl < 0) {
          this.chunkLine += d.toString('latin1', i);
          return;
        }
        const line = (this.chunkLine + d.toString('latin1', i, nl)).trim();
        this.chunkLine = '';
        i = nl + 1;
        const size = parseInt(line, 16);
        if (size === 0) {
          this.lastChunk = true;
          this.chunkTail = 2;
        } else this.remaining = size;
      }
    }
  }
}
