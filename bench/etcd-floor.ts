/**
 * The floor of a create on etcd (issue 18): what bare fastify over mutual TLS does per create when
 * its handler makes exactly one etcd write, the create Txn the store makes (put if the key's
 * create_revision == 0) through the store's own client (etcd-kv-client.ts), and answers 201 with
 * the object (uid, creationTimestamp, the Txn's revision as resourceVersion). No pipeline, no
 * validation, no watch. baseline-fastify.ts serves it with BENCH_FASTIFY_ETCD set; etcd.ts runs
 * the create load against it next to Portcullis on the same etcd.
 */
import { randomUUID } from 'node:crypto';
import { createEtcdKv } from '../src/storage/etcd/etcd-kv-client.ts';
import { int } from '../src/storage/etcd/etcd-proto.ts';
import { absent } from '../src/storage/etcd/txn.ts';

/** Keys of their own: Portcullis on the same etcd writes the same namespaces and names under its root. */
export const FLOOR_KEY_PREFIX = '/bench-floor/configmaps/';

type Obj = { metadata?: Record<string, unknown> } & Record<string, unknown>;

export interface EtcdFloor {
  create(namespace: string, obj: Obj): Promise<{ status: number; body: object }>;
  close(): void;
}

export function etcdFloor(servers: string[]): EtcdFloor {
  const kv = createEtcdKv({ servers });
  return {
    async create(namespace, obj) {
      const name = String(obj.metadata?.name ?? '');
      const stored = { ...obj, metadata: { ...obj.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() } };
      const key = Buffer.from(`${FLOOR_KEY_PREFIX}${namespace}/${name}`);
      const res = await kv.txn({ compare: absent(key), success: [{ request_put: { key, value: Buffer.from(JSON.stringify(stored)) } }] });
      if (!res.succeeded) return { status: 409, body: { kind: 'Status', code: 409 } };
      return { status: 201, body: { ...stored, metadata: { ...stored.metadata, resourceVersion: String(int(res.header?.revision)) } } };
    },
    close: () => kv.close(),
  };
}
