import { connect, type ClientHttp2Session } from 'node:http2';
import type { RawResponse } from './raw-client.ts';
import type { Target } from './load.ts';

/**
 * One HTTP/2 connection over TLS through node:http2 (as a Go client would hold one per API server:
 * its requests and its watches as streams of the same connection). request() is one stream,
 * answered when its END_STREAM arrives; watch() opens a stream that stays open and resolves on
 * its first bytes.
 */
export class H2Connection {
  private session: ClientHttp2Session | undefined;
  private readonly target: Target;
  private readonly streams = new Set<{ close(): void }>();

  constructor(target: Target) {
    this.target = target;
  }

  async open(): Promise<ClientHttp2Session> {
    if (this.session) return this.session;
    const { host, port, tls } = this.target;
    const s = connect(`https://${host}:${port}`, { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => {
        s.off('error', reject);
        resolve();
      });
      s.once('error', reject);
    });
    if (s.alpnProtocol !== 'h2') throw new Error(`negotiated ${String(s.alpnProtocol)}, not h2`);
    s.on('error', () => {});
    this.session = s;
    return s;
  }

  async request(method: string, path: string, body?: string, timeoutMs = 10_000): Promise<RawResponse> {
    const session = await this.open();
    const headers: Record<string, string> = { ':method': method, ':path': path, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const st = session.request(headers, { endStream: body === undefined });
    return new Promise<RawResponse>((resolve, reject) => {
      let status = 0;
      let bytes = 0;
      const timer = setTimeout(() => st.close(), timeoutMs);
      st.on('response', (h) => (status = Number(h[':status'])));
      st.on('data', (d: Buffer) => (bytes += d.length));
      st.on('end', () => {
        clearTimeout(timer);
        if (status) resolve({ status, bytes });
        else reject(new Error(`${method} ${path}: the stream ended without an answer`));
      });
      st.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      // Closed without END_STREAM (reset, the session gone, the timeout): no answer.
      st.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`${method} ${path}: stream closed (code ${st.rstCode})`));
      });
      if (body !== undefined) st.end(body);
    });
  }

  /** A watch: resolves with the status once the first event's bytes arrive; the stream stays open until close(). */
  async watch(path: string): Promise<number> {
    const session = await this.open();
    const st = session.request({ ':method': 'GET', ':path': path, accept: 'application/json' });
    this.streams.add(st);
    return new Promise<number>((resolve, reject) => {
      let status = 0;
      st.on('response', (h) => (status = Number(h[':status'])));
      st.once('data', () => resolve(status));
      st.on('error', reject);
      st.on('close', () => {
        this.streams.delete(st);
        reject(new Error(`watch ${path}: stream closed (code ${st.rstCode})`));
      });
    });
  }

  close(): void {
    for (const st of this.streams) st.close();
    this.session?.destroy();
    this.session = undefined;
  }
}
