/**
 * The simulated nodes' metrics.k8s.io, served and registered as metrics-server is deployed
 * (../metrics/registration.ts), fed by the usage hook (metrics.ts).
 */
import type { ApiClient, K8sObject } from '../client/types.ts';
import { serveMetricsApi, type ServedMetricsApi } from '../metrics/registration.ts';
import { simMetricsSource } from './metrics-server.ts';
import type { UsageFn } from './metrics.ts';

export { defaultMetricsHost, METRICS_APISERVICE } from '../metrics/registration.ts';

export interface SimMetricsOptions {
  client: ApiClient;
  /** The address to listen on and to publish (a node address, not loopback). */
  host: string;
  /** 0: any free port. */
  port?: number;
  pods(): K8sObject[];
  nodes(): readonly string[];
  usage: UsageFn;
  now: () => number;
}

export type SimMetrics = ServedMetricsApi;

export function serveSimMetrics(o: SimMetricsOptions): Promise<SimMetrics> {
  return serveMetricsApi({ client: o.client, host: o.host, port: o.port, now: o.now, source: simMetricsSource(o), managedBy: 'portcullis-sim' });
}
