/**
 * The node authorizer's graph (upstream plugin/pkg/auth/authorizer/node/graph.go): vertices are
 * typed objects, edges point from an object towards the node that may use it
 * (secret → pod → node, pvc → pod, pv → pvc, secret → pv, va → node).
 *
 * Every edge belongs to exactly one "owner" vertex — a pod, a persistent volume or a volume
 * attachment — because those are the objects whose content defines the edges. Replacing an owner
 * drops all edges incident on it and adds the new ones in one synchronous step, so a decision
 * never sees a half-applied object.
 */

export type VertexType = 'configmap' | 'node' | 'pod' | 'pv' | 'pvc' | 'secret' | 'serviceAccount' | 'volumeattachment';

export function vertexId(type: VertexType, namespace: string, name: string): string {
  return `${type}/${namespace}/${name}`;
}

export class NodeGraph {
  readonly #out = new Map<string, Set<string>>();
  readonly #in = new Map<string, Set<string>>();

  /** Replace the owner's edges: `from` lists vertices with an edge into it, `to` those it points to. */
  setOwner(owner: string, from: Iterable<string>, to: Iterable<string>): void {
    const fromList = Array.isArray(from) ? (from as readonly string[]) : [...from];
    const toList = Array.isArray(to) ? (to as readonly string[]) : [...to];
    // Most events change nothing here (a pod's status writes keep its node and references):
    // the same edges are left as they are instead of dropped and added again.
    if (sameEdges(this.#in.get(owner), fromList, owner) && sameEdges(this.#out.get(owner), toList, owner)) return;
    this.deleteOwner(owner);
    for (const f of fromList) this.#addEdge(f, owner);
    for (const t of toList) this.#addEdge(owner, t);
  }

  /** Drop every edge incident on the owner (the object was deleted). */
  deleteOwner(owner: string): void {
    for (const t of this.#out.get(owner) ?? []) this.#drop(this.#in, t, owner);
    for (const f of this.#in.get(owner) ?? []) this.#drop(this.#out, f, owner);
    this.#out.delete(owner);
    this.#in.delete(owner);
  }

  /** Whether the start vertex reaches the target along edges (upstream's hasPathFrom). */
  hasPath(start: string, target: string): boolean {
    if (!this.#out.has(start)) return false;
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      const v = stack.pop()!;
      for (const next of this.#out.get(v) ?? []) {
        if (next === target) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    return false;
  }

  clear(): void {
    this.#out.clear();
    this.#in.clear();
  }

  /** Number of edges (tests and metrics). */
  edgeCount(): number {
    let n = 0;
    for (const s of this.#out.values()) n += s.size;
    return n;
  }

  #addEdge(from: string, to: string): void {
    if (from === to) return;
    add(this.#out, from, to);
    add(this.#in, to, from);
  }

  #drop(m: Map<string, Set<string>>, key: string, value: string): void {
    const s = m.get(key);
    if (!s) return;
    s.delete(value);
    if (s.size === 0) m.delete(key);
  }
}

/** Whether the owner's edges on one side are exactly `wanted` (self-edges are never added). */
function sameEdges(have: Set<string> | undefined, wanted: readonly string[], owner: string): boolean {
  const n = wanted.length;
  if (n <= SHORT_LIST) {
    // A pod's few references (a bind, then every status write): compared in place, no Set made.
    // Exact for a list without repeats; with a repeat, the general way answers. A list naming the
    // owner compares unequal here (no owner holds itself) and is replaced: the same edges result.
    let plain = true;
    for (let i = 1; i < n && plain; i++) {
      for (let j = 0; j < i && plain; j++) if (wanted[j] === wanted[i]) plain = false;
    }
    if (plain) {
      if ((have?.size ?? 0) !== n) return false;
      for (let i = 0; i < n; i++) if (!have!.has(wanted[i]!)) return false;
      return true;
    }
  }
  const want = new Set(wanted);
  want.delete(owner);
  if ((have?.size ?? 0) !== want.size) return false;
  for (const w of want) if (!have!.has(w)) return false;
  return true;
}

const SHORT_LIST = 8;

function add(m: Map<string, Set<string>>, key: string, value: string): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(value);
}
