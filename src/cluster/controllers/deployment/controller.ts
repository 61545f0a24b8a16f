/**
 * The Deployment controller (deployment/deployment_controller.go): Deployment, ReplicaSet and
 * pod events enqueue the owning Deployment; a sync claims the ReplicaSets its selector matches
 * and then scales (a replicas change or a paused Deployment) or rolls out by its strategy.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import { claim, getControllerOf } from '../controller-ref.ts';
import { newEventRecorder } from '../events.ts';
import type { Pod } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { DEPLOYMENTS, keyOf, PODS, REPLICA_SETS, splitKey } from '../resources.ts';
import { updateDeploymentStatus, type DeploymentContext } from './context.ts';
import { rolloutRecreate } from './recreate.ts';
import { rolloutRolling } from './rolling.ts';
import { checkPausedConditions, isScalingEvent, syncScaleOrPaused, syncStatusOnly } from './sync.ts';

export type DeploymentControllerDeps = WorkloadControllerDeps;

const COMPONENT = 'deployment-controller';

export function newDeploymentController(deps: DeploymentControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const deployments = deps.informers.informer<K8sObject>(DEPLOYMENTS);
  const replicaSets = deps.informers.informer<K8sObject>(REPLICA_SETS);
  const pods = deps.informers.informer<Pod>(PODS);
  const recorder = newEventRecorder({ client, component: COMPONENT, now, suffix: eventSuffix(random), log });
  const ctx: DeploymentContext = { client, recorder, now, replicaSets, queue };

  const selectorOf = (d: K8sObject): LabelSelector | undefined => {
    try {
      return selectorFromMetav1(d.spec?.selector);
    } catch {
      return undefined;
    }
  };
  const ownerOf = (rs: K8sObject): K8sObject | undefined => {
    const ref = getControllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = deployments.get(rs.metadata.namespace ?? '', ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  };
  const enqueueOwnerOrMatching = (rs: K8sObject) => {
    const d = ownerOf(rs);
    if (d) return queue.add(keyOf(d));
    if (getControllerOf(rs)) return;
    for (const c of deployments.byIndex('namespace', rs.metadata.namespace ?? '')) {
      const sel = selectorOf(c);
      if (sel && !sel.empty && sel.matches(rs.metadata.labels)) queue.add(keyOf(c));
    }
  };

  deployments.addEventHandler({
    add: (d) => queue.add(keyOf(d)),
    update: (_o, d) => queue.add(keyOf(d)),
    delete: (d) => queue.add(keyOf(d)),
  });
  replicaSets.addEventHandler({
    add: enqueueOwnerOrMatching,
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const oldRef = getControllerOf(old);
      if (oldRef && oldRef.uid !== getControllerOf(cur)?.uid) {
        const d = ownerOf(old);
        if (d) queue.add(keyOf(d));
      }
      enqueueOwnerOrMatching(cur);
    },
    delete(rs) {
      const d = ownerOf(rs);
      if (d) queue.add(keyOf(d));
    },
  });
  // Recreate waits for old pods to go: their deletion is what lets it continue.
  pods.addEventHandler({
    delete(pod) {
      const ref = getControllerOf(pod);
      if (!ref || ref.kind !== 'ReplicaSet') return;
      const rs = replicaSets.get(pod.metadata.namespace ?? '', ref.name);
      const d = rs && rs.metadata.uid === ref.uid ? ownerOf(rs) : undefined;
      if (d && d.spec?.strategy?.type === 'Recreate') queue.add(keyOf(d));
    },
  });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const cached = deployments.get(ns, name);
    if (!cached) return;
    const d = structuredClone(cached);
    const sel = d.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
      recorder.event(d, DEPLOYMENTS, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        await updateDeploymentStatus(ctx, d);
      }
      return;
    }
    const selector = selectorOf(d);
    if (!selector) {
      log.error({ key }, `${COMPONENT}: invalid selector of ${key}`);
      return;
    }
    const rsList = await claim({ client, owner: d, ownerResource: DEPLOYMENTS, selector, resource: REPLICA_SETS }, replicaSets.byIndex('namespace', ns));
    if (d.metadata.deletionTimestamp) return syncStatusOnly(ctx, d, rsList);
    await checkPausedConditions(ctx, d);
    if (d.spec?.paused) return syncScaleOrPaused(ctx, d, rsList);
    if (await isScalingEvent(ctx, d, rsList)) return syncScaleOrPaused(ctx, d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') {
      const matching = pods.byIndex('namespace', ns).filter((p) => selector.matches(p.metadata.labels));
      return rolloutRecreate(ctx, d, rsList, matching);
    }
    return rolloutRolling(ctx, d, rsList);
  };

  return newQueueController({ name: COMPONENT, queue, waitFor: [deployments, replicaSets, pods], sync, log });
}
