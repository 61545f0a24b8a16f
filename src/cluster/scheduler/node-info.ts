/**
 * framework.NodeInfo: one node with the pods bound or assumed on it and what they add up to
 * (requested and non-zero requested resources, used host ports, pods with (anti-)affinity).
 * Kept incrementally by the cache; plugins read it, preemption's dry run mutates a clone.
 */
import { addResource, cloneResource, emptyResource, requestsOf, resourceFromList, type Node, type Pod, type Resource } from './resources.ts';

export interface HostPort { ip: string; protocol: string; port: number }

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

const NO_PORTS: readonly HostPort[] = Object.freeze([]);

/** The host ports a pod asks for (containers and init containers), 0.0.0.0 when no hostIP. */
export function podHostPorts(pod: Pod): readonly HostPort[] {
  const out: HostPort[] = [];
  for (const list of [pod.spec?.initContainers, pod.spec?.containers]) {
    for (const c of list ?? []) {
      for (const p of c?.ports ?? []) {
        if (!p?.hostPort) continue;
        out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
  }
  // Most pods have none: one shared empty list instead of one each (a node holds ~30-110 pods).
  return out.length > 0 ? out : NO_PORTS;
}

export function podHasAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

export function podHasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

function asSized(m: Map<string, Pod>): Iterable<Pod> & { readonly size: number } {
  return {
    get size() {
      return m.size;
    },
    [Symbol.iterator]: () => m.values(),
  };
}

interface PodEntry { pod: Pod; requests: Resource; nonZero: Resource; ports: readonly HostPort[] }

export class NodeInfo {
  node: Node;
  allocatable: Resource;
  readonly requested: Resource;
  readonly nonZeroRequested: Resource;
  readonly #pods = new Map<string, PodEntry>();
  /** Kept apart so InterPodAffinity does not walk every pod of every node each cycle. */
  readonly #withAffinity = new Map<string, Pod>();
  readonly #withRequiredAnti = new Map<string, Pod>();
  #podList: Pod[] | undefined;
  /** protocol/ip/port multiset. */
  readonly usedPorts = new Map<string, number>();

  constructor(node: Node) {
    this.node = node;
    this.allocatable = resourceFromList(node.status?.allocatable);
    this.requested = emptyResource();
    this.nonZeroRequested = emptyResource();
  }

  get name(): string {
    return this.node.metadata.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = resourceFromList(node.status?.allocatable);
  }

  /** The pods on the node; the array is shared until the next change, callers must not modify it. */
  get pods(): readonly Pod[] {
    this.#podList ??= [...this.#pods.values()].map((e) => e.pod);
    return this.#podList;
  }

  get podCount(): number {
    return this.#pods.size;
  }

  readonly #affinityView = asSized(this.#withAffinity);
  readonly #antiView = asSized(this.#withRequiredAnti);

  podsWithAffinity(): Iterable<Pod> & { readonly size: number } {
    return this.#affinityView;
  }

  podsWithRequiredAntiAffinity(): Iterable<Pod> & { readonly size: number } {
    return this.#antiView;
  }

  hasPod(key: string): boolean {
    return this.#pods.has(key);
  }

  /** `key` is podKey(pod), passed by a caller that has it so every map holds one string. */
  addPod(pod: Pod, key = podKey(pod)): void {
    if (this.#pods.has(key)) this.removePod(key);
    const { requests, nonZero } = requestsOf(pod);
    const e: PodEntry = { pod, requests, nonZero, ports: podHostPorts(pod) };
    this.#pods.set(key, e);
    this.#podList = undefined;
    if (podHasAffinity(pod)) this.#withAffinity.set(key, pod);
    if (podHasRequiredAntiAffinity(pod)) this.#withRequiredAnti.set(key, pod);
    addResource(this.requested, e.requests);
    addResource(this.nonZeroRequested, e.nonZero);
    for (const p of e.ports) {
      const k = `${p.protocol}/${p.ip}/${p.port}`;
      this.usedPorts.set(k, (this.usedPorts.get(k) ?? 0) + 1);
    }
  }

  removePod(key: string): boolean {
    const e = this.#pods.get(key);
    if (!e) return false;
    this.#pods.delete(key);
    this.#podList = undefined;
    this.#withAffinity.delete(key);
    this.#withRequiredAnti.delete(key);
    addResource(this.requested, e.requests, -1);
    addResource(this.nonZeroRequested, e.nonZero, -1);
    for (const p of e.ports) {
      const k = `${p.protocol}/${p.ip}/${p.port}`;
      const n = (this.usedPorts.get(k) ?? 0) - 1;
      if (n <= 0) this.usedPorts.delete(k);
      else this.usedPorts.set(k, n);
    }
    return true;
  }

  /** HostPortInfo.CheckConflict: same protocol and port, and the same IP or either is 0.0.0.0. */
  portConflicts(p: HostPort): boolean {
    if (p.ip === '0.0.0.0') {
      const suffix = `/${p.port}`;
      for (const k of this.usedPorts.keys()) if (k.startsWith(`${p.protocol}/`) && k.endsWith(suffix)) return true;
      return false;
    }
    return this.usedPorts.has(`${p.protocol}/${p.ip}/${p.port}`) || this.usedPorts.has(`${p.protocol}/0.0.0.0/${p.port}`);
  }

  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    c.allocatable = cloneResource(this.allocatable);
    for (const e of this.#pods.values()) c.addPod(e.pod);
    return c;
  }
}
