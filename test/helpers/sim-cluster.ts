import { startTestCluster, type TestCluster } from './cluster.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { startSimNodes, type SimNodes } from '../../src/cluster/sim/sim-nodes.ts';
import type { SimNodesOptions } from '../../src/cluster/sim/config.ts';
import { defaultMetricsHost, serveSimMetrics, type SimMetrics } from '../../src/cluster/sim/metrics-registration.ts';

/** A control plane with every controller and the scheduler, and simulated nodes acting as admin. */
export interface SimCluster {
  c: TestCluster;
  /** The simulator's client (admin); tests may use it for watches. */
  simClient: RestClient;
  sim: SimNodes;
  /** metrics.k8s.io from the simulated nodes, when asked for. */
  metrics?: SimMetrics;
  close(): Promise<void>;
}

/**
 * `controllers` is the control plane's --controllers (default ['*']): a test may run one itself, on
 * its own clock (controllers-with-clock.ts). `metrics` serves metrics.k8s.io from the nodes on this
 * host's first non-loopback address, as `portcullis sim nodes` does (an error without one).
 */
export async function startSimCluster(simOpts: Omit<SimNodesOptions, 'client'>, clusterOpts: { controllers?: string[]; metrics?: boolean } = {}): Promise<SimCluster> {
  const c = await startTestCluster({ controllers: clusterOpts.controllers ?? ['*'], scheduler: true });
  const simClient = new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'portcullis-sim' });
  let sim: SimNodes | undefined;
  let metrics: SimMetrics | undefined;
  try {
    sim = await startSimNodes({ client: simClient, ...simOpts });
    if (clusterOpts.metrics) {
      const host = defaultMetricsHost();
      if (!host) throw new Error('no non-loopback IPv4 address on this host to serve the simulated metrics on');
      const nodes = sim;
      metrics = await serveSimMetrics({ client: simClient, host, pods: () => nodes.runningPods(), nodes: () => nodes.nodeNames, usage: nodes.usage, now: Date.now });
    }
  } catch (err) {
    sim?.stop();
    simClient.close();
    await c.close();
    throw err;
  }
  const nodes = sim;
  return {
    c,
    simClient,
    sim: nodes,
    metrics,
    async close() {
      await metrics?.stop();
      nodes.stop();
      simClient.close();
      await c.close();
    },
  };
}
