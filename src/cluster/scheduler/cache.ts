/**
 * The scheduler cache (internal/cache): a NodeInfo per node from the nodes informer, with the
 * pods the pods informer shows bound to it plus the pods this scheduler assumed (decided, binding
 * under way). An assumed pod is confirmed when the informer shows it bound and forgotten when its
 * bind fails. With a `ttlMs` it also expires that long after its bind finished if the informer
 * has not confirmed it by then; by default (0) it never does, as upstream's scheduler since
 * kubernetes#106361 (durationToExpireAssumedPod = 0): an informer running late behind a busy API
 * server made bound pods expire and their room count twice.
 */
import type { AffinityNodeLists } from './framework.ts';
import { NodeInfo, podKey } from './node-info.ts';
import type { Node, Pod } from './resources.ts';

interface Assumed { pod: Pod; node: string; deadline?: number }

/** Succeeded and Failed pods hold no resources (upstream skips terminal pods). */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  /** Pods on nodes the informer has not shown yet, added when the node appears. */
  readonly #orphans = new Map<string, Map<string, Pod>>();
  /** Bound pods by key → node name, for updates and deletes. */
  readonly #bound = new Map<string, string>();
  readonly #assumed = new Map<string, Assumed>();
  #list: NodeInfo[] | undefined;
  /** Nodes holding pods with (anti-)affinity / required anti-affinity: InterPodAffinity walks only these. */
  readonly #withAffinity = new Set<NodeInfo>();
  readonly #withAnti = new Set<NodeInfo>();
  #lists: AffinityNodeLists | undefined;
  readonly ttlMs: number;

  constructor(opts: { ttlMs?: number } = {}) {
    this.ttlMs = opts.ttlMs ?? 0;
  }

  /** The node infos in a stable order (by name), rebuilt only when the node set changes. */
  nodeInfos(): readonly NodeInfo[] {
    this.#list ??= [...this.#nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.#list;
  }

  /** The nodes among nodeInfos() with affinity pods, rebuilt only when that membership changes. */
  affinityNodeLists(): AffinityNodeLists {
    this.#lists ??= { withAffinity: [...this.#withAffinity], withRequiredAntiAffinity: [...this.#withAnti] };
    return this.#lists;
  }

  /** Keeps the affinity sets in step with one node's pods (after any change on it). */
  #track(ni: NodeInfo, present = true): void {
    const flip = (set: Set<NodeInfo>, want: boolean) => {
      if (want === set.has(ni)) return;
      if (want) set.add(ni);
      else set.delete(ni);
      this.#lists = undefined;
    };
    flip(this.#withAffinity, present && ni.podsWithAffinity().size > 0);
    flip(this.#withAnti, present && ni.podsWithRequiredAntiAffinity().size > 0);
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  get assumedCount(): number {
    return this.#assumed.size;
  }

  isAssumed(key: string): boolean {
    return this.#assumed.has(key);
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const existing = this.#nodes.get(name);
    if (existing) {
      existing.setNode(node);
      return;
    }
    const ni = new NodeInfo(node);
    for (const [key, p] of this.#orphans.get(name) ?? []) ni.addPod(p, key);
    this.#orphans.delete(name);
    this.#nodes.set(name, ni);
    this.#list = undefined;
    this.#track(ni);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const ni = this.#nodes.get(name);
    if (!ni) return;
    // Pods still bound there keep their place in case the node comes back (as upstream's cache does).
    const keep = new Map<string, Pod>();
    for (const p of ni.pods) keep.set(podKey(p), p);
    if (keep.size > 0) this.#orphans.set(name, keep);
    this.#nodes.delete(name);
    this.#list = undefined;
    this.#track(ni, false);
  }

  #place(pod: Pod, node: string, key: string): void {
    const ni = this.#nodes.get(node);
    if (ni) {
      ni.addPod(pod, key);
      this.#track(ni);
    } else {
      let m = this.#orphans.get(node);
      if (!m) this.#orphans.set(node, (m = new Map()));
      m.set(key, pod);
    }
  }

  #unplace(key: string, node: string): void {
    const ni = this.#nodes.get(node);
    if (ni?.removePod(key)) this.#track(ni);
    else {
      const m = this.#orphans.get(node);
      m?.delete(key);
      if (m?.size === 0) this.#orphans.delete(node);
    }
  }

  /** A pod from the informer (add or update): bound non-terminal pods count on their node. */
  setPod(pod: Pod): void {
    const key = podKey(pod);
    const node: string | undefined = pod.spec?.nodeName || undefined;
    const assumed = this.#assumed.get(key);
    if (assumed && node) {
      // Confirmed by the API: the informer's copy replaces the assumed one.
      this.#unplace(key, assumed.node);
      this.#assumed.delete(key);
    }
    const prev = this.#bound.get(key);
    if (prev !== undefined) {
      this.#unplace(key, prev);
      this.#bound.delete(key);
    }
    if (!node || isTerminal(pod)) return;
    this.#place(pod, node, key);
    this.#bound.set(key, node);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const prev = this.#bound.get(key);
    if (prev !== undefined) {
      this.#unplace(key, prev);
      this.#bound.delete(key);
    }
    const assumed = this.#assumed.get(key);
    if (assumed) {
      this.#unplace(key, assumed.node);
      this.#assumed.delete(key);
    }
  }

  /** AssumePod: count the pod on `node` before the API has it, so the next cycle sees it there. */
  assume(pod: Pod, node: string): void {
    const key = podKey(pod);
    if (this.#assumed.has(key) || this.#bound.has(key)) throw new Error(`pod ${key} is already in the cache`);
    const placed = { ...pod, spec: { ...pod.spec, nodeName: node } };
    this.#place(placed, node, key);
    this.#assumed.set(key, { pod: placed, node });
  }

  /** FinishBinding: with a ttl, the assumed pod expires ttlMs from now unless the informer confirms it. */
  finishBinding(pod: Pod, now: number): void {
    const a = this.#assumed.get(podKey(pod));
    if (a && this.ttlMs > 0) a.deadline = now + this.ttlMs;
  }

  /** ForgetPod: the bind failed; the node gets its room back. */
  forget(pod: Pod): void {
    const key = podKey(pod);
    const a = this.#assumed.get(key);
    if (!a) return;
    this.#unplace(key, a.node);
    this.#assumed.delete(key);
  }

  /** cleanupAssumedPods: drop assumed pods whose bind finished more than ttlMs ago. */
  cleanupExpired(now: number): Pod[] {
    const out: Pod[] = [];
    for (const [key, a] of this.#assumed) {
      if (a.deadline !== undefined && a.deadline <= now) {
        this.#unplace(key, a.node);
        this.#assumed.delete(key);
        out.push(a.pod);
      }
    }
    return out;
  }
}
