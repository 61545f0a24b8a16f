/**
 * Encryption at rest for any Store: a Store in front of another that transforms each value on its
 * way in and out, as kube-apiserver's storage transformer sits between its REST layer and etcd. The
 * storage key picks the resource's transformer (the key scheme's parseObjectKey), and is the
 * authenticated data of aesgcm, as upstream uses the etcd key.
 *
 * Placed under the watch cache, so memory holds objects and the inner store only ciphertext.
 * A value no provider can read becomes a marker (read-state.ts), never an error for the whole read.
 * Lists with a predicate are paged here: the inner store would run the predicate on ciphertext.
 * A KMS provider may need its plugin before it can read a value (prepare()): reads wait for it, and
 * a watch delivers its events in order, holding later ones while an earlier one waits.
 */
import { parseObjectKey } from '../../api/registry/resource-def.ts';
import { encodeContinue } from '../continue-token.ts';
import { everyKeyUncounted, pageLimit } from '../page.ts';
import { StorageError, type ListOptions, type ListResult, type Store, type StoredObject, type Watcher, type WatchEvent, type WatchHandlers, type WriteOptions } from '../types.ts';
import type { GroupResource } from './config.ts';
import { markStale, unreadableReason, unreadableValue } from './read-state.ts';
import { KMS_V2_PREFIX } from './kms/kms-v2-provider.ts';
import { IDENTITY_CHECK, type ResourceTransformers, type ValueTransformer } from './transformer.ts';
import { UnreadableRetry } from './unreadable-retry.ts';

/** Rows read per inner page while filtering a predicate list (as upstream's etcd3 store reads ahead). */
const PREDICATE_CHUNK = 100;

/** Which resource a storage key holds; undefined for a key that is no object's (read by the identity check). */
export type ResourceOfKey = (key: string) => GroupResource | undefined;

export function encryptingStore(inner: Store, transformers: ResourceTransformers, resourceOf: ResourceOfKey = parseObjectKey): Store {
  return new EncryptingStore(inner, transformers, resourceOf);
}

class EncryptingStore implements Store {
  private readonly inner: Store;
  private readonly transformers: ResourceTransformers;
  private readonly resourceOf: ResourceOfKey;

  /** Open watches, ended when values a KMS plugin could not read become readable (unreadable-retry.ts). */
  private readonly watches = new Set<{ end(err: StorageError): void }>();
  private readonly retry = new UnreadableRetry({
    readable: async (key, stored) => {
      await this.transformerFor(key).prepare?.(stored);
      try {
        this.transformerFor(key).fromStorage(stored, key);
        return true;
      } catch {
        return false;
      }
    },
    relist: () => {
      for (const w of [...this.watches]) w.end(new StorageError('Internal', 'values the KMS plugin could not read earlier are readable now: list again'));
    },
  });

  constructor(inner: Store, transformers: ResourceTransformers, resourceOf: ResourceOfKey) {
    this.inner = inner;
    this.transformers = transformers;
    this.resourceOf = resourceOf;
    // Only a store others write too has it; the cache above looks for it.
    if (inner.freshRevision) this.freshRevision = () => inner.freshRevision!();
    if (inner.requestWatchProgress) this.requestWatchProgress = () => inner.requestWatchProgress!();
  }

  freshRevision?: () => Promise<number>;
  requestWatchProgress?: () => void;

  private transformerFor(key: string): ValueTransformer {
    const gr = this.resourceOf(key);
    return gr ? this.transformers.forResource(gr) : IDENTITY_CHECK;
  }

  private read(key: string, stored: unknown): unknown {
    try {
      const { value, stale } = this.transformerFor(key).fromStorage(stored, key);
      if (stale) markStale(value);
      return value;
    } catch (err) {
      // A KMS envelope may read later (the plugin was away): retried, and the watches relist then.
      if (typeof stored === 'string' && stored.startsWith(KMS_V2_PREFIX)) this.retry.note(key, stored);
      return unreadableValue(key, err as Error);
    }
  }

  private open<T>(o: StoredObject<T>): StoredObject<T> {
    return { ...o, value: this.read(o.key, o.value) as T };
  }

  /** What reading these values waits for (a KMS plugin's Decrypt), or undefined. */
  private prepare(values: Array<{ key: string; value: unknown }>): Promise<unknown> | undefined {
    const waits: Promise<void>[] = [];
    for (const { key, value } of values) {
      const w = this.transformerFor(key).prepare?.(value);
      if (w) waits.push(w);
    }
    return waits.length === 0 ? undefined : Promise.all(waits);
  }

  private async openAll<T>(items: StoredObject<T>[]): Promise<StoredObject<T>[]> {
    await this.prepare(items);
    return items.map((o) => this.open(o));
  }

  private write(key: string, value: unknown): unknown {
    try {
      return this.transformerFor(key).toStorage(value, key);
    } catch (err) {
      // A provider that cannot write now (KMS plugin down past its grace): the write fails, never in plaintext.
      throw new StorageError('Internal', (err as Error).message, { key });
    }
  }

  currentRevision(): number {
    return this.inner.currentRevision();
  }

  compactedRevision(): number {
    return this.inner.compactedRevision();
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    const o = await this.inner.get<T>(key);
    return o && (await this.openAll([o]))[0];
  }

  async list<T = unknown>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    if (!opts.predicate) {
      const r = await this.inner.list<T>(prefix, opts);
      return { ...r, items: await this.openAll(r.items) };
    }
    return this.filteredList<T>(prefix, opts, opts.predicate);
  }

  /**
   * One page of a predicate list, with the store contract's paging: `limit` counts matches, the
   * continue token resumes after the last key examined, every page reads one revision.
   */
  private async filteredList<T>(prefix: string, opts: ListOptions, predicate: (value: unknown) => boolean): Promise<ListResult<T>> {
    const limit = pageLimit(opts.limit);
    const chunk = limit === 0 ? undefined : Math.max(limit, PREDICATE_CHUNK);
    const items: StoredObject<T>[] = [];
    // The inner pages carry an every-key predicate: a limited page then counts no remainingItemCount
    // (SQLite reads the rest of the range for it), which nothing here uses.
    let next: ListOptions = { limit: chunk, predicate: everyKeyUncounted, continue: opts.continue, atRevision: opts.atRevision };
    let lastKey: string | undefined;
    for (;;) {
      const page = await this.inner.list<T>(prefix, next);
      await this.prepare(page.items);
      for (const raw of page.items) {
        if (limit > 0 && items.length >= limit && lastKey !== undefined) return { items, revision: page.revision, continue: encodeContinue(prefix, page.revision, lastKey) };
        lastKey = raw.key;
        const o = this.open(raw);
        // An unreadable value is kept whatever the predicate: the read fails as upstream's does.
        if (unreadableReason(o.value) !== undefined || predicate(o.value)) items.push(o);
      }
      if (!page.continue) return { items, revision: page.revision };
      next = { limit: chunk, predicate: everyKeyUncounted, continue: page.continue };
    }
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  async create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    const o = await this.inner.create(key, this.write(key, value), opts);
    return { ...o, value };
  }

  async update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    const o = await this.inner.update(key, this.write(key, value), expectedRevision, opts);
    return { ...o, value };
  }

  async delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return (await this.openAll([await this.inner.delete<T>(key, expectedRevision)]))[0]!;
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    // Events that wait for a plugin, in order; later events queue behind them (the chain's tail).
    let tail: Promise<void> | undefined;
    let queued = 0;
    let stopped = false;
    const deliver = (e: WatchEvent<unknown>) => {
      if (stopped) return;
      const { prevValue, ...rest } = e;
      const out: WatchEvent<T> = { ...rest, value: this.read(e.key, e.value) as T };
      if (prevValue !== undefined) out.prevValue = this.read(e.key, prevValue) as T;
      // The inner size is the ciphertext's: let the consumer measure the object itself.
      if (typeof e.value === 'string') delete out.size;
      handlers.onEvent(out);
    };
    const inner = this.inner.watch<unknown>(prefix, fromRevision, {
      backlog: handlers.backlog,
      // Passed over below: never read, so never decrypted (their progress keeps its place as any).
      passOver: handlers.passOver && ((key) => handlers.passOver!(key)),
      onError: handlers.onError && ((err) => handlers.onError?.(err)),
      // A progress notification (the watch cache moves its revision by it) keeps its place behind
      // events still waiting for a plugin: it says every change up to rev was delivered.
      onProgress:
        handlers.onProgress &&
        ((rev) => {
          if (queued === 0) return handlers.onProgress?.(rev);
          queued++;
          tail = (tail ?? Promise.resolve())
            .then(() => {
              if (!stopped) handlers.onProgress?.(rev);
            })
            .finally(() => {
              queued--;
            });
        }),
      onEvent: (e) => {
        const wait = this.prepare(e.prevValue === undefined ? [e] : [e, { key: e.key, value: e.prevValue }]);
        if (!wait && queued === 0) return deliver(e);
        queued++;
        tail = (tail ?? Promise.resolve())
          .then(() => wait)
          .then(() => deliver(e))
          .catch((err: unknown) => handlers.onError?.(err instanceof StorageError ? err : new StorageError('Internal', String((err as Error)?.message ?? err))))
          .finally(() => {
            queued--;
          });
      },
    });
    const entry = {
      end: (err: StorageError) => {
        close();
        handlers.onError?.(err);
      },
    };
    const close = () => {
      stopped = true;
      this.watches.delete(entry);
      inner.close();
    };
    this.watches.add(entry);
    return { close, pause: () => inner.pause(), resume: () => inner.resume() };
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  async checkHealth(): Promise<void> {
    await this.inner.checkHealth?.();
  }

  close(): Promise<void> {
    this.retry.close();
    return this.inner.close();
  }
}
