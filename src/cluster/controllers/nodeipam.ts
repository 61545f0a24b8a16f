/**
 * The node IPAM controller (pkg/controller/nodeipam, RangeAllocator): gives every Node without
 * one a spec.podCIDR (and podCIDRs) cut from the cluster CIDR (--cluster-cidr, with
 * --node-cidr-mask-size, 24 by default for IPv4): the range its node agent hands pod addresses
 * from. Ranges Nodes already hold are taken at start; a deleted Node's range is free again.
 * Candidates are tried round-robin after the last one given, as upstream's CIDR set does. When
 * the cluster CIDR is used up the Node gets a CIDRNotAvailable event, as upstream records.
 */
import type { Controller, K8sObject } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isNotFound } from '../client/errors.ts';
import { cidrToSet, formatIPv4 } from '../netpol/ipv4.ts';
import { parseCIDRSloppy } from '../../util/ip-sloppy.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from './queue-controller.ts';
import { newEventRecorder } from './events.ts';

export const NODE_IPAM = 'node-ipam-controller';

export interface NodeIpamDeps extends WorkloadControllerDeps {
  /** --cluster-cidr (IPv4). */
  clusterCIDR: string;
  /** --node-cidr-mask-size (default 24). */
  nodeMaskSize?: number;
}

export class CidrSet {
  readonly #base: number;
  readonly #count: number;
  readonly #mask: number;
  readonly #used = new Set<number>();
  #next = 0;

  constructor(clusterCIDR: string, mask: number) {
    const set = cidrToSet(clusterCIDR);
    const bits = Number(clusterCIDR.split('/')[1]);
    if (!set || set.isEmpty) throw new Error(`--cluster-cidr ${JSON.stringify(clusterCIDR)} is not an IPv4 CIDR`);
    if (!Number.isInteger(mask) || mask < bits || mask > 30) throw new Error(`--node-cidr-mask-size ${mask} must be between the cluster CIDR's prefix (${bits}) and 30`);
    this.#base = set.intervals[0]![0];
    this.#count = 2 ** (mask - bits);
    this.#mask = mask;
  }

  #index(cidr: string): number | undefined {
    // A podCIDR in a legacy form the API accepts ("010.244.001.000/24") is the range it names.
    const s = cidrToSet(cidr);
    if (!s || parseCIDRSloppy(cidr)?.bits !== this.#mask) return undefined;
    const i = (s.intervals[0]![0] - this.#base) / 2 ** (32 - this.#mask);
    return Number.isInteger(i) && i >= 0 && i < this.#count ? i : undefined;
  }

  occupy(cidr: string): boolean {
    const i = this.#index(cidr);
    if (i === undefined) return false;
    this.#used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.#index(cidr);
    if (i !== undefined) this.#used.delete(i);
  }

  allocateNext(): string | undefined {
    for (let k = 0; k < this.#count; k++) {
      const i = (this.#next + k) % this.#count;
      if (this.#used.has(i)) continue;
      this.#used.add(i);
      this.#next = (i + 1) % this.#count;
      return `${formatIPv4(this.#base + i * 2 ** (32 - this.#mask))}/${this.#mask}`;
    }
    return undefined;
  }
}

export function newNodeIpamController(deps: NodeIpamDeps): Controller {
  const { client, queue, log } = deps;
  const cidrs = new CidrSet(deps.clusterCIDR, deps.nodeMaskSize ?? 24);
  const nodes = deps.informers.informer<K8sObject>(resources.nodes);
  const held = new Map<string, string>();
  const recorder = newEventRecorder({ client, component: 'cidrAllocator', now: deps.now ?? Date.now, suffix: eventSuffix(deps.random ?? Math.random), log });
  const seen = (n: K8sObject) => {
    const cidr = n.spec?.podCIDR as string | undefined;
    if (cidr) {
      if (held.get(n.metadata.name!) !== cidr && cidrs.occupy(cidr)) held.set(n.metadata.name!, cidr);
    } else queue.add(n.metadata.name!);
  };
  nodes.addEventHandler({
    add: seen,
    update: (_o, n) => seen(n),
    delete: (n) => {
      const cidr = held.get(n.metadata.name!);
      if (cidr) cidrs.release(cidr);
      held.delete(n.metadata.name!);
    },
  });
  return newQueueController({
    name: NODE_IPAM,
    queue,
    waitFor: [nodes],
    async sync(name) {
      const node = nodes.get('', name);
      // held: this controller's own patch gave the Node its range, and the informer has not seen it
      // yet (a write from before the patch queued the Node again); a second range would be refused.
      if (!node || node.spec?.podCIDR || held.has(name)) return;
      const cidr = cidrs.allocateNext();
      if (!cidr) {
        recorder.event(node, resources.nodes, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        throw new Error(`failed to allocate a CIDR for node ${name}: the cluster CIDR ${deps.clusterCIDR} is full`);
      }
      try {
        await client.patch(resources.nodes, '', name, 'merge', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
        held.set(name, cidr);
      } catch (err) {
        cidrs.release(cidr);
        if (isNotFound(err)) return;
        throw err;
      }
    },
    log,
  });
}
