/**
 * The garbage collector (upstream pkg/controller/garbagecollector) as an API client
 * (system:serviceaccount:kube-system:generic-garbage-collector): ownerReferences drive deletion.
 *  - Background: a dependent whose owners are all gone is deleted. "Gone" is never taken from the
 *    caches alone: each owner the graph does not hold is looked up with a live GET and compared by
 *    uid (upstream's isDangling), and the dependent itself is re-read before it is deleted with
 *    its uid as precondition, so a stale cache can delay a deletion but never cause a wrong one.
 *  - Orphan: an owner being deleted with the `orphan` finalizer has its uid removed from its
 *    dependents' ownerReferences (merge patches with the read resourceVersion), then the finalizer
 *    removed.
 *  - Foreground: an owner being deleted with `foregroundDeletion` has its dependents deleted first
 *    (in the foreground themselves when they have dependents); the finalizer is removed once no
 *    dependent with blockOwnerDeletion is left.
 *
 * The graph is built from the shared informers of every resource discovery lists (list, watch and
 * delete); discovery is looked at again periodically and whenever a CustomResourceDefinition
 * changes, so custom resources are covered (upstream's resyncMonitors). One queue keyed by uid;
 * one object that cannot be processed is retried with backoff and stops nothing else.
 */
import { isConflict, isNotFound } from '../client/errors.ts';
import { DEFAULT_BACKOFF, retryOnConflict } from '../client/retry.ts';
import { realTimers, type Timers } from '../client/timers.ts';
import type { ApiClient, Controller, DeleteOptions, Informer, InformerFactory, K8sObject, ResourceRef, WorkQueue } from '../client/types.ts';
import { newEventRecorder } from './events.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, isDeletingDependents, isOrphaning, nodeOf, OwnerGraph, ownerNamespaceValid, ownerRefsOf, type GraphNode, type OwnerRef } from './gc-graph.ts';
import { eventSuffix, newQueueController, type ControllerLog } from './queue-controller.ts';
import { groupResourceOf, type ResourceDiscovery } from './resource-discovery.ts';

export const GC_NAME = 'garbage-collector-controller';

/** Upstream re-runs discovery for the collector every 30 s (garbageCollector.Sync's period). */
const DEFAULT_RESYNC_MS = 30_000;
/** A CRD change is looked at once the API server had time to serve (or stop serving) it. */
const CRD_SETTLE_MS = 1_000;

/** Not monitored, as upstream's DefaultIgnoredResources: events are many, short-lived and own nothing. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

const CRDS: ResourceRef = Object.freeze({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false });

export interface GarbageCollectorDeps {
  client: ApiClient;
  informers: InformerFactory;
  queue: WorkQueue;
  log: ControllerLog;
  discovery: ResourceDiscovery;
  resyncMs?: number;
  timers?: Timers;
  /** Event times and name suffixes (defaults Date.now, Math.random). */
  now?: () => number;
  random?: () => number;
}

export function newGarbageCollector(d: GarbageCollectorDeps): Controller {
  const graph = new OwnerGraph();
  const timers = d.timers ?? realTimers;
  const monitored = new Map<string, Informer<K8sObject>>();
  const enqueue = (uid: string | undefined) => {
    if (uid) d.queue.add(uid);
  };
  const recorder = newEventRecorder({ client: d.client, component: GC_NAME, now: d.now ?? Date.now, suffix: eventSuffix(d.random ?? Math.random), log: d.log });

  /**
   * Upstream's reportInvalidNamespaceOwnerRef: a Warning on the dependent whose reference names
   * an owner observed in another namespace; the dependent is synced, which finds the owner absent
   * in its own namespace and deletes it.
   */
  const invalidNamespaceRef = (dep: GraphNode, owner: GraphNode) => {
    const ref = dep.owners.find((r) => r.uid === owner.uid);
    if (!ref) return;
    const invalid = `[${ref.apiVersion}/${ref.kind}, namespace: ${dep.namespace}, name: ${ref.name}, uid: ${ref.uid}]`;
    recorder.event({ metadata: { namespace: dep.namespace, name: dep.name, uid: dep.uid } }, dep.resource, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef ${invalid} does not exist in namespace ${JSON.stringify(dep.namespace)}`);
    enqueue(dep.uid);
  };

  const onUpsert = (resource: ResourceRef, o: K8sObject) => {
    const n = nodeOf(resource, o);
    if (!n) return;
    const prev = graph.upsert(n);
    // The good owner -> bad dependent order (upstream's addDependentToOwners, for added references)
    // and the bad dependent -> good owner order (a newly observed owner's dependents elsewhere).
    for (const r of n.owners) {
      const owner = graph.get(r.uid);
      if (owner && !ownerNamespaceValid(owner, n) && !prev?.owners.some((p) => p.uid === r.uid)) invalidNamespaceRef(n, owner);
    }
    if (!prev) for (const dep of graph.dependentsOf(n.uid)) if (!ownerNamespaceValid(n, dep)) invalidNamespaceRef(dep, n);
    // Owners the graph does not hold (yet, or any more): the dependent's sync verifies them live.
    if (n.owners.some((r) => !graph.get(r.uid) || isDeletingDependents(graph.get(r.uid)))) enqueue(n.uid);
    // Deletion started with a finalizer this collector serves.
    if ((isOrphaning(n) && !isOrphaning(prev)) || (isDeletingDependents(n) && !isDeletingDependents(prev))) {
      enqueue(n.uid);
      if (isDeletingDependents(n)) for (const dep of graph.dependentsOf(n.uid)) enqueue(dep.uid);
    }
    // References dropped or unblocked may let a foreground owner finish.
    for (const r of prev?.owners ?? []) if (isDeletingDependents(graph.get(r.uid))) enqueue(r.uid);
  };

  const onDelete = (o: K8sObject) => {
    const uid = o.metadata?.uid;
    if (typeof uid !== 'string') return;
    const prev = graph.remove(uid);
    for (const dep of graph.dependentsOf(uid)) enqueue(dep.uid);
    for (const r of prev?.owners ?? ownerRefsOf(o)) if (graph.get(r.uid)?.deleting) enqueue(r.uid);
  };

  /** Starts monitoring what discovery lists now and was not monitored yet. */
  const syncMonitors = () => {
    let resources: ResourceRef[];
    try {
      resources = d.discovery();
    } catch (err) {
      d.log.error({ err }, `${GC_NAME}: resource discovery failed; keeping the monitors as they are`);
      return;
    }
    for (const r of resources) {
      const gr = groupResourceOf(r);
      if (monitored.has(gr) || IGNORED.has(gr)) continue;
      // A resource that stops being served keeps its informer (the shared factory cannot drop
      // one): its list fails and backs off until the resource is served again.
      const inf = d.informers.informer<K8sObject>(r);
      monitored.set(gr, inf);
      inf.addEventHandler({
        add: (o) => onUpsert(r, o),
        update: (_old, o) => onUpsert(r, o),
        delete: onDelete,
      });
    }
  };

  /** The served resource for an owner reference's apiVersion and kind (upstream's RESTMapper). */
  const resourceFor = (ref: OwnerRef): ResourceRef => {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
    const r = d.discovery().find((x) => x.group === group && x.kind === ref.kind);
    if (!r) throw new Error(`${GC_NAME}: no served resource for ${ref.kind} in ${ref.apiVersion}`);
    return r;
  };

  /** Upstream's isDangling: the owner is gone, or another object of its name has another uid. */
  const ownerState = async (ref: OwnerRef, dependent: GraphNode): Promise<'solid' | 'dangling' | 'waiting' | 'unresolvable'> => {
    const found = graph.get(ref.uid);
    // Only an owner where the reference says it is counts: in the dependent's namespace (or
    // cluster-scoped), of its kind and name. Another is looked up where the reference points.
    const cached = found && ownerNamespaceValid(found, dependent) && found.name === ref.name && found.resource.kind === ref.kind ? found : undefined;
    // The cache may lag a deletion (then the owner looks solid: we only wait longer) but is
    // never trusted for an absence.
    if (cached && !cached.deleting) return 'solid';
    const r = cached?.resource ?? resourceFor(ref);
    // A cluster-scoped item naming a namespaced owner: not resolvable, never retried (upstream's
    // namespacedOwnerOfClusterScopedObjectErr); the item is left as it is.
    if (dependent.namespace === '' && r.namespaced) return 'unresolvable';
    let owner: K8sObject;
    try {
      owner = await d.client.get(r, r.namespaced ? dependent.namespace : '', ref.name);
    } catch (err) {
      if (isNotFound(err)) return 'dangling';
      throw err;
    }
    if (owner.metadata.uid !== ref.uid) return 'dangling';
    const fins: unknown = owner.metadata.finalizers;
    return owner.metadata.deletionTimestamp && Array.isArray(fins) && fins.includes(FINALIZER_FOREGROUND) ? 'waiting' : 'solid';
  };

  /** The object as the server has it now; undefined when gone or replaced by another of its name. */
  const getFresh = async (n: GraphNode): Promise<K8sObject | undefined> => {
    try {
      const o = await d.client.get(n.resource, n.namespace, n.name);
      return o.metadata.uid === n.uid ? o : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  /**
   * GET, change, merge-patch with the resourceVersion read; conflicts are retried on a fresh read
   * over retry.DefaultBackoff, as upstream's removeFinalizer.
   */
  const patchFresh = async (n: GraphNode, change: (o: K8sObject) => Record<string, unknown> | undefined) =>
    retryOnConflict(DEFAULT_BACKOFF, async () => {
      const o = await getFresh(n);
      if (!o) return;
      const meta = change(o);
      if (!meta) return;
      try {
        await d.client.patch(n.resource, n.namespace, n.name, 'merge', { metadata: { ...meta, uid: n.uid, resourceVersion: o.metadata.resourceVersion } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });

  const removeOwnerRefs = (n: GraphNode, uids: ReadonlySet<string>) =>
    patchFresh(n, (o) => {
      const refs: unknown[] = Array.isArray(o.metadata.ownerReferences) ? o.metadata.ownerReferences : [];
      const keep = refs.filter((r) => !(r && typeof r === 'object' && uids.has((r as OwnerRef).uid)));
      if (keep.length === refs.length) return undefined;
      return { ownerReferences: keep.length > 0 ? keep : null };
    });

  const removeFinalizer = (n: GraphNode, finalizer: string) =>
    patchFresh(n, (o) => {
      const fins: unknown[] = Array.isArray(o.metadata.finalizers) ? o.metadata.finalizers : [];
      if (!fins.includes(finalizer)) return undefined;
      const keep = fins.filter((f) => f !== finalizer);
      return { finalizers: keep.length > 0 ? keep : null };
    });

  const deleteObject = async (n: GraphNode, policy: DeleteOptions['propagationPolicy']) => {
    try {
      await d.client.delete(n.resource, n.namespace, n.name, { preconditions: { uid: n.uid }, propagationPolicy: policy });
    } catch (err) {
      // Gone already, or another object of that name now (the uid precondition failed).
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  };

  /** Runs `fn` for each; one failing does not stop the others, and the failures are reported together. */
  const each = async <T>(items: T[], fn: (x: T) => Promise<void>) => {
    const errs: unknown[] = [];
    for (const x of items) {
      try {
        await fn(x);
      } catch (err) {
        errs.push(err);
      }
    }
    if (errs.length > 0) throw new AggregateError(errs, `${GC_NAME}: ${errs.length} of ${items.length} dependents failed`);
  };

  /**
   * Decisions from the absence of dependents (orphaning them, ending a foreground deletion) need
   * every monitor's first list in: a dependent not listed yet would be missed. Background
   * deletion does not wait: it never trusts an absence it has not confirmed live.
   */
  const requireSyncedGraph = () => {
    // A resource no longer served (a CRD deleted before its first list) is not waited for.
    const served = new Set(d.discovery().map(groupResourceOf));
    const pending = [...monitored].filter(([gr, inf]) => served.has(gr) && !inf.hasSynced()).map(([gr]) => gr);
    if (pending.length > 0) throw new Error(`${GC_NAME}: waiting for the caches of ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', ...' : ''} to sync`);
  };

  /** Upstream's attemptToOrphanWorker: drop this owner from its dependents, then the finalizer. */
  const orphan = async (owner: GraphNode) => {
    requireSyncedGraph();
    const only = new Set([owner.uid]);
    await each(graph.dependentsOf(owner.uid), (dep) => removeOwnerRefs(dep, only));
    await removeFinalizer(owner, FINALIZER_ORPHAN);
  };

  /** Upstream's attemptToDeleteItem for an object with owner references. */
  const attemptToDelete = async (n: GraphNode, latest: K8sObject) => {
    const refs = ownerRefsOf(latest);
    if (refs.length === 0) return;
    const solid: OwnerRef[] = [];
    const dangling: OwnerRef[] = [];
    const waiting: OwnerRef[] = [];
    for (const ref of refs) {
      const state = await ownerState(ref, n);
      if (state === 'unresolvable') return;
      (state === 'solid' ? solid : state === 'dangling' ? dangling : waiting).push(ref);
    }
    if (solid.length > 0) {
      // An owner remains: the references to gone owners and to owners waiting on their
      // dependents are removed (else those owners would wait for ever).
      if (dangling.length + waiting.length > 0) await removeOwnerRefs(n, new Set([...dangling, ...waiting].map((r) => r.uid)));
      return;
    }
    if (waiting.length > 0 && graph.dependentsOf(n.uid).length > 0) {
      // Deleted in the foreground, its own dependents first; it no longer blocks its owners'
      // deletion meanwhile (upstream's unblockOwnerReferences), so no owner waits in a cycle.
      const waitingUids = new Set(waiting.map((r) => r.uid));
      await patchFresh(n, (o) => {
        const all: unknown[] = Array.isArray(o.metadata.ownerReferences) ? o.metadata.ownerReferences : [];
        if (!all.some((r) => waitingUids.has((r as OwnerRef)?.uid) && (r as OwnerRef).blockOwnerDeletion === true)) return undefined;
        return { ownerReferences: all.map((r) => (waitingUids.has((r as OwnerRef)?.uid) ? { ...(r as object), blockOwnerDeletion: false } : r)) };
      });
      return deleteObject(n, 'Foreground');
    }
    const fins: unknown = latest.metadata.finalizers;
    const has = (f: string) => Array.isArray(fins) && fins.includes(f);
    return deleteObject(n, has(FINALIZER_ORPHAN) ? 'Orphan' : has(FINALIZER_FOREGROUND) ? 'Foreground' : 'Background');
  };

  const sync = async (uid: string): Promise<void> => {
    const n = graph.get(uid);
    if (!n) return;
    if (isOrphaning(n)) return orphan(n);
    if (n.deleting && !isDeletingDependents(n)) return;
    // Fresh from the server: the cache may hold an object already gone or replaced.
    const latest = await getFresh(n);
    if (!latest) return;
    if (isDeletingDependents(n)) {
      const blocking = graph.blockingDependentsOf(uid);
      if (blocking.length === 0) {
        requireSyncedGraph();
        return removeFinalizer(n, FINALIZER_FOREGROUND);
      }
      for (const dep of blocking) if (!isDeletingDependents(dep)) enqueue(dep.uid);
      return;
    }
    return attemptToDelete(n, latest);
  };

  const inner = newQueueController({ name: GC_NAME, queue: d.queue, waitFor: [], sync, log: d.log });
  let resync: unknown;
  let crdTimer: unknown;
  let stopped = false;
  const scheduleResync = () => {
    if (stopped) return;
    resync = timers.setTimeout(() => {
      syncMonitors();
      scheduleResync();
    }, d.resyncMs ?? DEFAULT_RESYNC_MS);
  };
  const crdChanged = () => {
    if (stopped || crdTimer !== undefined) return;
    crdTimer = timers.setTimeout(() => {
      crdTimer = undefined;
      syncMonitors();
    }, CRD_SETTLE_MS);
  };
  syncMonitors();
  d.informers.informer(CRDS).addEventHandler({ add: crdChanged, update: crdChanged, delete: crdChanged });

  return {
    name: GC_NAME,
    run(workers) {
      scheduleResync();
      // Workers start at once: one resource whose list keeps failing must not stop collection
      // of all the others (what needs a synced graph checks it, see requireSyncedGraph).
      inner.run(workers);
    },
    async stop() {
      stopped = true;
      timers.clearTimeout(resync);
      if (crdTimer !== undefined) timers.clearTimeout(crdTimer);
      await inner.stop();
    },
  };
}
