/**
 * The webhooks of every Mutating/ValidatingWebhookConfiguration, kept current by a store watch
 * (upstream's configuration manager over an informer). Webhooks are ordered by configuration name,
 * then by their order in the configuration, as upstream sorts them.
 */
import type { Logger } from 'pino';
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import type { Store } from '../../storage/types.ts';
import { WatchedObjects } from '../watched-objects.ts';
import { compileConditions } from './match-conditions.ts';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, type Hook, type WebhookConfiguration, type WebhookSpec } from './types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

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
  readonly #configs: WatchedObjects<WebhookConfiguration>;
  #hooks: Hook[] | undefined;
  #version = -1;

  constructor(store: Store, resource: ConfigResource, log: Logger) {
    this.#configs = new WatchedObjects(store, builtinPrefix('admissionregistration.k8s.io', resource), log);
  }

  /** Lists and starts watching on first use; later calls return at once. */
  ready(): Promise<void> {
    return this.#configs.ready();
  }

  get loaded(): boolean {
    return this.#configs.loaded;
  }

  hooks(): readonly Hook[] {
    if (!this.#hooks || this.#version !== this.#configs.version) {
      const configs = [...this.#configs.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
      this.#hooks = configs.flatMap(compile);
      this.#version = this.#configs.version;
    }
    return this.#hooks;
  }

  close(): void {
    this.#configs.close();
  }
}
