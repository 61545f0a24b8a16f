/**
 * GETs of TUF metadata from a Notary server through the registry client's transport (one HTTP
 * client for images: CA per host, plain HTTP only to loopback, Bearer-token auth when the server
 * asks, as notary-server's token auth does with the docker registry token service), each body
 * read under a byte cap that stops the transfer (OVERSIZE) and under the verification's abort
 * signal, so a server that accepts and never answers costs at most the deadline
 * (REGISTRY_UNAVAILABLE).
 */
import { ImagePolicyError } from '../../errors.ts';
import { HttpTransportError, discard, readCapped } from '../../registry/http.ts';
import type { RegistryTransport } from '../../registry/transport.ts';

export interface MetadataRequest {
  /** The Notary server's base URL. */
  server: URL;
  gun: string;
  /** "root", "timestamp", "snapshot.<sha256 hex>", "targets/releases.<hex>", "2.root", ... */
  name: string;
  maxBytes: number;
  signal: AbortSignal;
}

export interface MetadataAnswer {
  status: number;
  body: Buffer;
}

/** What the verifier needs from the network; tests may put a fake behind it. */
export interface MetadataFetcher {
  get(r: MetadataRequest): Promise<MetadataAnswer>;
}

export class TransportMetadataFetcher implements MetadataFetcher {
  readonly #transport: RegistryTransport;

  constructor(transport: RegistryTransport) {
    this.#transport = transport;
  }

  async get(r: MetadataRequest): Promise<MetadataAnswer> {
    const path = `${r.server.pathname.replace(/\/$/, '')}/v2/${r.gun}/_trust/tuf/${r.name}.json`;
    const what = `notary ${r.server.host}${path}`;
    try {
      const res = await this.#transport.call({ domain: r.server.host, repo: r.gun, actions: ['pull'], method: 'GET', path, headers: { accept: 'application/json' }, signal: r.signal });
      if (res.status !== 200) {
        discard(res);
        return { status: res.status, body: Buffer.alloc(0) };
      }
      return { status: 200, body: await readCapped(res, r.maxBytes, what, r.signal) };
    } catch (err) {
      if (err instanceof HttpTransportError) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${what}: ${err.message}`, { cause: err });
      throw err;
    }
  }
}
