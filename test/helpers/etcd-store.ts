/**
 * One etcd member (test/helpers/etcd.ts) with a Store on it under `prefix` and a raw etcd3 client
 * to look beneath the store (raw keys, leases): what a file's before() opens and its after() closes.
 */
import { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../../src/storage/etcd/etcd-client.ts';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.ts';
import type { Store } from '../../src/storage/types.ts';
import { startEtcd, type EtcdCluster } from './etcd.ts';

export interface EtcdStoreFixture {
  cluster: EtcdCluster;
  raw: Etcd3;
  /** The etcd store, wrapped as asked (encryption, key TTLs). */
  store: Store;
  /** The store, the raw client, then etcd. */
  close(): Promise<void>;
}

export async function openEtcdFixture(prefix: string, wrap: (s: Store) => Store = (s) => s): Promise<EtcdStoreFixture> {
  const cluster = await startEtcd(1);
  const raw = new Etcd3({ hosts: cluster.servers });
  const down = async () => {
    raw.close();
    await cluster.stop();
  };
  let store: Store;
  try {
    store = wrap(await openEtcdStore({ client: createEtcdClient({ servers: cluster.servers }), prefix }));
  } catch (err) {
    await down();
    throw err;
  }
  return {
    cluster, raw, store,
    close: async () => {
      try {
        await store.close();
      } finally {
        await down();
      }
    },
  };
}
