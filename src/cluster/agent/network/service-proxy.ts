/**
 * Keeps the node's service table (services.ts) equal to the Services and EndpointSlices the
 * informers see: any change re-renders the table, renders serialized and coalesced, a failed load
 * retried (what was loaded stays in force meanwhile).
 */
import type { InformerFactory, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { renderServices, serviceRules } from './services.ts';

export class ServiceProxy {
  renders = 0;
  failures = 0;
  readonly #factory: InformerFactory;
  readonly #apply: (script: string) => Promise<void>;
  readonly #log?: { error(o: object, m: string): void };
  #running: Promise<void> = Promise.resolve();
  #scheduled = false;
  #ready = false;
  #stopped = false;
  #retry?: NodeJS.Timeout;

  constructor(o: { factory: InformerFactory; apply(script: string): Promise<void>; log?: { error(o: object, m: string): void } }) {
    this.#factory = o.factory;
    this.#apply = o.apply;
    this.#log = o.log;
  }

  async start(): Promise<void> {
    const kick = () => this.#schedule();
    const services = this.#factory.informer(resources.services);
    const slices = this.#factory.informer(resources.endpointslices);
    for (const i of [services, slices]) i.addEventHandler({ add: kick, update: kick, delete: kick });
    this.#factory.start();
    await Promise.all([services.synced(), slices.synced()]);
    this.#ready = true;
    this.#schedule();
    await this.idle();
  }

  async idle(): Promise<void> {
    for (;;) {
      const r = this.#running;
      await r;
      if (r === this.#running && !this.#scheduled) return;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  #schedule(): void {
    if (!this.#ready || this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    this.#running = this.#running.then(() => new Promise<void>((r) => setImmediate(r))).then(() => this.#sync());
  }

  async #sync(): Promise<void> {
    this.#scheduled = false;
    if (this.#stopped) return;
    const rules = serviceRules(this.#factory.informer<K8sObject>(resources.services).list(), this.#factory.informer<K8sObject>(resources.endpointslices).list());
    try {
      await this.#apply(renderServices(rules));
      this.renders++;
    } catch (err) {
      this.failures++;
      this.#log?.error({ err }, 'loading the service rules failed; retrying');
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#schedule(), 1000);
      this.#retry.unref?.();
    }
  }
}
