/**
 * An ApiClient whose identity can be replaced while in use (the kubelet's rotated client
 * certificate): every call goes to the newest client; the previous one is closed after a short
 * grace, which ends its watches so informers relist on the new identity (client-go closes every
 * connection on rotation for the same reason: no connection outlives the certificate it was made
 * with by much).
 */
import { realTimers, type Timers } from '../client/timers.ts';
import type { ApiClient, ClientConfig, DeleteOptions, K8sObject, ListOptions, ListResult, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchOptions, WriteOptions } from '../client/types.ts';

export class RotatingClient implements ApiClient {
  #current: ApiClient;
  #old = new Set<ApiClient>();
  #make: (c: ClientConfig) => ApiClient;
  #timers: Timers;
  #graceMs: number;

  constructor(config: ClientConfig, make: (c: ClientConfig) => ApiClient, opts: { timers?: Timers; graceMs?: number } = {}) {
    this.#make = make;
    this.#current = make(config);
    this.#timers = opts.timers ?? realTimers;
    this.#graceMs = opts.graceMs ?? 5_000;
  }

  get config(): ClientConfig {
    return this.#current.config;
  }

  /** Calls from now on use `config`; the old client closes after the grace. */
  replace(config: ClientConfig): void {
    const old = this.#current;
    this.#current = this.#make(config);
    this.#old.add(old);
    this.#timers.setTimeout(() => {
      this.#old.delete(old);
      old.close();
    }, this.#graceMs);
  }

  get<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource?: string): Promise<T> {
    return this.#current.get<T>(r, namespace, name, subresource);
  }
  list<T extends K8sObject>(r: ResourceRef, namespace: string, opts?: ListOptions): Promise<ListResult<T>> {
    return this.#current.list<T>(r, namespace, opts);
  }
  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
    return this.#current.watch<T>(r, namespace, opts, onEvent, onClose);
  }
  create<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    return this.#current.create<T>(r, namespace, obj, opts);
  }
  update<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, subresource?: string, opts?: WriteOptions): Promise<T> {
    return this.#current.update<T>(r, namespace, obj, subresource, opts);
  }
  patch<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, type: PatchType, patch: unknown, subresource?: string, opts?: WriteOptions): Promise<T> {
    return this.#current.patch<T>(r, namespace, name, type, patch, subresource, opts);
  }
  delete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    return this.#current.delete(r, namespace, name, opts);
  }
  deleteCollection(r: ResourceRef, namespace: string, opts?: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): Promise<void> {
    return this.#current.deleteCollection(r, namespace, opts);
  }
  postSubresource<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource: string, body: K8sObject): Promise<T> {
    return this.#current.postSubresource<T>(r, namespace, name, subresource, body);
  }
  close(): void {
    for (const c of this.#old) c.close();
    this.#old.clear();
    this.#current.close();
  }
}
