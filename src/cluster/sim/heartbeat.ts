/**
 * A simulated node's life signs, as the kubelet gives them: registration of the Node (status
 * through nodes/status), a Lease in kube-node-lease renewed every leaseRenewMs, and the
 * NodeStatus conditions' lastHeartbeatTime refreshed every statusUpdateMs.
 */
import type { ApiClient, K8sObject } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isAlreadyExists, isNotFound } from '../client/errors.ts';
import type { SimConfig } from './config.ts';
import type { IpPool } from './ip-pool.ts';
import { NODE_LEASE_NAMESPACE, SIMULATED_LABEL, leaseObject, microTime, nodeObject, nodeStatus } from './node-template.ts';

export interface SimNode {
  name: string;
  /** The node's own client (SimConfig.clientFor). */
  client: ApiClient;
  index: number;
  hostIP: string;
  ips: IpPool;
  uid?: string;
  /** When the conditions last changed (registration). */
  since: number;
  hasLease: boolean;
  /** When the Lease was last renewed (the simulator's heartbeat statistics). */
  renewedAt?: number;
}

/**
 * Creates the Node, or adopts one this simulator made before (same label); a Node of that name
 * without the label is a real node and is never touched (fail closed).
 */
export async function registerNode(cfg: SimConfig, n: SimNode): Promise<void> {
  const shape = { name: n.name, index: n.index, capacity: cfg.capacity };
  let node: K8sObject;
  try {
    node = await n.client.create(resources.nodes, '', nodeObject(shape));
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    node = await n.client.get(resources.nodes, '', n.name);
    if (node.metadata.labels?.[SIMULATED_LABEL] !== 'true') {
      throw new Error(`node ${n.name} exists and is not simulated (no ${SIMULATED_LABEL}=true label): refusing to act for a real node`);
    }
  }
  n.uid = node.metadata.uid;
  n.since = cfg.now();
  await writeNodeStatus(cfg, n);
}

/** The whole status through nodes/status (the Node's create may drop it, as upstream's can). */
export async function writeNodeStatus(cfg: Pick<SimConfig, 'capacity' | 'now'>, n: SimNode): Promise<void> {
  const status = nodeStatus({ name: n.name, index: n.index, capacity: cfg.capacity }, n.since, cfg.now());
  await n.client.patch(resources.nodes, '', n.name, 'merge', { status }, 'status');
}

/** What renewing a node's Lease needs; simulated nodes and the node agent both beat through renewLease. */
export type LeaseConfig = Pick<SimConfig, 'client' | 'now' | 'leaseDurationSeconds'>;
export interface LeaseHolder {
  name: string;
  uid?: string;
  hasLease: boolean;
}

/** Renews the node's Lease, creating it when it is not there (first beat, or deleted since). */
export async function renewLease(cfg: LeaseConfig, n: LeaseHolder): Promise<void> {
  const now = cfg.now();
  if (n.hasLease) {
    try {
      await cfg.client.patch(resources.leases, NODE_LEASE_NAMESPACE, n.name, 'merge', { spec: { holderIdentity: n.name, leaseDurationSeconds: cfg.leaseDurationSeconds, renewTime: microTime(now) } });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      n.hasLease = false;
    }
  }
  try {
    await cfg.client.create(resources.leases, NODE_LEASE_NAMESPACE, leaseObject(n, cfg.leaseDurationSeconds, now));
    n.hasLease = true;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    n.hasLease = true;
    await renewLease(cfg, n);
  }
}
