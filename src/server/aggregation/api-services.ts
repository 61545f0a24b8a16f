/**
 * The APIServices known to this server, by group/version, followed from the store (list, then
 * watch; relist when the watch breaks). Bounded by what the store holds: one entry per object.
 */
import type { Store, Watcher } from '../../storage/types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

export const APISERVICE_PREFIX = builtinPrefix('apiregistration.k8s.io', 'apiservices');

export class ApiServiceIndex {
  readonly #byGroupVersion = new Map<string, Obj>();
  readonly #byName = new Map<string, Obj>();
  readonly #store: Store;
  readonly #onChange: (name: string) => void;
  readonly #onError: (err: unknown) => void;
  #watcher: Watcher | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(store: Store, onChange: (name: string) => void, onError: (err: unknown) => void) {
    this.#store = store;
    this.#onChange = onChange;
    this.#onError = onError;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const list = await this.#store.list<Obj>(APISERVICE_PREFIX);
    this.#byName.clear();
    this.#byGroupVersion.clear();
    for (const i of list.items) this.#set(i.value);
    for (const name of this.#byName.keys()) this.#onChange(name);
    if (this.#stopped) return;
    this.#watcher = this.#store.watch<Obj>(APISERVICE_PREFIX, list.revision, {
      onEvent: (e) => {
        if (e.type === 'DELETED') this.#delete(e.value);
        else this.#set(e.value);
        const name = e.value?.metadata?.name;
        if (typeof name === 'string') this.#onChange(name);
      },
      onError: (err) => {
        this.#onError(err);
        // Start again from a fresh list, as a reflector does.
        if (!this.#stopped) this.#retry = setTimeout(() => void this.start().catch(this.#onError), 1000).unref();
      },
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#watcher?.close();
  }

  byGroupVersion(group: string, version: string): Obj | undefined {
    return this.#byGroupVersion.get(`${group}/${version}`);
  }

  byName(name: string): Obj | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  #set(o: Obj): void {
    const name = o?.metadata?.name;
    if (typeof name !== 'string') return;
    const old = this.#byName.get(name);
    if (old) this.#byGroupVersion.delete(key(old));
    this.#byName.set(name, o);
    this.#byGroupVersion.set(key(o), o);
  }

  #delete(o: Obj): void {
    const name = o?.metadata?.name;
    const old = typeof name === 'string' ? this.#byName.get(name) : undefined;
    if (!old) return;
    this.#byName.delete(name);
    if (this.#byGroupVersion.get(key(old)) === old) this.#byGroupVersion.delete(key(old));
  }
}

function key(o: Obj): string {
  return `${o.spec?.group ?? ''}/${o.spec?.version ?? ''}`;
}
