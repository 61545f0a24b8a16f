/**
 * Keeps the node's service table (services.ts) equal to the Services and EndpointSlices the
 * informers see: any change re-renders the table, renders serialized and coalesced, a failed load
 * retried (what was loaded stays in force meanwhile).
 */
import type { InformerFactory, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { CoalescedTask } from '../../../util/coalesced-task.ts';
import { renderServices, serviceRules } from './services.ts';

export class ServiceProxy {
  renders = 0;
  failures = 0;
  readonly #factory: InformerFactory;
  readonly #nodeName?: string;
  readonly #apply: (script: string) => Promise<void>;
  readonly #renders: CoalescedTask;
  #ready = false;

  /** `nodeName`: this node, for the Services whose traffic policy is Local. */
  constructor(o: { factory: InformerFactory; nodeName?: string; apply(script: string): Promise<void>; log?: { error(o: object, m: string): void } }) {
    this.#factory = o.factory;
    this.#nodeName = o.nodeName;
    this.#apply = o.apply;
    this.#renders = new CoalescedTask(() => this.#sync(), {
      retryMs: 1000,
      onError: (err) => {
        this.failures++;
        o.log?.error({ err }, 'loading the service rules failed; retrying');
      },
    });
  }

  async start(): Promise<void> {
    const kick = () => this.#ready && this.#renders.schedule();
    const services = this.#factory.informer(resources.services);
    const slices = this.#factory.informer(resources.endpointslices);
    for (const i of [services, slices]) i.addEventHandler({ add: kick, update: kick, delete: kick });
    this.#factory.start();
    await Promise.all([services.synced(), slices.synced()]);
    this.#ready = true;
    this.#renders.schedule();
    await this.idle();
  }

  idle(): Promise<void> {
    return this.#renders.idle();
  }

  stop(): void {
    this.#renders.stop();
  }

  async #sync(): Promise<void> {
    const rules = serviceRules(this.#factory.informer<K8sObject>(resources.services).list(), this.#factory.informer<K8sObject>(resources.endpointslices).list(), this.#nodeName);
    await this.#apply(renderServices(rules));
    this.renders++;
  }
}
