/**
 * The garbage collector's owner/dependent graph (upstream's GraphBuilder uidToNode), fed by the
 * informers of every monitored resource: a node per object uid with what the collector needs
 * (where it lives, its owner references, whether it is being deleted and with which finalizers),
 * and for each owner uid the uids of its dependents. Owners need not be in the graph: an owner
 * the caches do not hold is checked with a live GET before anything is deleted.
 */
import type { K8sObject, ResourceRef } from '../client/types.ts';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

export interface GraphNode {
  uid: string;
  resource: ResourceRef;
  namespace: string;
  name: string;
  owners: OwnerRef[];
  deleting: boolean;
  finalizers: string[];
}

/** ownerReferences that name a uid, kind and name; anything else in the list is ignored. */
export function ownerRefsOf(o: K8sObject | undefined): OwnerRef[] {
  const refs = o?.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.filter((r): r is OwnerRef => r !== null && typeof r === 'object' && typeof r.uid === 'string' && r.uid !== '' && typeof r.kind === 'string' && typeof r.name === 'string' && typeof r.apiVersion === 'string');
}

export function nodeOf(resource: ResourceRef, o: K8sObject): GraphNode | undefined {
  const uid = o.metadata?.uid;
  if (typeof uid !== 'string' || uid === '') return undefined;
  const fins = o.metadata.finalizers;
  return {
    uid,
    resource,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    owners: ownerRefsOf(o),
    deleting: !!o.metadata.deletionTimestamp,
    finalizers: Array.isArray(fins) ? fins.filter((f): f is string => typeof f === 'string') : [],
  };
}

/**
 * A namespaced owner is only ever in its dependent's namespace (a cluster-scoped one in any): an
 * owner reference from another namespace names an owner that, for the collector, does not exist
 * (upstream 1.20+: OwnerRefInvalidNamespace; the dependent is deleted as an orphan).
 */
export const ownerNamespaceValid = (owner: GraphNode, dependent: GraphNode): boolean => owner.namespace === '' || owner.namespace === dependent.namespace;

export const isDeletingDependents = (n: GraphNode | undefined): boolean => !!n?.deleting && n.finalizers.includes(FINALIZER_FOREGROUND);
export const isOrphaning = (n: GraphNode | undefined): boolean => !!n?.deleting && n.finalizers.includes(FINALIZER_ORPHAN);

export class OwnerGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The dependents (in the graph) whose ownerReferences name `owner`. */
  dependentsOf(owner: string): GraphNode[] {
    return [...(this.dependents.get(owner) ?? [])].flatMap((u) => this.nodes.get(u) ?? []);
  }

  /**
   * Upstream's blockingDependents: dependents whose reference to `owner` has blockOwnerDeletion.
   * Unlike upstream's node.blockingDependents, a dependent in another namespace than a namespaced
   * owner's does not count: its reference is invalid (its owner is absent for the collector,
   * which deletes it), and it must not let another namespace hold the owner's foreground deletion
   * open with a finalizer of its own.
   */
  blockingDependentsOf(owner: string): GraphNode[] {
    const o = this.nodes.get(owner);
    return this.dependentsOf(owner).filter((d) => (!o || ownerNamespaceValid(o, d)) && d.owners.some((r) => r.uid === owner && r.blockOwnerDeletion === true));
  }

  /** Puts the node in; returns the previous one of that uid. */
  upsert(n: GraphNode): GraphNode | undefined {
    const prev = this.remove(n.uid);
    this.nodes.set(n.uid, n);
    for (const r of n.owners) {
      let s = this.dependents.get(r.uid);
      if (!s) this.dependents.set(r.uid, (s = new Set()));
      s.add(n.uid);
    }
    return prev;
  }

  remove(uid: string): GraphNode | undefined {
    const prev = this.nodes.get(uid);
    if (!prev) return undefined;
    this.nodes.delete(uid);
    for (const r of prev.owners) {
      const s = this.dependents.get(r.uid);
      s?.delete(uid);
      if (s?.size === 0) this.dependents.delete(r.uid);
    }
    return prev;
  }
}
