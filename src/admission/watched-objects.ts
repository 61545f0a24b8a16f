/**
 * The objects under one storage prefix, kept current by a list and a watch (upstream's informers
 * for admission configuration: webhook configurations, admission policies and bindings): list on
 * first use, watch from the list's revision, relist on the next use after the watch fails.
 * `version` changes with every event, so derived views can be cached until it moves.
 */
import type { Logger } from 'pino';
import type { Store, Watcher } from '../storage/types.ts';

export class WatchedObjects<T extends { metadata?: { name?: string } }> {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #items = new Map<string, T>();
  readonly #onChange: ((name: string, value: T | undefined) => void) | undefined;
  #watcher: Watcher | undefined;
  #starting: Promise<void> | undefined;
  #closed = false;
  version = 0;

  constructor(store: Store, prefix: string, log: Logger, onChange?: (name: string, value: T | undefined) => void) {
    this.#store = store;
    this.#prefix = prefix;
    this.#log = log;
    this.#onChange = onChange;
  }

  /** Lists and starts watching on first use; later calls return at once. */
  ready(): Promise<void> {
    this.#starting ??= this.#start().catch((err: unknown) => {
      // Fail this request (closed) and retry the list on the next one.
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  get loaded(): boolean {
    return this.#watcher !== undefined;
  }

  get size(): number {
    return this.#items.size;
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
  }

  #set(name: string, value: T | undefined): void {
    if (value === undefined) this.#items.delete(name);
    else this.#items.set(name, value);
    this.version++;
    this.#onChange?.(name, value);
  }

  async #start(): Promise<void> {
    const list = await this.#store.list<T>(this.#prefix);
    const names = new Set(list.items.map((i) => i.key.slice(this.#prefix.length)));
    for (const name of [...this.#items.keys()]) if (!names.has(name)) this.#set(name, undefined);
    for (const item of list.items) this.#set(item.key.slice(this.#prefix.length), item.value);
    if (this.#closed) return;
    this.#watcher = this.#store.watch<T>(this.#prefix, list.revision, {
      onEvent: (e) => this.#set(e.key.slice(this.#prefix.length), e.type === 'DELETED' ? undefined : e.value),
      onError: (err) => {
        // Relist on the next request rather than enforce a configuration that no longer updates.
        this.#log.warn({ err, prefix: this.#prefix }, 'admission configuration watch failed; relisting');
        this.#watcher = undefined;
        this.#starting = undefined;
      },
    });
  }
}
