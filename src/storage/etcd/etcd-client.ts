/**
 * The etcd client from kube-apiserver's flags: --etcd-servers (a comma-separated list of URLs),
 * --etcd-cafile / --etcd-certfile / --etcd-keyfile for TLS. Validated when built (a bad URL or a
 * half-given key pair fails the start, not a request).
 */
import { readFileSync } from 'node:fs';
import { createEtcdKv, type EtcdKv } from './etcd-kv-client.ts';
import type { ChannelTls } from './grpc-channel.ts';

export interface EtcdConnection {
  /** Member client URLs, e.g. http://127.0.0.1:2379 or https://etcd-0:2379. */
  servers: string[];
  /** PEM files: the CA that signed the members' certificates, and this client's certificate and key. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Parse --etcd-servers: URLs separated by commas, http or https, all of one scheme. */
export function parseEtcdServers(flag: string): string[] {
  const servers = flag.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (servers.length === 0) throw new Error('--etcd-servers: no server given');
  for (const s of servers) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new Error(`--etcd-servers: ${JSON.stringify(s)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--etcd-servers: ${s}: the scheme must be http or https`);
    if (url.pathname !== '/' && url.pathname !== '') throw new Error(`--etcd-servers: ${s}: a server URL has no path`);
  }
  if (new Set(servers.map((s) => new URL(s).protocol)).size > 1) throw new Error('--etcd-servers: mixing http and https servers');
  return servers;
}

/** The checked TLS material of a connection: undefined for http:// servers. */
export function tlsOf(conn: EtcdConnection): ChannelTls | undefined {
  if (conn.servers.length === 0) throw new Error('no etcd server given');
  if ((conn.certFile === undefined) !== (conn.keyFile === undefined)) {
    throw new Error('--etcd-certfile and --etcd-keyfile go together');
  }
  const secure = conn.servers.every((s) => s.startsWith('https://'));
  if (!secure && (conn.caFile || conn.certFile)) throw new Error('--etcd-cafile/--etcd-certfile need https:// etcd servers');
  // A client certificate is taken only beside the roots it trusts (as etcd3 required before).
  if (conn.certFile && !conn.caFile) throw new Error('--etcd-certfile needs --etcd-cafile');
  if (!secure || !conn.caFile) return undefined;
  return {
    ca: readFileSync(conn.caFile),
    cert: conn.certFile ? readFileSync(conn.certFile) : undefined,
    key: conn.keyFile ? readFileSync(conn.keyFile) : undefined,
  };
}

/**
 * The store's client (etcd-kv-client.ts: gRPC over its own HTTP/2 connection, h2-session.ts).
 * Writes are never retried by it (see there); the store retries reads.
 */
export function createEtcdClient(conn: EtcdConnection): EtcdKv {
  return createEtcdKv({ servers: conn.servers, tls: tlsOf(conn) });
}

/** One client per member (for watch streams, which then choose their member themselves). */
export function createMemberClients(conn: EtcdConnection): EtcdKv[] {
  return conn.servers.map((server) => createEtcdClient({ ...conn, servers: [server] }));
}
