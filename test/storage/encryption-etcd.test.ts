/**
 * Encryption at rest on the etcd store (Debian's etcd 3.4, one member): what etcd holds under the
 * Secret's key is the k8s:enc envelope, never the data; the store reads, lists and watches objects.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { encryptingStore } from '../../src/storage/encryption/encrypting-store.ts';
import { buildTransformers } from '../../src/storage/encryption/transformer.ts';
import type { Store, WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture, type EtcdStoreFixture } from '../helpers/etcd-store.ts';

const skip = etcdSkip();
const transformers = buildTransformers(
  parseEncryptionConfig({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'key1', secret: Buffer.alloc(32, 4).toString('base64') }] } }, { identity: {} }] }],
  }),
);
const secret = { metadata: { name: 's', namespace: 'default' }, data: { password: Buffer.from('etcd-topsecret').toString('base64') } };

describe('encryption at rest on etcd', { skip }, () => {
  let etcd: EtcdStoreFixture | undefined;
  let store: Store;
  let raw: Etcd3;
  before(async () => ({ raw, store } = etcd = await openEtcdFixture('/registry', (s) => encryptingStore(s, transformers))));
  after(() => etcd?.close());

  test('etcd holds the envelope; the store gives back the object', async () => {
    const events: WatchEvent[] = [];
    const w = store.watch('/registry/core/secrets/', store.currentRevision(), { onEvent: (e) => events.push(e) });
    await store.create('/registry/core/secrets/default/s', secret);
    await store.create('/registry/core/configmaps/default/c', { metadata: { name: 'c' }, data: { a: 'visible' } });
    const all = await raw.getAll().prefix('/registry/').strings();
    const stored = all['/registry/secrets/default/s'];
    assert.match(stored ?? '', /^"k8s:enc:secretbox:v1:key1:[A-Za-z0-9+/=]+"$/);
    assert.ok(!Object.values(all).some((v) => v.includes(secret.data.password)), 'no plaintext Secret data in etcd');
    assert.match(all['/registry/configmaps/default/c'] ?? '', /visible/);
    assert.deepEqual((await store.get('/registry/core/secrets/default/s'))?.value, secret);
    assert.deepEqual((await store.list('/registry/core/secrets/', { predicate: () => true, limit: 1 })).items.map((i) => i.value), [secret]);
    while (events.length < 1) await new Promise((r) => setImmediate(r));
    w.close();
    assert.deepEqual(events[0]?.value, secret);
  });
});
