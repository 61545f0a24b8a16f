/**
 * The namespace controller (upstream pkg/controller/namespace) as an API client
 * (system:serviceaccount:kube-system:namespace-controller): when a namespace is terminating, every
 * namespaced resource is emptied with a DELETE on its collection (upstream's namespaced resources
 * deleter), objects with finalizers are awaited, then the `kubernetes` finalizer is removed through
 * namespaces/finalize and the namespace deleted.
 *
 * One resource that cannot be emptied (an undecodable stored value answers 500) fails only its
 * namespace's sync, which is retried with backoff; the other resources are still emptied and the
 * other namespaces go on.
 */
import { isConflict, isNotFound } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { Controller, K8sObject } from '../client/types.ts';
import { newQueueController } from './queue-controller.ts';
import type { ResourceDiscovery } from './resource-discovery.ts';
import type { NamespacedControllerDeps } from './service-account.ts';

const FINALIZER_KUBERNETES = 'kubernetes';

export interface NamespaceControllerDeps extends NamespacedControllerDeps {
  discovery: ResourceDiscovery;
}

function isTerminating(ns: K8sObject | undefined): ns is K8sObject {
  return !!ns?.metadata.deletionTimestamp && Array.isArray(ns.spec?.finalizers) && ns.spec.finalizers.includes(FINALIZER_KUBERNETES);
}

export function newNamespaceController(d: NamespaceControllerDeps): Controller {
  const namespaces = d.informers.informer(resources.namespaces);
  const consider = (ns: K8sObject) => isTerminating(ns) && d.queue.add(ns.metadata.name ?? '');
  namespaces.addEventHandler({ add: consider, update: (_old, ns) => consider(ns) });

  /** Empties every namespaced resource; how many objects remain (awaiting their finalizers). */
  const deleteContent = async (ns: string): Promise<number> => {
    let remaining = 0;
    const failures: Array<{ resource: string; err: unknown }> = [];
    for (const r of d.discovery()) {
      if (!r.namespaced) continue;
      try {
        // Pods on a node would wait for a node agent that may never answer (no pod GC yet): they
        // go at once, as this controller deleted them before it was an API client. Upstream
        // waits for the kubelet or the pod GC instead.
        await d.client.deleteCollection(r, ns, r.group === '' && r.resource === 'pods' ? { gracePeriodSeconds: 0 } : {});
        remaining += (await d.client.list(r, ns, { limit: 1 })).items.length;
      } catch (err) {
        if (!isNotFound(err)) failures.push({ resource: r.group ? `${r.resource}.${r.group}` : r.resource, err });
      }
    }
    if (failures.length > 0) throw new AggregateError(failures.map((f) => f.err), `namespace ${ns}: cannot delete ${failures.map((f) => f.resource).join(', ')}`);
    return remaining;
  };

  const sync = async (name: string): Promise<void> => {
    // Fresh from the server, as upstream: the cache may lag a finalize already done.
    let ns: K8sObject;
    try {
      ns = await d.client.get(resources.namespaces, '', name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!isTerminating(ns)) return;
    const remaining = await deleteContent(name);
    // Objects awaiting their finalizers: failing the sync looks again, later and later, as
    // upstream's ResourcesRemainingError does (a requeue that forgot the backoff would spin).
    if (remaining > 0) throw new Error(`namespace ${name}: content remains, waiting for finalizers`);
    const finalize = structuredClone(ns);
    finalize.spec = { ...finalize.spec, finalizers: ns.spec.finalizers.filter((f: string) => f !== FINALIZER_KUBERNETES) };
    let done: K8sObject;
    try {
      done = await d.client.update(resources.namespaces, '', finalize, 'finalize');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if ((done.spec?.finalizers?.length ?? 0) > 0) return;
    try {
      await d.client.delete(resources.namespaces, '', name, { preconditions: { uid: ns.metadata.uid } });
    } catch (err) {
      // Gone already (the finalize removed it), or a new namespace of that name.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  };

  return newQueueController({ name: 'namespace-controller', queue: d.queue, waitFor: [namespaces], sync, log: d.log });
}
