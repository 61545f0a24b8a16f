/**
 * The policy store as the plugins see it in webhook mode: the objects of the policy files, and
 * for what the files do not hold, the cluster the webhook serves. Inside the API server the
 * plugins read a pod's pull Secrets, its ServiceAccount, the namespace (selectors, the no-match
 * label) and key Secrets from storage; here those live in the real cluster, read with
 * `--kubeconfig` by name (GET), kept for a short while in a bounded cache. Without a kubeconfig
 * (or when the cluster has no such namespace) a namespace exists as the API server creates one:
 * with its kubernetes.io/metadata.name label only, so namespace selectors still evaluate.
 *
 * Only gets go to the cluster: lists (params by selector) see the files only.
 */
import type { ListOptions, ListResult, Store, StoredObject, WatchHandlers, Watcher, WriteOptions } from '../storage/types.ts';

type Obj = Record<string, any>;

/** A GET of an API path: the object, or undefined when the cluster answers 404. */
export type ClusterGet = (path: string) => Promise<Obj | undefined>;

const READ_THROUGH = /^\/registry\/core\/(namespaces|secrets|serviceaccounts|configmaps)\/(?:([^/]+)\/)?([^/]+)$/;
const CACHE_MS = 10_000;
const MAX_CACHED = 1024;

export class ClusterReadStore implements Store {
  readonly #inner: Store;
  readonly #get: ClusterGet | undefined;
  readonly #now: () => number;
  readonly #cache = new Map<string, { at: number; value: Promise<Obj | undefined> }>();

  constructor(inner: Store, get: ClusterGet | undefined, now: () => number) {
    this.#inner = inner;
    this.#get = get;
    this.#now = now;
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    const local = await this.#inner.get<T>(key);
    if (local) return local;
    const m = READ_THROUGH.exec(key);
    if (!m) return undefined;
    const [, resource, namespace, name] = m as unknown as [string, string, string | undefined, string];
    if (resource === 'namespaces' ? namespace !== undefined : namespace === undefined) return undefined;
    let value = this.#get ? await this.#fetch(resource === 'namespaces' ? `/api/v1/namespaces/${encodeURIComponent(name)}` : `/api/v1/namespaces/${encodeURIComponent(namespace!)}/${resource}/${encodeURIComponent(name)}`) : undefined;
    if (!value && resource === 'namespaces') value = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: {}, status: { phase: 'Active' } };
    if (!value) return undefined;
    // A revision that changes with the object, for caches keyed by it (key Secrets).
    const rv = Number(value.metadata?.resourceVersion);
    return { key, value: value as T, createRevision: 0, modRevision: Number.isSafeInteger(rv) ? rv : 0 };
  }

  #fetch(path: string): Promise<Obj | undefined> {
    const now = this.#now();
    const hit = this.#cache.get(path);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    // A failed read is not cached; a read the cluster refused (403) fails the request: fail closed.
    const value = this.#get!(path).catch((err: unknown) => {
      this.#cache.delete(path);
      throw err;
    });
    this.#cache.delete(path);
    this.#cache.set(path, { at: now, value });
    while (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    return value;
  }

  currentRevision(): number {
    return this.#inner.currentRevision();
  }
  compactedRevision(): number {
    return this.#inner.compactedRevision();
  }
  list<T = unknown>(prefix: string, opts?: ListOptions): Promise<ListResult<T>> {
    return this.#inner.list<T>(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    return this.#inner.count(prefix);
  }
  create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.#inner.create(key, value, opts);
  }
  update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.#inner.update(key, value, expectedRevision, opts);
  }
  delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.#inner.delete<T>(key, expectedRevision);
  }
  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    return this.#inner.watch(prefix, fromRevision, handlers);
  }
  compact(revision: number): Promise<void> {
    return this.#inner.compact(revision);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
