/**
 * Keeps the node's service table (services.ts) equal to the Services and EndpointSlices the
 * informers see: any change re-renders the table, renders serialized and coalesced, a failed load
 * retried (what was loaded stays in force meanwhile). With health checks on, it also serves
 * kube-proxy's healthCheckNodePort answers (service-health.ts), healthy while the last load
 * succeeded.
 */
import type { InformerFactory, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { CoalescedTask } from '../../../util/coalesced-task.ts';
import { renderServices, serviceRules } from './services.ts';
import { ServiceHealthServer, healthChecks } from './service-health.ts';

export class ServiceProxy {
  renders = 0;
  failures = 0;
  readonly #factory: InformerFactory;
  readonly #nodeName?: string;
  readonly #apply: (script: string) => Promise<void>;
  readonly #renders: CoalescedTask;
  readonly #health?: ServiceHealthServer;
  #ready = false;
  #loaded = false;

  /**
   * `nodeName`: this node, for the Services whose traffic policy is Local; `healthChecks`: serve
   * healthCheckNodePorts (on `host`, default every address) — needs `nodeName`.
   */
  constructor(o: { factory: InformerFactory; nodeName?: string; apply(script: string): Promise<void>; healthChecks?: { host?: string }; log?: { error(o: object, m: string): void } }) {
    this.#factory = o.factory;
    this.#nodeName = o.nodeName;
    this.#apply = o.apply;
    if (o.healthChecks && o.nodeName !== undefined) this.#health = new ServiceHealthServer({ host: o.healthChecks.host, proxyHealthy: () => this.#loaded, log: o.log });
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

  /** Ports whose health check is served now. */
  healthCheckPorts(): number[] {
    return this.#health?.ports() ?? [];
  }

  stop(): void {
    this.#renders.stop();
    void this.#health?.stop();
  }

  async #sync(): Promise<void> {
    const services = this.#factory.informer<K8sObject>(resources.services).list();
    const slices = this.#factory.informer<K8sObject>(resources.endpointslices).list();
    try {
      await this.#apply(renderServices(serviceRules(services, slices, this.#nodeName)));
      this.#loaded = true;
    } catch (err) {
      // Rules not in force: load balancers are told this node is unhealthy until a load succeeds.
      this.#loaded = false;
      throw err;
    } finally {
      if (this.#health) await this.#health.sync(healthChecks(services, slices, this.#nodeName!));
    }
    this.renders++;
  }
}
