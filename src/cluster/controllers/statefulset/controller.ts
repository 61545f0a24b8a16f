/**
 * The StatefulSet controller (pkg/controller/statefulset/stateful_set.go): level-triggered over
 * the cluster client. Set and pod events enqueue the set; a sync adopts orphan ControllerRevisions
 * and member pods, works out the current and update revisions, moves the pods one step towards
 * the spec (update.ts), writes the status and trims the history. No expectations, as upstream:
 * every pod has a fixed name, so a create repeated from a stale cache is AlreadyExists, not a
 * second pod.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import { claim, getControllerOf } from '../controller-ref.ts';
import { newEventRecorder } from '../events.ts';
import { CONTROLLER_REVISIONS, sortRevisions, type ControllerRevision } from '../history.ts';
import { isPodReady, type Pod } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { isMemberOf, replicasOf } from './identity.ts';
import { PVCS, STATEFUL_SETS } from './resources.ts';
import { getStatefulSetRevisions, truncateHistory } from './revisions.ts';
import { completeRollingUpdate, statusChanged, writeStatus } from './status.ts';
import { updateStatefulSet, type UpdateContext } from './update.ts';

export type StatefulSetControllerDeps = WorkloadControllerDeps;

export const STATEFUL_SET_COMPONENT = 'statefulset-controller';

export function newStatefulSetController(deps: StatefulSetControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const sets = deps.informers.informer<K8sObject>(STATEFUL_SETS);
  const pods = deps.informers.informer<Pod>(PODS);
  const revisions = deps.informers.informer<ControllerRevision>(CONTROLLER_REVISIONS);
  const claims = deps.informers.informer<K8sObject>(PVCS);
  const recorder = newEventRecorder({ client, component: STATEFUL_SET_COMPONENT, now, suffix: eventSuffix(deps.random ?? Math.random), log });
  const ctx: UpdateContext = { client, recorder, claims, now };

  const selectorOf = (set: K8sObject): LabelSelector | undefined => {
    try {
      return selectorFromMetav1(set.spec?.selector);
    } catch {
      return undefined;
    }
  };
  const ownerOf = (pod: Pod): K8sObject | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'StatefulSet') return undefined;
    const set = sets.get(pod.metadata.namespace ?? '', ref.name);
    return set && set.metadata.uid === ref.uid ? set : undefined;
  };
  /** getPodStatefulSets: the sets whose selector matches an orphan. */
  const enqueueMatching = (pod: Pod) => {
    for (const set of sets.byIndex('namespace', pod.metadata.namespace ?? '')) {
      const sel = selectorOf(set);
      if (sel && !sel.empty && sel.matches(pod.metadata.labels)) queue.add(keyOf(set));
    }
  };
  const enqueueOwner = (pod: Pod) => {
    const set = ownerOf(pod);
    if (set) queue.add(keyOf(set));
  };

  pods.addEventHandler({
    add(pod) {
      if (pod.metadata.deletionTimestamp) return enqueueOwner(pod);
      if (getControllerOf(pod)) return enqueueOwner(pod);
      enqueueMatching(pod);
    },
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const oldRef = getControllerOf(old);
      if (oldRef && oldRef.uid !== getControllerOf(cur)?.uid) enqueueOwner(old);
      const set = ownerOf(cur);
      if (set) {
        queue.add(keyOf(set));
        // Availability comes minReadySeconds after readiness, with no event of its own.
        const minReady = set.spec?.minReadySeconds ?? 0;
        if (!isPodReady(old) && isPodReady(cur) && minReady > 0) queue.addAfter(keyOf(set), minReady * 1000);
        return;
      }
      if (!getControllerOf(cur) && (oldRef || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {}))) enqueueMatching(cur);
    },
    delete: enqueueOwner,
  });
  sets.addEventHandler({
    add: (s) => queue.add(keyOf(s)),
    update: (_o, s) => queue.add(keyOf(s)),
    delete: (s) => queue.add(keyOf(s)),
  });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const cached = sets.get(ns, name);
    if (!cached) return;
    const set = structuredClone(cached);
    const selector = selectorOf(set);
    if (!selector) {
      log.error({ key }, `${STATEFUL_SET_COMPONENT}: invalid selector of ${key}`);
      return;
    }
    const owned = sortRevisions(await claim({ client, owner: set, ownerResource: STATEFUL_SETS, selector, resource: CONTROLLER_REVISIONS }, revisions.byIndex('namespace', ns)));
    const members = await claim({ client, owner: set, ownerResource: STATEFUL_SETS, selector, resource: PODS }, pods.byIndex('namespace', ns).filter((p) => isMemberOf(set, p)));
    const revs = await getStatefulSetRevisions(client, set, owned);
    const { status, error } = await updateStatefulSet(ctx, set, revs.current, revs.update, revs.collisionCount, members);
    let firstErr = error;
    completeRollingUpdate(set, status);
    try {
      if (statusChanged(set.status, status)) await writeStatus(client, STATEFUL_SETS, set, status);
    } catch (err) {
      firstErr ??= err;
    }
    try {
      await truncateHistory(client, set, members, owned, [revs.current, revs.update]);
    } catch (err) {
      firstErr ??= err;
    }
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.availableReplicas !== replicasOf(set)) queue.addAfter(key, minReady * 1000);
    if (firstErr !== undefined) throw firstErr;
  };

  return newQueueController({ name: STATEFUL_SET_COMPONENT, queue, waitFor: [sets, pods, revisions, claims], sync, log });
}
