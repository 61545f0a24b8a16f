/**
 * Recreate (deployment/recreate.go): scale every old ReplicaSet to zero, wait until none of their
 * pods runs, then create and scale up the new ReplicaSet.
 */
import type { K8sObject } from '../../client/types.ts';
import { getControllerOf } from '../controller-ref.ts';
import type { Pod } from '../pod-util.ts';
import { scaleAndRecord, type DeploymentContext } from './context.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { syncRolloutStatus } from './progress.ts';
import { filterActive } from './replica-sets.ts';
import { reconcileNewReplicaSet } from './rolling.ts';
import { deploymentComplete } from './status.ts';
import { cleanupDeployment } from './sync.ts';
import { sumStatus } from './math.ts';

export async function rolloutRecreate(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[], pods: readonly Pod[]): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  let allRSs = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) if ((await scaleAndRecord(ctx, rs, 0, d)).scaled) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, rsList, pods)) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  await reconcileNewReplicaSet(ctx, allRSs as K8sObject[], newRS!, d);
  if (deploymentComplete(d, d.status)) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRS, d);
}

/** oldPodsRunning: an old ReplicaSet still reports pods, or a pod of one is not finished. */
export function oldPodsRunning(newRS: K8sObject | undefined, oldRSs: readonly K8sObject[], rsList: readonly K8sObject[], pods: readonly Pod[]): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  const owned = new Set(rsList.map((rs) => rs.metadata.uid));
  for (const pod of pods) {
    const uid = getControllerOf(pod)?.uid;
    if (!uid || !owned.has(uid) || uid === newRS?.metadata.uid) continue;
    const phase = pod.status?.phase;
    if (phase !== 'Failed' && phase !== 'Succeeded') return true;
  }
  return false;
}
