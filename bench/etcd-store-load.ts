/**
 * The storage layer alone on etcd (issue 18's profile): closed-loop creates at the same
 * concurrency straight into the etcd Store (one Txn each), and through the watch cache in front of
 * it (the create also waits for the cache to see its revision, as the API server's does), in this
 * process. Next to raw puts and the HTTPS create in the same run, it tells how much of the gap is
 * the store and how much the API pipeline.
 */
import { createEtcdClient, createMemberClients } from '../src/storage/etcd/etcd-client.ts';
import { openEtcdStore } from '../src/storage/etcd/etcd-store.ts';
import { createWatchCache } from '../src/storage/watch-cache.ts';
import { round } from './stats.ts';

export interface StoreLoadResult {
  etcdStoreCreatesPerSec: number;
  watchCacheCreatesPerSec: number;
}

/** `connections` workers creating for `durationMs` each way (after `warmupMs`); creates per second. */
async function closedLoop(connections: number, warmupMs: number, durationMs: number, create: (n: number) => Promise<unknown>): Promise<number> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let n = 0;
  let done = 0;
  const worker = async () => {
    while (phase !== 'stop') {
      await create(n++);
      if (phase === 'measure') done++;
    }
  };
  const workers = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, warmupMs));
  phase = 'measure';
  const start = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const elapsed = performance.now() - start;
  const rate = (done / elapsed) * 1000;
  phase = 'stop';
  await Promise.all(workers);
  return round(rate, 1);
}

export async function storeCreates(servers: string[], value: object, o: { connections: number; warmupMs: number; durationMs: number }): Promise<StoreLoadResult> {
  const store = await openEtcdStore({ client: createEtcdClient({ servers }), watchClients: createMemberClients({ servers }) });
  const cache = createWatchCache(store);
  try {
    const key = (kind: string, n: number) => `/registry/core/configmaps/bench-store-${kind}/c${n}`;
    const etcdStoreCreatesPerSec = await closedLoop(o.connections, o.warmupMs, o.durationMs, (n) => store.create(key('direct', n), value));
    await cache.list('/registry/core/configmaps/bench-store-cached/', { limit: 1 }); // primed
    const watchCacheCreatesPerSec = await closedLoop(o.connections, o.warmupMs, o.durationMs, (n) => cache.create(key('cached', n), value));
    return { etcdStoreCreatesPerSec, watchCacheCreatesPerSec };
  } finally {
    await cache.close();
  }
}
