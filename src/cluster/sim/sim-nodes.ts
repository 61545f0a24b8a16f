/**
 * `startSimNodes`: N simulated nodes in the manner of kwok, acting only through the ApiClient it
 * is given (so RBAC and admission see the simulator's identity). Registration happens before the
 * call returns; then Leases are renewed and NodeStatus heartbeats sent (each spread evenly over its
 * period, as independent kubelets' timers are) through one bounded write pool, and pods bound to
 * the nodes driven through the stages table through another: pod writes never hold up a Lease.
 */
import { buildConfig, type SimConfig, type SimNodesOptions } from './config.ts';
import { registerNode, renewLease, writeNodeStatus, type SimNode } from './heartbeat.ts';
import { IpPool } from './ip-pool.ts';
import { nodeIP, podCIDR } from './node-template.ts';
import { podMetrics, type PodMetrics, type UsageFn } from './metrics.ts';
import type { K8sObject } from '../client/types.ts';
import { POD_KEY_PREFIX, PodDriver } from './pod-driver.ts';
import { createWritePool } from './write-pool.ts';
import { spreadOver } from './spread.ts';
import { RenewalTiming, type RenewalTimes } from './renewal-timing.ts';

export interface SimNodes {
  readonly nodeNames: readonly string[];
  /** metrics.k8s.io PodMetrics of the Running pods on these nodes. */
  podMetrics(): PodMetrics[];
  /** The Running pods on these nodes (what the simulated metrics server reports on). */
  runningPods(): K8sObject[];
  /** The usage function the nodes were configured with. */
  readonly usage: UsageFn;
  /** How the nodes kept their heartbeats so far. */
  heartbeats(): HeartbeatStats;
  /** Where the Lease renewals since the last call spent their time (due → sent → answered); resets. */
  takeRenewalTimes(): RenewalTimes;
  stop(): void;
}

export interface HeartbeatStats {
  leaseRenewals: number;
  nodeStatusWrites: number;
  /** The longest any node went between two Lease renewals (from its registration for the first). */
  maxLeaseGapMs: number;
  /** Renewals that came later than leaseDurationSeconds after the last: the node would have gone NotReady. */
  lateRenewals: number;
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
  const stats: HeartbeatStats = { leaseRenewals: 0, nodeStatusWrites: 0, maxLeaseGapMs: 0, lateRenewals: 0 };
  const renewed = (n: SimNode) => {
    const t = cfg.now();
    const gap = t - (n.renewedAt ?? n.since);
    stats.leaseRenewals++;
    stats.maxLeaseGapMs = Math.max(stats.maxLeaseGapMs, gap);
    if (gap > cfg.leaseDurationSeconds * 1000) stats.lateRenewals++;
    n.renewedAt = t;
  };
  const timing = new RenewalTiming(cfg.now);
  const heartbeats = createWritePool({
    maxInFlight: cfg.heartbeatMaxInFlight,
    log: cfg.log,
    async sync(key) {
      if (key.startsWith(LEASE)) {
        const n = nodes.get(key.slice(LEASE.length))!;
        const started = timing.started(n.name);
        await renewLease({ client: n.client, now: cfg.now, leaseDurationSeconds: cfg.leaseDurationSeconds }, n);
        timing.answered(started);
        return renewed(n);
      }
      if (key.startsWith(NODE)) {
        await writeNodeStatus(cfg, nodes.get(key.slice(NODE.length))!);
        stats.nodeStatusWrites++;
      }
    },
  });
  const pods = createWritePool({ maxInFlight: cfg.maxInFlight, log: cfg.log, sync: async (key) => driver?.sync(key.slice(POD_KEY_PREFIX.length)) });
  try {
    // Each node's Lease from its registration on, as a kubelet starts its lease controller.
    await registerAll(cfg, [...nodes.values()], (n) => heartbeats.add(LEASE + n.name));
  } catch (err) {
    heartbeats.stop();
    pods.stop();
    throw err;
  }
  cfg.log.info({ count: cfg.count, prefix: cfg.namePrefix }, 'simulated nodes registered');
  driver = new PodDriver(cfg, nodes, pods);
  driver.start();
  const names = [...nodes.keys()];
  const stopLeases = spreadOver(names, cfg.leaseRenewMs, (name) => {
    timing.due(name);
    heartbeats.add(LEASE + name);
  });
  const stopStatus = spreadOver(names, cfg.statusUpdateMs, (name) => heartbeats.add(NODE + name));
  return {
    nodeNames: names,
    podMetrics: () => driver!.list().filter((p) => p.status?.phase === 'Running').map((p) => podMetrics(p, cfg.usage, cfg.now())),
    runningPods: () => driver!.list().filter((p) => p.status?.phase === 'Running'),
    usage: cfg.usage,
    heartbeats: () => ({ ...stats }),
    takeRenewalTimes: () => timing.take(),
    stop() {
      stopLeases();
      stopStatus();
      driver!.stop();
      heartbeats.stop();
      pods.stop();
    },
  };
}

/** Registers every node, at most maxInFlight at a time; the first failure fails the start. */
async function registerAll(cfg: SimConfig, list: SimNode[], registered: (n: SimNode) => void): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < list.length) {
      const n = list[next++]!;
      try {
        await registerNode(cfg, n);
        registered(n);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.maxInFlight, list.length) }, worker));
  if (failed !== undefined) throw failed;
}
