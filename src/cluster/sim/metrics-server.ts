/**
 * The simulated nodes' metrics API: the one metrics.k8s.io server (../metrics/metrics-api-server.ts)
 * fed by the usage hook (metrics.ts) instead of scrapes, since a simulated node has no cgroups.
 */
import type { Server } from 'node:https';
import type { K8sObject } from '../client/types.ts';
import { startMetricsApiServer, type MetricsSource } from '../metrics/metrics-api-server.ts';
import { nodeMetrics, podMetrics, type UsageFn } from './metrics.ts';

export { METRICS_DISCOVERY } from '../metrics/metrics-api-server.ts';

export interface MetricsServerOptions {
  certPem: string;
  keyPem: string;
  /** CA of the aggregator's front-proxy client certificates. */
  clientCaPem: string;
  /** Common names the front-proxy certificate may carry (empty: any the CA signed). */
  allowedNames?: readonly string[];
  /** The running pods on the simulated nodes. */
  pods(): K8sObject[];
  nodes(): readonly string[];
  usage: UsageFn;
  now(): number;
}

/** The simulated pods' and nodes' metrics, computed when asked for. */
export function simMetricsSource(o: Pick<MetricsServerOptions, 'pods' | 'nodes' | 'usage' | 'now'>): MetricsSource {
  return {
    pods: ({ namespace, name }) => {
      const now = o.now();
      return o.pods().filter((p) => (namespace === undefined || p.metadata.namespace === namespace) && (name === undefined || p.metadata.name === name)).map((p) => podMetrics(p, o.usage, now));
    },
    nodes: (name) => {
      const now = o.now();
      const pods = o.pods();
      return o.nodes().filter((n) => name === undefined || n === name).map((n) => nodeMetrics(n, pods, o.usage, now));
    },
  };
}

/** Starts the HTTPS server on host:port (port 0: any free port); resolves with it listening. */
export function startMetricsServer(o: MetricsServerOptions, host: string, port: number): Promise<Server> {
  return startMetricsApiServer({ certPem: o.certPem, keyPem: o.keyPem, clientCaPem: o.clientCaPem, allowedNames: o.allowedNames, source: simMetricsSource(o) }, host, port);
}
