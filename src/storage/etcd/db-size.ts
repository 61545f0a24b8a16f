/**
 * apiserver_storage_size_bytes on etcd, as kube-apiserver's storage monitor reads it: the
 * Maintenance/Status dbSize of one member (the one calls go to now; upstream picks one at random),
 * within a second, labelled storage_cluster_id "etcd-0" (the first storage backend).
 */
import type { EtcdKv } from './etcd-kv-client.ts';
import { int } from './etcd-proto.ts';

const STATUS_TIMEOUT_MS = 1000;

export async function etcdDbSize(client: EtcdKv): Promise<number> {
  return int((await client.status(STATUS_TIMEOUT_MS)).dbSize);
}
