/**
 * Gives back node ports no Service holds (upstream's portallocator repair controller): a server
 * that died between taking a port and storing its Service, or a release that failed, leaves a
 * port key behind. Every round lists the port keys and the Services; a key whose Service is gone
 * (or another one of that name, or one no longer naming the port) is noted, and deleted if it was
 * noted the round before too, so a create still in flight between its two writes is never
 * touched. The delete is conditional on the key's revision: a port taken again meanwhile stays.
 */
import { storagePrefix } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';
import { NODE_PORT_KEY_PREFIX, portsHeld, type PortOwner } from './service-node-ports.ts';
import { runRepairRounds } from './periodic-repair.ts';

/** Upstream's repair interval for Service node ports. */
const REPAIR_MS = 3 * 60_000;

export class NodePortRepair {
  readonly #ctx: RestContext;
  /** Keys found leaked last round, with the revision they had: at most one per port of the range. */
  #suspects = new Map<string, number>();
  released = 0;

  constructor(ctx: RestContext) {
    this.#ctx = ctx;
  }

  async runOnce(): Promise<void> {
    const ctx = this.#ctx;
    const ports = await ctx.store.list<PortOwner>(NODE_PORT_KEY_PREFIX);
    const services = await ctx.store.list<K8sObject>(storagePrefix(ctx.registry.get('', 'v1', 'services')!));
    const held = new Map<string, K8sObject>();
    for (const s of services.items) held.set(`${s.value.metadata?.namespace}/${s.value.metadata?.name}`, s.value);
    const suspects = new Map<string, number>();
    for (const k of ports.items) {
      const o = k.value;
      const svc = held.get(`${o.namespace}/${o.name}`);
      const holds = svc !== undefined && (!o.uid || svc.metadata?.uid === o.uid) && portsHeld(svc).includes(o.port);
      if (holds) continue;
      if (this.#suspects.get(k.key) !== k.modRevision) {
        suspects.set(k.key, k.modRevision);
        continue;
      }
      try {
        await ctx.store.delete(k.key, k.modRevision);
        this.released++;
        ctx.log.info({ port: o.port, service: `${o.namespace}/${o.name}` }, 'gave back a node port no Service holds');
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'NotFound' || err.code === 'Conflict'))) throw err;
      }
    }
    this.#suspects = suspects;
  }
}

/** Runs the repair every 3 minutes (first after one interval); the returned stop waits for a round in flight. */
export function startNodePortRepair(ctx: RestContext, intervalMs = REPAIR_MS): () => Promise<void> {
  const repair = new NodePortRepair(ctx);
  return runRepairRounds(intervalMs, () => repair.runOnce(), (err) => ctx.log.error({ err }, 'node port repair failed'));
}
