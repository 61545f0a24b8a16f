/**
 * The store conformance suite through the encryption layer: every key's value is encrypted
 * (aesgcm, the key as authenticated data), on SQLite alone and with the watch cache in front, as
 * `portcullis up --encryption-provider-config` runs it. Reads, paged and predicate lists, watches
 * from any revision, compaction and reopening behave as on the bare store.
 */
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { createWatchCache } from '../../src/storage/watch-cache.ts';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { encryptingStore } from '../../src/storage/encryption/encrypting-store.ts';
import { buildTransformers } from '../../src/storage/encryption/transformer.ts';
import { runStoreConformance } from './conformance.ts';
import { dbPath } from './crash-writer.ts';

const transformers = buildTransformers(
  parseEncryptionConfig({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: Buffer.alloc(32, 1).toString('base64') }] } }] }],
  }),
);
// The suite's keys are not object keys: treat every one as a Secret, so every value is encrypted.
const allSecrets = () => ({ group: '', resource: 'secrets' });

runStoreConformance('sqlite, encrypted', async (dir) => encryptingStore(openSqliteStore({ path: dbPath(dir) }), transformers, allSecrets), { reopen: true });
runStoreConformance('sqlite, encrypted, watch cache', async (dir) => createWatchCache(encryptingStore(openSqliteStore({ path: dbPath(dir) }), transformers, allSecrets)), { reopen: true });
