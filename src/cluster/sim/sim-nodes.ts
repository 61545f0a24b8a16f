/**
 * `startSimNodes`: N simulated nodes in the manner of kwok, acting only through the ApiClient it
 * is given (so RBAC and admission see the simulator's identity). Registration happens before the
 * call returns; then Leases are renewed, NodeStatus heartbeats sent, and pods bound to the nodes
 * driven through the stages table, all through one bounded write pool.
 */
import { buildConfig, type SimConfig, type SimNodesOptions } from './config.ts';
import { registerNode, renewLease, writeNodeStatus, type SimNode } from './heartbeat.ts';
import { IpPool } from './ip-pool.ts';
import { nodeIP, podCIDR } from './node-template.ts';
import { podMetrics, type PodMetrics, type UsageFn } from './metrics.ts';
import type { K8sObject } from '../client/types.ts';
import { POD_KEY_PREFIX, PodDriver } from './pod-driver.ts';
import { createWritePool } from './write-pool.ts';

export interface SimNodes {
  readonly nodeNames: readonly string[];
  /** metrics.k8s.io PodMetrics of the Running pods on these nodes. */
  podMetrics(): PodMetrics[];
  /** The Running pods on these nodes (what the simulated metrics server reports on). */
  runningPods(): K8sObject[];
  /** The usage function the nodes were configured with. */
  readonly usage: UsageFn;
  stop(): void;
}

const LEASE = 'lease:';
const NODE = 'node:';

export async function startSimNodes(opts: SimNodesOptions): Promise<SimNodes> {
  const cfg: SimConfig = buildConfig(opts);
  const nodes = new Map<string, SimNode>();
  for (let i = 0; i < cfg.count; i++) {
    const name = `${cfg.namePrefix}${i}`;
    nodes.set(name, { name, client: cfg.clientFor(name), index: i, hostIP: nodeIP(i), ips: new IpPool(podCIDR(i)), since: 0, hasLease: false });
  }
  let driver: PodDriver | undefined;
  const pool = createWritePool({
    maxInFlight: cfg.maxInFlight,
    log: cfg.log,
    async sync(key) {
      if (key.startsWith(POD_KEY_PREFIX)) return driver?.sync(key.slice(POD_KEY_PREFIX.length));
      if (key.startsWith(LEASE)) {
        const n = nodes.get(key.slice(LEASE.length))!;
        return renewLease({ client: n.client, now: cfg.now, leaseDurationSeconds: cfg.leaseDurationSeconds }, n);
      }
      if (key.startsWith(NODE)) return writeNodeStatus(cfg, nodes.get(key.slice(NODE.length))!);
    },
  });
  try {
    await registerAll(cfg, [...nodes.values()]);
  } catch (err) {
    pool.stop();
    throw err;
  }
  cfg.log.info({ count: cfg.count, prefix: cfg.namePrefix }, 'simulated nodes registered');
  driver = new PodDriver(cfg, nodes, pool);
  driver.start();
  for (const name of nodes.keys()) pool.add(LEASE + name);
  const leaseTimer = setInterval(() => {
    for (const name of nodes.keys()) pool.add(LEASE + name);
  }, cfg.leaseRenewMs);
  const statusTimer = setInterval(() => {
    for (const name of nodes.keys()) pool.add(NODE + name);
  }, cfg.statusUpdateMs);
  return {
    nodeNames: [...nodes.keys()],
    podMetrics: () => driver!.list().filter((p) => p.status?.phase === 'Running').map((p) => podMetrics(p, cfg.usage, cfg.now())),
    runningPods: () => driver!.list().filter((p) => p.status?.phase === 'Running'),
    usage: cfg.usage,
    stop() {
      clearInterval(leaseTimer);
      clearInterval(statusTimer);
      driver!.stop();
      pool.stop();
    },
  };
}

/** Registers every node, at most maxInFlight at a time; the first failure fails the start. */
async function registerAll(cfg: SimConfig, list: SimNode[]): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < list.length) {
      const n = list[next++]!;
      try {
        await registerNode(cfg, n);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.maxInFlight, list.length) }, worker));
  if (failed !== undefined) throw failed;
}
