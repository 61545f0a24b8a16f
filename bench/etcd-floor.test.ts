/**
 * The floor server of the etcd bench (etcd-floor.ts through baseline-fastify.ts): each create is
 * exactly one etcd create Txn and answers 201 with the object, a second create of the name 409,
 * on a real etcd member (skipped without etcd, failed under PORTCULLIS_REQUIRE_ALL=1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEtcdKv, type EtcdKv } from '../src/storage/etcd/etcd-kv-client.ts';
import { int } from '../src/storage/etcd/etcd-proto.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../test/helpers/etcd.ts';
import { readEtcdCounters } from './etcd-metrics.ts';
import { startFastifyBaseline, type FastifyBaseline } from './baseline-fastify.ts';
import { FLOOR_KEY_PREFIX } from './etcd-floor.ts';
import { RawConnection } from './raw-client.ts';
import { newAgent, send } from './load.ts';
import { CONFIGMAPS, configMapBody } from './shapes.ts';

const skip = etcdSkip();

describe('bench floor: fastify whose create is one etcd create Txn', { skip }, () => {
  let etcd: EtcdCluster;
  let b: FastifyBaseline;
  let kv: EtcdKv;
  before(async () => {
    etcd = await startEtcd(1);
    b = await startFastifyBaseline({ etcdServers: etcd.servers });
    kv = createEtcdKv({ servers: etcd.servers });
  });
  after(async () => {
    kv?.close();
    await b?.close();
    await etcd?.stop();
  });

  it('answers 201 with the object at the Txn revision, writes it under its own prefix, one Txn per create', async () => {
    const target = { host: '127.0.0.1', port: b.port, tls: b.tls };
    const agent = newAgent(b.tls);
    try {
      const txns = async () => (await readEtcdCounters(etcd.servers[0]!)).get('grpc:Txn') ?? 0;
      const t0 = await txns();
      const r = await send(target, agent, { method: 'POST', path: CONFIGMAPS('ns1'), body: configMapBody('ns1', 'a') }, { keepBody: true });
      assert.equal(r.status, 201);
      const obj = JSON.parse(r.body!.toString()) as { metadata: Record<string, string>; data: Record<string, string> };
      assert.equal(obj.metadata.name, 'a');
      assert.equal(obj.metadata.namespace, 'ns1');
      assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.equal(obj.data.timeoutSeconds, '30');
      const got = await kv.range({ key: Buffer.from(`${FLOOR_KEY_PREFIX}ns1/a`) });
      assert.equal(got.kvs?.length, 1);
      const kvs = got.kvs![0]!;
      assert.equal(String(int(kvs.mod_revision)), obj.metadata.resourceVersion);
      assert.deepEqual(JSON.parse(Buffer.from(kvs.value!).toString()).metadata.uid, obj.metadata.uid);
      assert.equal((await txns()) - t0, 1);

      const again = await send(target, agent, { method: 'POST', path: CONFIGMAPS('ns1'), body: configMapBody('ns1', 'a') });
      assert.equal(again.status, 409);
    } finally {
      agent.destroy();
    }
  });

  it('serves the bench load client (RawConnection) the same way', async () => {
    const raw = new RawConnection({ host: '127.0.0.1', port: b.port, tls: b.tls });
    try {
      assert.equal((await raw.request('POST', CONFIGMAPS('ns2'), configMapBody('ns2', 'b'))).status, 201);
      assert.equal((await raw.request('POST', CONFIGMAPS('ns2'), configMapBody('ns2', 'b'))).status, 409);
    } finally {
      raw.close();
    }
  });
});
