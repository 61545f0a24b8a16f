import { mintClientIdentity } from '../../src/cluster/client/identities.ts';
import { startControllerManager, type ControllerManager } from '../../src/cluster/controller-manager.ts';
import type { TestCluster } from './cluster.ts';

/**
 * A second controller manager running only `controllers` against a test cluster, on the clock
 * `now`, each controller as its own service account (as the in-process manager does) and without
 * leader election (the cluster's own manager holds the Lease). The cluster must be started without
 * these controllers (`-name` in its --controllers), so only this clock drives them: a CronJob can
 * fire "on schedule" without a test waiting for a real minute.
 */
export function startControllersWithClock(c: TestCluster, controllers: string[], now: () => number): Promise<ControllerManager> {
  const ca = { certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem };
  return startControllerManager({
    server: c.cp.url,
    mintIdentity: (id) => mintClientIdentity(ca, id, { now: new Date() }),
    controllers,
    leaderElection: false,
    now,
    log: { info() {}, warn() {}, error() {} },
  });
}
