import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../sqlite.ts';
import type { ListOptions, Store, WatchEvent } from '../types.ts';
import { parseEncryptionConfig } from './config.ts';
import { encryptingStore } from './encrypting-store.ts';
import { isStale, unreadableReason } from './read-state.ts';
import { buildTransformers } from './transformer.ts';

const key = (b: number) => Buffer.alloc(32, b).toString('base64');
const transformers = (providers: unknown[]) =>
  buildTransformers(parseEncryptionConfig({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers }] }));
const secret = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, namespace: 'default', labels }, data: { password: Buffer.from(`topsecret-${name}`).toString('base64') } });
const sKey = (name: string) => `/registry/core/secrets/default/${name}`;

async function withDb(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-encstore-'));
  try {
    await fn(join(dir, 'state.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rawValues = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT value FROM log').all() as Array<{ value: string }>).map((r) => r.value).join('\n');
  } finally {
    db.close();
  }
};

describe('encryptingStore', () => {
  for (const type of ['aescbc', 'aesgcm', 'secretbox']) {
    test(`${type}: the database file holds no plaintext; reads, lists, deletes and watches see objects`, async () => {
      await withDb(async (path) => {
        const store: Store = encryptingStore(openSqliteStore({ path }), transformers([{ [type]: { keys: [{ name: 'key1', secret: key(1) }] } }]));
        const events: WatchEvent[] = [];
        const w = store.watch('/registry/', 0, { onEvent: (e) => events.push(e) });
        const created = await store.create(sKey('a'), secret('a'));
        assert.deepEqual(created.value, secret('a'));
        await store.create('/registry/core/configmaps/default/c', { metadata: { name: 'c' }, data: { visible: 'plain-config' } });
        assert.deepEqual((await store.get(sKey('a')))?.value, secret('a'));
        assert.deepEqual((await store.list('/registry/core/secrets/')).items.map((i) => i.value), [secret('a')]);
        const deleted = await store.delete(sKey('a'));
        assert.deepEqual(deleted.value, secret('a'));
        while (events.length < 3) await new Promise((r) => setImmediate(r));
        w.close();
        assert.deepEqual(events.map((e) => [e.type, e.value]), [['ADDED', secret('a')], ['ADDED', { metadata: { name: 'c' }, data: { visible: 'plain-config' } }], ['DELETED', secret('a')]]);
        await store.close();
        const raw = rawValues(path);
        assert.ok(!raw.includes('topsecret') && !raw.includes(secret('a').data.password), 'no plaintext Secret data in the file');
        assert.ok(raw.includes(`k8s:enc:${type}:v1:key1:`));
        assert.ok(raw.includes('plain-config'), 'resources no rule names stay plaintext');
      });
    });
  }

  test('a value no provider reads is a marker naming the key, not a failed list', async () => {
    await withDb(async (path) => {
      const before = encryptingStore(openSqliteStore({ path }), transformers([{ aesgcm: { keys: [{ name: 'k', secret: key(1) }] } }]));
      await before.create(sKey('a'), secret('a'));
      await before.close();
      const after = encryptingStore(openSqliteStore({ path }), transformers([{ aesgcm: { keys: [{ name: 'k', secret: key(2) }] } }]));
      const got = await after.get(sKey('a'));
      assert.equal(unreadableReason(got?.value), `unable to transform key "${sKey('a')}": cipher: message authentication failed`);
      assert.equal((await after.list('')).items.length, 1);
      await after.close();
    });
  });

  test('plaintext written before encryption reads through identity, marked stale; a rewrite encrypts it', async () => {
    await withDb(async (path) => {
      const plain = openSqliteStore({ path });
      await plain.create(sKey('old'), secret('old'));
      await plain.close();
      const store = encryptingStore(openSqliteStore({ path }), transformers([{ aescbc: { keys: [{ name: 'k', secret: key(1) }] } }, { identity: {} }]));
      const got = await store.get(sKey('old'));
      assert.deepEqual(got?.value, secret('old'));
      assert.ok(isStale(got?.value));
      await store.update(sKey('old'), got!.value, got!.modRevision);
      assert.ok(!isStale((await store.get(sKey('old')))?.value));
      await store.compact(store.currentRevision());
      await store.close();
      assert.ok(!rawValues(path).includes('topsecret'));
    });
  });

  test('predicate lists page over objects, not ciphertext: limit counts matches, continue resumes', async () => {
    await withDb(async (path) => {
      const store = encryptingStore(openSqliteStore({ path }), transformers([{ secretbox: { keys: [{ name: 'k', secret: key(1) }] } }]));
      for (let i = 0; i < 250; i++) await store.create(sKey(`s${String(i).padStart(3, '0')}`), secret(`s${i}`, { even: String(i % 2 === 0) }));
      const predicate = (v: unknown) => (v as { metadata: { labels: Record<string, string> } }).metadata.labels.even === 'true';
      const names: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await store.list<{ metadata: { name: string } }>('/registry/core/secrets/', { predicate, limit: 40, continue: cont });
        assert.ok(page.items.length <= 40);
        names.push(...page.items.map((i) => i.value.metadata.name));
        cont = page.continue;
        pages++;
      } while (cont);
      assert.equal(names.length, 125);
      assert.equal(pages, 4);
      assert.equal(names[0], 's0');
      await store.close();
    });
  });

  test('a predicate list asks the store beneath for no remainingItemCount (a count of the rest of the range per page)', async () => {
    await withDb(async (path) => {
      const inner = openSqliteStore({ path });
      const asked: boolean[] = [];
      const counting = Object.assign(Object.create(inner) as Store, {
        list: async (prefix: string, opts: ListOptions = {}) => {
          const r = await inner.list(prefix, opts);
          asked.push(r.remainingItemCount !== undefined);
          return r;
        },
      });
      const store = encryptingStore(counting, transformers([{ secretbox: { keys: [{ name: 'k', secret: key(1) }] } }]));
      for (let i = 0; i < 250; i++) await store.create(sKey(`s${String(i).padStart(3, '0')}`), secret(`s${i}`, { even: String(i % 2 === 0) }));
      const predicate = (v: unknown) => (v as { metadata: { labels: Record<string, string> } }).metadata.labels.even === 'true';
      const page = await store.list<{ metadata: { name: string } }>('/registry/core/secrets/', { predicate, limit: 100 });
      assert.equal(page.items.length, 100);
      assert.ok(page.continue);
      assert.ok(asked.length >= 2, 'read in pages');
      assert.deepEqual(asked, asked.map(() => false), 'no page of the store below carried a remainingItemCount');
      await inner.close();
    });
  });
});

test('progress notifications of the store below reach the watcher (the watch cache moves its revision by them)', async () => {
  const base = openSqliteStore({ path: ':memory:', durability: 'normal' });
  let below: { onProgress?: (rev: number) => void } | undefined;
  // The SQLite store sends no progress: catch the handlers the encrypting store gives it, and send one.
  const inner = new Proxy(base, {
    get(target, p) {
      if (p === 'watch') return (prefix: string, from: number, h: typeof below) => ((below = h), target.watch(prefix, from, h as never));
      const v = Reflect.get(target, p, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const store = encryptingStore(inner, transformers([{ identity: {} }]));
  const seen: number[] = [];
  const w = store.watch('/registry/', 0, { onEvent: () => {}, onProgress: (rev) => seen.push(rev) });
  below?.onProgress?.(7);
  assert.deepEqual(seen, [7]);
  w.close();
  await store.close();
});
