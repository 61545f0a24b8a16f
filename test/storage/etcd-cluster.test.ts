/**
 * A three-member etcd cluster under write load: the leader is SIGKILLed mid-stream. Every
 * create the store acknowledged is readable afterwards (through the survivors, and through the
 * restarted member), and a watch that was open throughout saw every one of them in revision
 * order with no gap — its stream was on the killed member and resumed on the next one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.ts';
import { createEtcdClient, createMemberClients } from '../../src/storage/etcd/etcd-client.ts';
import type { Store, WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip, startEtcd, type EtcdCluster, type EtcdMember } from '../helpers/etcd.ts';

const skip = etcdSkip();

async function leaderOf(cluster: EtcdCluster): Promise<EtcdMember> {
  for (const m of cluster.members) {
    const c = new Etcd3({ hosts: m.clientUrl });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return m;
    } finally {
      c.close();
    }
  }
  throw new Error('no leader');
}

test('etcd cluster: SIGKILL of the leader under write load loses no acknowledged write', { skip, timeout: 120_000 }, async (t) => {
  const cluster = await startEtcd(3);
  let store: Store | undefined;
  let watchStore: Store | undefined;
  let check: Store | undefined;
  try {
    const leader = await leaderOf(cluster);
    const survivors = cluster.members.filter((m) => m !== leader).map((m) => m.clientUrl);
    store = await openEtcdStore({ client: createEtcdClient({ servers: cluster.servers }) });
    // Per-member watch clients, the leader's first: the watch's stream goes to the member that will be killed.
    const order = { servers: [leader.clientUrl, ...survivors] };
    watchStore = await openEtcdStore({ client: createEtcdClient(order), watchClients: createMemberClients(order), watchRetryDelayMs: () => 50 });
    const s = store;
    const from = s.currentRevision();
    const events: WatchEvent[] = [];
    let watchError: Error | undefined;
    let watched: () => void = () => {};
    const watcher = watchStore.watch('/registry/load/', from, {
      onEvent: (e) => {
        events.push(e);
        watched();
      },
      onError: (e) => {
        watchError = e;
        watched();
      },
    });

    const acked = new Map<string, number>();
    let failed = 0;
    const reasons = new Map<string, number>();
    let phase: 'before' | 'after' | 'stop' = 'before';
    let ackedAtKill = 0;
    let onProgress: () => void = () => {};
    const writer = async (w: number) => {
      for (let n = 0; phase !== 'stop'; n++) {
        const key = `/registry/load/w${w}-${n}`;
        try {
          const obj = await s.create(key, { w, n });
          acked.set(key, obj.modRevision);
        } catch (err) {
          failed++; // not acknowledged: it may or may not have been written
          const m = String((err as Error).message).slice(0, 80);
          reasons.set(m, (reasons.get(m) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 10)); // a client backs off; no hot loop while the cluster elects
        }
        onProgress();
      }
    };
    const until = (pred: () => boolean) =>
      new Promise<void>((resolve) => {
        onProgress = () => pred() && resolve();
        onProgress();
      });
    const writers = Array.from({ length: 8 }, (_, i) => writer(i));
    await until(() => acked.size >= 300);
    ackedAtKill = acked.size;
    await leader.kill();
    phase = 'after';
    // The survivors elect a leader and take writes again: the load goes on until it has.
    await until(() => acked.size >= ackedAtKill + 300);
    phase = 'stop';
    await Promise.all(writers);

    check = await openEtcdStore({ client: createEtcdClient({ servers: survivors }) });
    const missing: string[] = [];
    for (const [key, rev] of acked) {
      const got = await check.get(key);
      if (!got || got.modRevision !== rev) missing.push(key);
    }
    assert.deepEqual(missing, [], `acknowledged writes lost (${failed} writes failed during the kill)`);

    // Before the killed member is back: the watch saw every acknowledged create, in order, without gaps or repeats.
    const last = Math.max(...acked.values());
    await new Promise<void>((resolve) => {
      watched = () => (watchError || events.some((e) => e.revision >= last)) && resolve();
      watched();
    });
    watcher.close();
    assert.equal(watchError, undefined);
    const revs = events.map((e) => e.revision);
    assert.deepEqual(revs, [...revs].sort((a, b) => a - b));
    assert.equal(new Set(revs).size, revs.length, 'no event twice');
    const seen = new Set(events.map((e) => e.key));
    assert.deepEqual([...acked.keys()].filter((k) => !seen.has(k)), [], 'every acknowledged create was watched');
    // The killed member comes back on its data and catches up.
    await leader.restart();
    const back = await openEtcdStore({ client: createEtcdClient({ servers: [leader.clientUrl] }) });
    try {
      assert.ok((await back.count('/registry/load/')) >= acked.size);
    } finally {
      await back.close();
    }

    t.diagnostic(`${acked.size} acknowledged, ${failed} failed around the kill, ${events.length} watched`);
    t.diagnostic(JSON.stringify([...reasons]));
    // A create that failed for the connection's sake is never reported as someone else's key.
    assert.deepEqual([...reasons.keys()].filter((m) => m.includes('already exists')), []);
  } finally {
    await store?.close();
    await watchStore?.close();
    await check?.close();
    await cluster.stop();
  }
});
