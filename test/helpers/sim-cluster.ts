import { startTestCluster, type TestCluster } from './cluster.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { startSimNodes, type SimNodes } from '../../src/cluster/sim/sim-nodes.ts';
import type { SimNodesOptions } from '../../src/cluster/sim/config.ts';

/** A control plane with every controller and the scheduler, and simulated nodes acting as admin. */
export interface SimCluster {
  c: TestCluster;
  /** The simulator's client (admin); tests may use it for watches. */
  simClient: RestClient;
  sim: SimNodes;
  close(): Promise<void>;
}

/** `controllers` is the control plane's --controllers (default ['*']): a test may run one itself, on its own clock (controllers-with-clock.ts). */
export async function startSimCluster(simOpts: Omit<SimNodesOptions, 'client'>, clusterOpts: { controllers?: string[] } = {}): Promise<SimCluster> {
  const c = await startTestCluster({ controllers: clusterOpts.controllers ?? ['*'], scheduler: true });
  const simClient = new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'portcullis-sim' });
  let sim: SimNodes;
  try {
    sim = await startSimNodes({ client: simClient, ...simOpts });
  } catch (err) {
    simClient.close();
    await c.close();
    throw err;
  }
  return {
    c,
    simClient,
    sim,
    async close() {
      sim.stop();
      simClient.close();
      await c.close();
    },
  };
}
