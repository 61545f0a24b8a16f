/**
 * The ReplicaSet controller (pkg/controller/replicaset/replica_set.go), also run for
 * ReplicationControllers (replication.ts): keeps spec.replicas pods that match the selector and
 * carry its controllerRef, and reports their counts in status. Level-triggered: pod and owner
 * events only enqueue the owner's key; the sync reads the informer cache and writes through the
 * controller's own ApiClient, so running it twice changes nothing more.
 */
import type { Controller, K8sObject, ResourceRef } from '../client/types.ts';
import { retryOnConflict, type Backoff } from '../client/retry.ts';
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import { claim, getControllerOf } from './controller-ref.ts';
import { newEventRecorder } from './events.ts';
import { Expectations } from './expectations.ts';
import { isPodActive, isPodReady, type Pod } from './pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from './queue-controller.ts';
import { BURST_REPLICAS, indirectlyRelatedPods, manageReplicas, type ManageContext } from './replica-manage.ts';
import { calculateReplicaStatus, type ReplicaStatus } from './replica-status.ts';
import { keyOf, PODS, REPLICA_SETS, splitKey } from './resources.ts';

/** updateReplicaSetStatus writes twice at most (statusUpdateRetries = 1), the second at once. */
const STATUS_UPDATE_RETRY: Backoff = Object.freeze({ steps: 2, durationMs: 0, factor: 1, jitter: 0 });

export interface ReplicaControllerDeps extends WorkloadControllerDeps {
  burstReplicas?: number;
}

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaKind {
  resource: ResourceRef;
  /** Controller and event source name. */
  component: string;
  selector(obj: K8sObject): LabelSelector;
}

export const REPLICA_SET_KIND: ReplicaKind = {
  resource: REPLICA_SETS,
  component: 'replicaset-controller',
  selector: (rs) => selectorFromMetav1(rs.spec?.selector),
};

export function newReplicaSetController(deps: ReplicaControllerDeps): Controller {
  return newReplicaController(deps, REPLICA_SET_KIND);
}

export function newReplicaController(deps: ReplicaControllerDeps, kind: ReplicaKind): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const owners = deps.informers.informer<K8sObject>(kind.resource);
  const pods = deps.informers.informer<Pod>(PODS);
  const expectations = new Expectations(now);
  const recorder = newEventRecorder({ client, component: kind.component, now, suffix: eventSuffix(random), log });
  const manage: ManageContext = {
    client,
    ownerResource: kind.resource,
    expectations,
    recorder,
    now,
    burstReplicas: deps.burstReplicas ?? BURST_REPLICAS,
    relatedPods: (rs) => indirectlyRelatedPods(rs, owners.byIndex('namespace', rs.metadata.namespace ?? ''), pods.byIndex('namespace', rs.metadata.namespace ?? '')),
  };

  const selectorOf = (o: K8sObject): LabelSelector | undefined => {
    try {
      return kind.selector(o);
    } catch {
      return undefined;
    }
  };
  /** resolveControllerRef: the owner named by a controllerRef, if it is still that object. */
  const ownerOf = (pod: Pod): K8sObject | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== kind.resource.kind) return undefined;
    const o = owners.get(pod.metadata.namespace ?? '', ref.name);
    return o && o.metadata.uid === ref.uid ? o : undefined;
  };
  /** getPodReplicaSets: owners whose selector matches an orphan. */
  const matchingOwners = (pod: Pod): K8sObject[] =>
    owners.byIndex('namespace', pod.metadata.namespace ?? '').filter((o) => {
      const sel = selectorOf(o);
      return !!sel && !sel.empty && sel.matches(pod.metadata.labels);
    });

  const enqueueOrphan = (pod: Pod) => {
    for (const o of matchingOwners(pod)) queue.add(keyOf(o));
  };

  const podDeleted = (pod: Pod) => {
    const o = ownerOf(pod);
    if (!o) return;
    const key = keyOf(o);
    expectations.deletionObserved(key, keyOf(pod));
    queue.add(key);
  };

  pods.addEventHandler({
    add(pod) {
      // A pod that is already being deleted when first seen counts as deleted (restart, relist).
      if (pod.metadata.deletionTimestamp) return podDeleted(pod);
      const o = ownerOf(pod);
      if (o) {
        const key = keyOf(o);
        expectations.creationObserved(key);
        queue.add(key);
        return;
      }
      if (!getControllerOf(pod)) enqueueOrphan(pod);
    },
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
      if (cur.metadata.deletionTimestamp) {
        // Graceful deletion starts: the pod no longer counts, so the owner can replace it now.
        podDeleted(cur);
        if (labelsChanged) podDeleted(old);
        return;
      }
      const oldRef = getControllerOf(old);
      const curRef = getControllerOf(cur);
      if (oldRef && oldRef.uid !== curRef?.uid) {
        const o = ownerOf(old);
        if (o) queue.add(keyOf(o));
      }
      const o = ownerOf(cur);
      if (o) {
        const key = keyOf(o);
        queue.add(key);
        // Availability comes minReadySeconds after readiness, with no event of its own.
        const minReady = o.spec?.minReadySeconds ?? 0;
        if (!isPodReady(old) && isPodReady(cur) && minReady > 0) queue.addAfter(key, minReady * 1000 + 1000);
        return;
      }
      if (!curRef && (labelsChanged || oldRef)) enqueueOrphan(cur);
    },
    delete: podDeleted,
  });
  owners.addEventHandler({
    add: (o) => queue.add(keyOf(o)),
    update: (_old, cur) => queue.add(keyOf(cur)),
    delete(o) {
      const key = keyOf(o);
      expectations.delete(key);
      queue.add(key);
    },
  });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const rs = owners.get(ns, name);
    if (!rs) {
      expectations.delete(key);
      return;
    }
    const needsSync = expectations.satisfied(key);
    const selector = selectorOf(rs);
    // An invalid selector matches nothing; validation keeps such objects out, so only log.
    if (!selector) {
      log.error({ key }, `${kind.component}: invalid selector of ${key}`);
      return;
    }
    const active = pods.byIndex('namespace', ns).filter(isPodActive);
    const owned = await claim({ client, owner: rs, ownerResource: kind.resource, selector, resource: PODS }, active);
    let manageErr: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await manageReplicas(manage, rs, owned, key);
      } catch (err) {
        manageErr = err ?? new Error('unknown error');
      }
    }
    const status = calculateReplicaStatus(rs, owned, manageErr, now());
    status.observedGeneration = rs.metadata.generation;
    const updated = await updateStatus(rs, status);
    const want = rs.spec?.replicas ?? 1;
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (!manageErr && minReady > 0 && updated.status?.readyReplicas === want && updated.status?.availableReplicas !== want) {
      queue.addAfter(key, minReady * 1000);
    }
    if (manageErr) throw manageErr;
  };

  /** updateReplicaSetStatus: write only a changed status; after a conflict, once more on a fresh read (statusUpdateRetries = 1, no pause). */
  const updateStatus = (rs: K8sObject, status: ReplicaStatus): Promise<K8sObject> =>
    retryOnConflict(STATUS_UPDATE_RETRY, async (attempt) => {
      const cur = attempt === 1 ? rs : await client.get(kind.resource, rs.metadata.namespace ?? '', rs.metadata.name!);
      if (sameStatus(cur.status, status) && cur.status?.observedGeneration === cur.metadata.generation) return cur;
      return client.update(kind.resource, cur.metadata.namespace ?? '', { ...cur, status: { ...status, observedGeneration: cur.metadata.generation } }, 'status');
    });

  return newQueueController({ name: kind.component, queue, waitFor: [owners, pods], sync, log });
}

function sameStatus(a: Record<string, any> | undefined, b: ReplicaStatus): boolean {
  const s = a ?? {};
  return (
    (s.replicas ?? 0) === b.replicas &&
    (s.fullyLabeledReplicas ?? 0) === b.fullyLabeledReplicas &&
    (s.readyReplicas ?? 0) === b.readyReplicas &&
    (s.availableReplicas ?? 0) === b.availableReplicas &&
    s.observedGeneration === b.observedGeneration &&
    JSON.stringify(s.conditions ?? []) === JSON.stringify(b.conditions ?? [])
  );
}
