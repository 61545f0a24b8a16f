import { Agent, request } from 'node:https';

export interface Identity {
  caPem: string;
  certPem?: string;
  keyPem?: string;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
  /** The body's bytes (protobuf answers). */
  raw: Buffer;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A small HTTPS client for tests: mutual TLS with a given identity, JSON by default. */
export class TestClient {
  readonly base: URL;
  readonly agent: Agent;

  constructor(baseUrl: string, id: Identity) {
    this.base = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, ca: id.caPem, cert: id.certPem, key: id.keyPem, maxSockets: 64 });
  }

  req(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload as string | Buffer));
    }
    return new Promise((resolve, reject) => {
      const r = request(
        { host: this.base.hostname, port: this.base.port, path, method, headers, agent: this.agent, servername: 'localhost' },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            const text = raw.toString('utf8');
            let body: any;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, raw });
          });
        },
      );
      r.on('error', reject);
      if (payload !== undefined) r.write(payload);
      r.end();
    });
  }

  get(path: string, opts?: RequestOptions) {
    return this.req('GET', path, opts);
  }
  post(path: string, body: unknown, opts?: RequestOptions) {
    return this.req('POST', path, { ...opts, body });
  }
  put(path: string, body: unknown, opts?: RequestOptions) {
    return this.req('PUT', path, { ...opts, body });
  }
  patch(path: string, body: unknown, contentType: string, opts?: RequestOptions) {
    return this.req('PATCH', path, { ...opts, body, contentType });
  }
  delete(path: string, body?: unknown, opts?: RequestOptions) {
    return this.req('DELETE', path, { ...opts, body });
  }

  /** Opens a watch and collects events until `until` returns true or the stream ends. */
  watch(path: string, until: (events: any[]) => boolean, timeoutMs = 5000): Promise<{ status: number; events: any[] }> {
    return new Promise((resolve, reject) => {
      const events: any[] = [];
      let buf = '';
      const r = request({ host: this.base.hostname, port: this.base.port, path, method: 'GET', agent: false, ca: (this.agent.options as any).ca, cert: (this.agent.options as any).cert, key: (this.agent.options as any).key, servername: 'localhost' }, (res) => {
        const timer = setTimeout(() => {
          r.destroy();
          resolve({ status: res.statusCode ?? 0, events });
        }, timeoutMs);
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) events.push(JSON.parse(line));
          }
          if (until(events)) {
            clearTimeout(timer);
            r.destroy();
            resolve({ status: res.statusCode ?? 0, events });
          }
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, events });
        });
        // The server went away mid-stream (killed): what arrived until then is the answer.
        res.on('close', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, events });
        });
      });
      r.on('error', (err) => {
        if ((err as { code?: string }).code === 'ECONNRESET') return;
        reject(err);
      });
      r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
