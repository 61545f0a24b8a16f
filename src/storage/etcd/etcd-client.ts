/**
 * The etcd client from kube-apiserver's flags: --etcd-servers (a comma-separated list of URLs),
 * --etcd-cafile / --etcd-certfile / --etcd-keyfile for TLS. Validated when built (a bad URL or a
 * half-given key pair fails the start, not a request).
 */
import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';

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

export function createEtcdClient(conn: EtcdConnection): Etcd3 {
  if (conn.servers.length === 0) throw new Error('no etcd server given');
  if ((conn.certFile === undefined) !== (conn.keyFile === undefined)) {
    throw new Error('--etcd-certfile and --etcd-keyfile go together');
  }
  const secure = conn.servers.every((s) => s.startsWith('https://'));
  if (!secure && (conn.caFile || conn.certFile)) throw new Error('--etcd-cafile/--etcd-certfile need https:// etcd servers');
  // etcd3 takes a client certificate only beside the roots it trusts.
  if (conn.certFile && !conn.caFile) throw new Error('--etcd-certfile needs --etcd-cafile');
  return new Etcd3({
    hosts: conn.servers,
    credentials:
      secure && conn.caFile
        ? {
            rootCertificate: readFileSync(conn.caFile),
            certChain: conn.certFile ? readFileSync(conn.certFile) : undefined,
            privateKey: conn.keyFile ? readFileSync(conn.keyFile) : undefined,
          }
        : undefined,
    // A list of many objects is one response: gRPC's 4 MiB default would refuse it.
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
    // The client would retry any call that failed for the connection's sake, writes included: a
    // create whose first attempt committed before the member died would come back KeyExists (and
    // an update Conflict) for the caller's own write. As etcd's Go client, writes are not
    // retried; the store retries reads itself (etcd-store.ts).
    faultHandling: { global: noop },
  });
}

/** One client per member (for watch streams, which then choose their member themselves). */
export function createMemberClients(conn: EtcdConnection): Etcd3[] {
  return conn.servers.map((server) => createEtcdClient({ ...conn, servers: [server] }));
}
