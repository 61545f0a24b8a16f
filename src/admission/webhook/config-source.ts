/**
 * The webhooks of every Mutating/ValidatingWebhookConfiguration, kept current by a store watch
 * (upstream's configuration manager over an informer). Webhooks are ordered by configuration name,
 * then by their order in the configuration, as upstream sorts them.
 */
import type { Logger } from 'pino';
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import type { Store, Watcher } from '../../storage/types.ts';
import { compileConditions } from './match-conditions.ts';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, type Hook, type WebhookConfiguration, type WebhookSpec } from './types.ts';

export type ConfigResource = 'mutatingwebhookconfigurations' | 'validatingwebhookconfigurations';

/** The parsed selector, or (matching nothing) the reason it does not parse. */
function parseSelector(sel: WebhookSpec['namespaceSelector']): { selector: LabelSelector; error?: string } {
  try {
    return { selector: selectorFromMetav1(sel ?? {}) };
  } catch (err) {
    return { selector: selectorFromMetav1(undefined), error: (err as Error).message };
  }
}

function compile(cfg: WebhookConfiguration): Hook[] {
  const name = cfg.metadata.name;
  return (cfg.webhooks ?? []).map((spec, i) => {
    const timeout = spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const ns = parseSelector(spec.namespaceSelector);
    const obj = parseSelector(spec.objectSelector);
    return {
      uid: `${name}/${i}`,
      configurationName: name,
      name: spec.name,
      spec,
      failOpen: spec.failurePolicy === 'Ignore',
      timeoutSeconds: Math.min(Math.max(timeout, 1), MAX_TIMEOUT_SECONDS),
      namespaceSelector: ns.selector,
      objectSelector: obj.selector,
      ...(ns.error !== undefined ? { namespaceSelectorError: ns.error } : {}),
      ...(obj.error !== undefined ? { objectSelectorError: obj.error } : {}),
      conditions: compileConditions(spec.matchConditions),
      reinvokeIfNeeded: spec.reinvocationPolicy === 'IfNeeded',
    };
  });
}

export class WebhookConfigSource {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #configs = new Map<string, WebhookConfiguration>();
  #hooks: Hook[] | undefined = [];
  #watcher: Watcher | undefined;
  #starting: Promise<void> | undefined;
  #closed = false;

  constructor(store: Store, resource: ConfigResource, log: Logger) {
    this.#store = store;
    this.#prefix = `/registry/admissionregistration.k8s.io/${resource}/`;
    this.#log = log;
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

  hooks(): readonly Hook[] {
    if (!this.#hooks) {
      const names = [...this.#configs.keys()].sort();
      this.#hooks = names.flatMap((n) => compile(this.#configs.get(n)!));
    }
    return this.#hooks;
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
  }

  async #start(): Promise<void> {
    const list = await this.#store.list<WebhookConfiguration>(this.#prefix);
    this.#configs.clear();
    for (const item of list.items) this.#configs.set(item.value.metadata.name, item.value);
    this.#hooks = undefined;
    if (this.#closed) return;
    this.#watcher = this.#store.watch<WebhookConfiguration>(this.#prefix, list.revision, {
      onEvent: (e) => {
        const name = e.key.slice(this.#prefix.length);
        if (e.type === 'DELETED') this.#configs.delete(name);
        else this.#configs.set(name, e.value);
        this.#hooks = undefined;
      },
      onError: (err) => {
        // Relist on the next request rather than serve a configuration that no longer updates.
        this.#log.warn({ err, prefix: this.#prefix }, 'webhook configuration watch failed; relisting');
        this.#watcher = undefined;
        this.#starting = undefined;
      },
    });
  }
}
