import { ApiError, invalid } from '../../api/errors.ts';
import { internalPrefix, storagePrefix } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';

/** --service-node-port-range: first port and how many (upstream's default 30000-32767). */
export interface PortRange {
  base: number;
  size: number;
}

export const DEFAULT_NODE_PORT_RANGE: PortRange = { base: 30000, size: 2768 };

/** Parses "30000-32767" (or a single port) as upstream's net.ParsePortRange. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new Error(`invalid port range "${text}" (want LOW-HIGH within 1-65535)`);
  return { base: lo, size: hi - lo + 1 };
}

const rangeText = (r: PortRange): string => `${r.base}-${r.base + r.size - 1}`;

/**
 * Each taken node port is a key of its own in the store, created only if absent, so API servers
 * sharing one store (SQLite or etcd) never hand out the same port; upstream keeps a bitmap in one
 * RangeAllocation, which serialises every Service write on one key. The key is outside every
 * resource's prefix (parseObjectKey does not read `_` groups), so nothing serves or watches it; the
 * fixed middle segment keeps the storage metrics' type label one value (ports._servicenodeports).
 */
export const NODE_PORT_KEY_PREFIX = internalPrefix('servicenodeports', 'ports');
const portKey = (port: number): string => `${NODE_PORT_KEY_PREFIX}${port}`;

/** What a taken port's key holds: the Service that took it. */
export interface PortOwner {
  port: number;
  namespace: string;
  name: string;
  uid?: string;
}

type Port = { port?: number; nodePort?: number; protocol?: string };
const portsOf = (svc: K8sObject | undefined): Port[] => (Array.isArray(svc?.spec?.ports) ? svc!.spec.ports : []);

/** Upstream's collectServiceNodePorts: every nonzero nodePort, in order, repeats included. */
export const nodePortsOf = (svc: K8sObject | undefined): number[] => portsOf(svc).map((p) => Number(p.nodePort) || 0).filter((n) => n > 0);

export const isNodePortType = (svc: K8sObject | undefined): boolean => svc?.spec?.type === 'NodePort' || svc?.spec?.type === 'LoadBalancer';

/** Whether unset nodePorts get one (a LoadBalancer may opt out with allocateLoadBalancerNodePorts: false). */
function shouldAllocate(svc: K8sObject): boolean {
  if (svc.spec?.type === 'NodePort') return true;
  return svc.spec?.type === 'LoadBalancer' && svc.spec.allocateLoadBalancerNodePorts !== false;
}

/** apiservice.NeedsHealthCheck: a LoadBalancer keeping traffic on the node it arrives at. */
export function needsHealthCheck(svc: K8sObject | undefined): boolean {
  return svc?.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

const healthCheckPortOf = (svc: K8sObject | undefined): number => (needsHealthCheck(svc) ? Number(svc!.spec.healthCheckNodePort) || 0 : 0);

/** Every port a stored Service holds: its nodePorts and its healthCheckNodePort. */
export const portsHeld = (svc: K8sObject): number[] => [...nodePortsOf(svc), healthCheckPortOf(svc)].filter((p) => p > 0);

/** The ports taken (or to give back) by one create or update, settled once the Service is stored or not. */
export interface NodePortOperation {
  /** The Service was stored: give back the ports it stopped using. */
  commit(): Promise<void>;
  /** The Service was not stored: give back what this operation took. */
  revert(): Promise<void>;
}

class Operation implements NodePortOperation {
  readonly #ctx: RestContext;
  readonly #svc: K8sObject;
  readonly #dryRun: boolean;
  readonly #range: PortRange;
  readonly #taken: number[] = [];
  readonly #toRelease: number[] = [];
  /** Ports held by Services stored before these keys existed: never handed out. */
  #legacy?: Set<number>;

  constructor(ctx: RestContext, svc: K8sObject, dryRun: boolean) {
    this.#ctx = ctx;
    this.#svc = svc;
    this.#dryRun = dryRun;
    this.#range = ctx.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  }

  async #legacyPorts(): Promise<Set<number>> {
    if (this.#legacy) return this.#legacy;
    const used = new Set<number>();
    const list = await this.#ctx.store.list<K8sObject>(storagePrefix(this.#ctx.registry.get('', 'v1', 'services')!));
    const me = this.#svc.metadata;
    for (const s of list.items) {
      if (s.value.metadata?.namespace === me.namespace && s.value.metadata?.name === me.name) continue;
      for (const p of [...nodePortsOf(s.value), healthCheckPortOf(s.value)]) if (p) used.add(p);
    }
    return (this.#legacy = used);
  }

  /** Takes one port: false when another Service holds it. */
  async #take(port: number): Promise<boolean> {
    if ((await this.#legacyPorts()).has(port)) return false;
    const key = portKey(port);
    if (this.#dryRun) return !(await this.#ctx.store.get(key));
    const owner: PortOwner = { port, namespace: String(this.#svc.metadata.namespace), name: String(this.#svc.metadata.name), uid: this.#svc.metadata.uid };
    try {
      await this.#ctx.store.create(key, owner);
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
      // Already this Service's (a release that failed earlier): still its own, and not this operation's to give back.
      const cur = (await this.#ctx.store.get<PortOwner>(key))?.value;
      return cur !== undefined && cur.namespace === owner.namespace && cur.name === owner.name && (!cur.uid || !owner.uid || cur.uid === owner.uid);
    }
    this.#taken.push(port);
    return true;
  }

  /** Allocate(port): refused as upstream when out of range or taken. */
  async allocate(port: number): Promise<string | undefined> {
    if (port < this.#range.base || port >= this.#range.base + this.#range.size) return `provided port is not in the valid range. The range of valid ports is ${rangeText(this.#range)}`;
    return (await this.#take(port)) ? undefined : 'provided port is already allocated';
  }

  /**
   * AllocateNext: a random free port, from the upper part of the range first, as upstream since
   * 1.27 (KEP-3668): the lowest min(max(16, size/32), 128) ports are left for Services that name
   * their port, so a static choice rarely collides with a dynamic one.
   */
  async allocateNext(): Promise<number> {
    const { base, size } = this.#range;
    const offset = Math.min(Math.max(16, Math.floor(size / 32)), 128, size);
    for (const [lo, n] of [[offset, size - offset], [0, offset]] as const) {
      if (n <= 0) continue;
      const start = Math.floor(this.#ctx.random() * n);
      for (let i = 0; i < n; i++) {
        const port = base + lo + ((start + i) % n);
        if (await this.#take(port)) return port;
      }
    }
    throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }

  release(port: number): void {
    this.#toRelease.push(port);
  }

  async commit(): Promise<void> {
    if (this.#dryRun) return;
    const keep = new Set([...nodePortsOf(this.#svc), healthCheckPortOf(this.#svc)]);
    for (const p of this.#toRelease) if (!keep.has(p)) await releasePort(this.#ctx, p, this.#svc);
  }

  async revert(): Promise<void> {
    for (const p of this.#taken.splice(0)) await releasePort(this.#ctx, p, this.#svc);
  }
}

function portInvalid(svc: K8sObject, i: number, port: number, message: string): ApiError {
  return invalid('Service', '', String(svc.metadata?.name ?? ''), [{ reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${port}: ${message}` }]);
}

async function run(op: Operation, body: () => Promise<void>): Promise<NodePortOperation> {
  try {
    await body();
    return op;
  } catch (err) {
    await op.revert();
    throw err;
  }
}

/**
 * A new Service of type NodePort or LoadBalancer (upstream's initNodePorts): a nodePort it names is
 * taken or refused ('provided port is already allocated', 'provided port is not in the valid
 * range'); an unset one gets a free port, shared by the Service's ports with the same port
 * number (TCP and UDP on 53 share one). A LoadBalancer with externalTrafficPolicy Local gets a
 * healthCheckNodePort too.
 */
export async function allocateNodePorts(ctx: RestContext, svc: K8sObject, dryRun = false): Promise<NodePortOperation> {
  const op = new Operation(ctx, svc, dryRun);
  return run(op, async () => {
    if (isNodePortType(svc)) {
      const bySvcPort = new Map<number, number>();
      const ports = portsOf(svc);
      for (const [i, p] of ports.entries()) {
        if (!p.nodePort && !shouldAllocate(svc)) continue;
        const done = bySvcPort.get(Number(p.port));
        if (done === undefined) {
          const requested = ports.find((q) => q.port === p.port && q.nodePort)?.nodePort;
          let np: number;
          if (requested) {
            const err = await op.allocate(requested);
            if (err) throw portInvalid(svc, i, requested, err);
            np = requested;
          } else np = await op.allocateNext();
          p.nodePort = np;
          bySvcPort.set(Number(p.port), np);
        } else if (p.nodePort !== done) {
          if (!p.nodePort) p.nodePort = done;
          else {
            const err = await op.allocate(p.nodePort);
            if (err) throw portInvalid(svc, i, p.nodePort, err);
          }
        }
      }
    }
    if (needsHealthCheck(svc)) await allocateHealthCheck(op, svc);
  });
}

async function allocateHealthCheck(op: Operation, svc: K8sObject): Promise<void> {
  const requested = Number(svc.spec.healthCheckNodePort) || 0;
  if (!requested) {
    svc.spec.healthCheckNodePort = await op.allocateNext();
    return;
  }
  const err = await op.allocate(requested);
  if (err) throw new ApiError(500, 'InternalError', `Internal error occurred: failed to allocate requested HealthCheck NodePort ${requested}: ${err}`);
}

/**
 * An update (upstream's txnUpdateNodePorts): leaving NodePort/LoadBalancer gives every nodePort
 * back; staying or becoming one takes the new ports and gives back the ones no longer named; the
 * healthCheckNodePort follows externalTrafficPolicy. Ports are given back only on commit.
 */
export async function updateNodePorts(ctx: RestContext, before: K8sObject, after: K8sObject, dryRun = false): Promise<NodePortOperation> {
  const op = new Operation(ctx, after, dryRun);
  return run(op, async () => {
    if (isNodePortType(before) && !isNodePortType(after)) for (const p of nodePortsOf(before)) op.release(p);
    if (isNodePortType(after)) {
      const old = new Set(nodePortsOf(before));
      const takenNow = new Set<number>();
      const seen = new Set<string>();
      for (const [i, p] of portsOf(after).entries()) {
        if (!p.nodePort && !shouldAllocate(after)) continue;
        if (p.nodePort) {
          if (!old.has(p.nodePort) && !takenNow.has(p.nodePort)) {
            const err = await op.allocate(p.nodePort);
            if (err) throw portInvalid(after, i, p.nodePort, err);
            takenNow.add(p.nodePort);
          }
        } else p.nodePort = await op.allocateNext();
        const id = `${p.protocol ?? 'TCP'}/${p.nodePort}`;
        if (seen.has(id)) throw new ApiError(500, 'InternalError', `Internal error occurred: duplicate nodePort: {${p.protocol ?? 'TCP'} ${p.nodePort}}`);
        seen.add(id);
      }
      const now = new Set(nodePortsOf(after));
      for (const p of old) if (!now.has(p)) op.release(p);
    }
    const needed = needsHealthCheck(before);
    const needs = needsHealthCheck(after);
    if (!needed && needs) await allocateHealthCheck(op, after);
    else if (needed && !needs && Number(before.spec.healthCheckNodePort) > 0) op.release(Number(before.spec.healthCheckNodePort));
  });
}

/** Deletes the port's key if it is still this Service's; a failure leaves the port taken, never doubly given. */
async function releasePort(ctx: RestContext, port: number, svc: K8sObject): Promise<void> {
  const key = portKey(port);
  try {
    const cur = await ctx.store.get<PortOwner>(key);
    const o = cur?.value;
    if (!cur || !o || o.namespace !== svc.metadata?.namespace || o.name !== svc.metadata?.name) return;
    if (o.uid && svc.metadata?.uid && o.uid !== svc.metadata.uid) return;
    await ctx.store.delete(key, cur.modRevision);
  } catch (err) {
    if (err instanceof StorageError && (err.code === 'NotFound' || err.code === 'Conflict')) return;
    ctx.log.error({ err, port }, 'releasing a Service node port failed; the port stays allocated');
  }
}

/** A Service is gone: its node ports (and health check port) are free again (upstream's releaseAllocatedResources). */
export async function releaseNodePorts(ctx: RestContext, svc: K8sObject): Promise<void> {
  for (const p of new Set([...nodePortsOf(svc), healthCheckPortOf(svc)])) if (p) await releasePort(ctx, p, svc);
}
