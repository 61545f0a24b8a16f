/**
 * Encryption at rest for any Store: a Store in front of another that transforms each value on its
 * way in and out, as kube-apiserver's storage transformer sits between its REST layer and etcd. The
 * storage key picks the resource's transformer (the key scheme's parseObjectKey), and is the
 * authenticated data of aesgcm, as upstream uses the etcd key.
 *
 * Placed under the watch cache, so memory holds objects and the inner store only ciphertext.
 * A value no provider can read becomes a marker (read-state.ts), never an error for the whole read.
 * Lists with a predicate are paged here: the inner store would run the predicate on ciphertext.
 */
import { parseObjectKey } from '../../api/registry/resource-def.ts';
import { encodeContinue } from '../continue-token.ts';
import { pageLimit } from '../page.ts';
import type { ListOptions, ListResult, Store, StoredObject, Watcher, WatchEvent, WatchHandlers } from '../types.ts';
import type { GroupResource } from './config.ts';
import { markStale, unreadableReason, unreadableValue } from './read-state.ts';
import { IDENTITY_CHECK, type ResourceTransformers, type ValueTransformer } from './transformer.ts';

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
      return unreadableValue(key, err as Error);
    }
  }

  private open<T>(o: StoredObject<T>): StoredObject<T> {
    return { ...o, value: this.read(o.key, o.value) as T };
  }

  currentRevision(): number {
    return this.inner.currentRevision();
  }

  compactedRevision(): number {
    return this.inner.compactedRevision();
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    const o = await this.inner.get<T>(key);
    return o && this.open(o);
  }

  async list<T = unknown>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    if (!opts.predicate) {
      const r = await this.inner.list<T>(prefix, opts);
      return { ...r, items: r.items.map((o) => this.open(o)) };
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
    let next: ListOptions = { limit: chunk, continue: opts.continue, atRevision: opts.atRevision };
    let lastKey: string | undefined;
    for (;;) {
      const page = await this.inner.list<T>(prefix, next);
      for (const raw of page.items) {
        if (limit > 0 && items.length >= limit && lastKey !== undefined) return { items, revision: page.revision, continue: encodeContinue(prefix, page.revision, lastKey) };
        lastKey = raw.key;
        const o = this.open(raw);
        // An unreadable value is kept whatever the predicate: the read fails as upstream's does.
        if (unreadableReason(o.value) !== undefined || predicate(o.value)) items.push(o);
      }
      if (!page.continue) return { items, revision: page.revision };
      next = { limit: chunk, continue: page.continue };
    }
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  async create<T = unknown>(key: string, value: T): Promise<StoredObject<T>> {
    const o = await this.inner.create(key, this.transformerFor(key).toStorage(value, key));
    return { ...o, value };
  }

  async update<T = unknown>(key: string, value: T, expectedRevision: number): Promise<StoredObject<T>> {
    const o = await this.inner.update(key, this.transformerFor(key).toStorage(value, key), expectedRevision);
    return { ...o, value };
  }

  async delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.open(await this.inner.delete<T>(key, expectedRevision));
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    return this.inner.watch<unknown>(prefix, fromRevision, {
      backlog: handlers.backlog,
      onError: handlers.onError && ((err) => handlers.onError?.(err)),
      onEvent: (e) => {
        const { prevValue, ...rest } = e;
        const out: WatchEvent<T> = { ...rest, value: this.read(e.key, e.value) as T };
        if (prevValue !== undefined) out.prevValue = this.read(e.key, prevValue) as T;
        // The inner size is the ciphertext's: let the consumer measure the object itself.
        if (typeof e.value === 'string') delete out.size;
        handlers.onEvent(out);
      },
    });
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  async checkHealth(): Promise<void> {
    await this.inner.checkHealth?.();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
