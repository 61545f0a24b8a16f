/**
 * The etcd3 npm client (over @grpc/grpc-js), for the one call the store's own client does not make:
 * Maintenance.Snapshot's stream, for `portcullis snapshot save`. Off the hot path, so its cost per
 * call does not matter there; kept in its own module so that an API server never loads it.
 */
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { tlsOf, type EtcdConnection } from './etcd-client.ts';

export function createMaintenanceClient(conn: EtcdConnection): Etcd3 {
  const tls = tlsOf(conn);
  return new Etcd3({
    hosts: conn.servers,
    credentials: tls ? { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key } : undefined,
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
    // Nothing retried (see etcd-kv-client.ts for why a write must not be).
    faultHandling: { global: noop },
  });
}
