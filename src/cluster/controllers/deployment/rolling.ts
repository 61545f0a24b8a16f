/**
 * RollingUpdate (deployment/rolling.go): grow the new ReplicaSet up to replicas+maxSurge pods in
 * all, shrink old ones while at least replicas-maxUnavailable stay available — unhealthy old
 * replicas first, then oldest ReplicaSets first — and clean up history once complete.
 */
import type { K8sObject } from '../../client/types.ts';
import { scaleAndRecord, type DeploymentContext } from './context.ts';
import { maxUnavailable, newRSNewReplicas, replicasOf, sumReplicas, sumStatus } from './math.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { syncRolloutStatus } from './progress.ts';
import { byCreation, filterActive } from './replica-sets.ts';
import { deploymentComplete } from './status.ts';
import { cleanupDeployment } from './sync.ts';

export async function rolloutRolling(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[]): Promise<void> {
  const got = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true);
  const newRS = got.newRS!;
  const oldRSs = got.oldRSs;
  const allRSs = [...oldRSs, newRS];
  if (await reconcileNewReplicaSet(ctx, allRSs, newRS, d)) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (await reconcileOldReplicaSets(ctx, allRSs, filterActive(oldRSs), newRS, d)) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (deploymentComplete(d, d.status)) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRS, d);
}

export async function reconcileNewReplicaSet(ctx: DeploymentContext, allRSs: readonly K8sObject[], newRS: K8sObject, d: K8sObject): Promise<boolean> {
  const want = replicasOf(d);
  if (replicasOf(newRS) === want) return false;
  if (replicasOf(newRS) > want) return (await scaleAndRecord(ctx, newRS, want, d)).scaled;
  return (await scaleAndRecord(ctx, newRS, newRSNewReplicas(d, allRSs, newRS), d)).scaled;
}

/** How far old ReplicaSets may shrink now (the arithmetic of reconcileOldReplicaSets). */
export function maxScaledDown(allRSs: readonly K8sObject[], newRS: K8sObject, d: K8sObject): number {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  return sumReplicas(allRSs) - minAvailable - newUnavailable;
}

async function reconcileOldReplicaSets(ctx: DeploymentContext, allRSs: readonly K8sObject[], oldRSs: K8sObject[], newRS: K8sObject, d: K8sObject): Promise<boolean> {
  if (sumReplicas(oldRSs) === 0) return false;
  const limit = maxScaledDown(allRSs, newRS, d);
  if (limit <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(ctx, oldRSs, d, limit);
  const scaledDown = await scaleDownOldForRollingUpdate(ctx, [...oldRSs, newRS], oldRSs, d);
  return cleaned + scaledDown > 0;
}

/** cleanupUnhealthyReplicas: first drop old replicas that are not available anyway. */
async function cleanupUnhealthyReplicas(ctx: DeploymentContext, oldRSs: K8sObject[], d: K8sObject, maxCleanup: number): Promise<number> {
  oldRSs.sort(byCreation);
  let total = 0;
  for (let i = 0; i < oldRSs.length; i++) {
    if (total >= maxCleanup) break;
    const rs = oldRSs[i]!;
    const n = replicasOf(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (n === 0 || n === available) continue;
    const down = Math.min(maxCleanup - total, n - available);
    if (n - down > n) throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${n} -> ${n - down}`);
    oldRSs[i] = (await scaleAndRecord(ctx, rs, n - down, d)).rs;
    total += down;
  }
  return total;
}

/** scaleDownOldReplicaSetsForRollingUpdate: shrink oldest first while availability allows. */
async function scaleDownOldForRollingUpdate(ctx: DeploymentContext, allRSs: readonly K8sObject[], oldRSs: K8sObject[], d: K8sObject): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = sumStatus(allRSs, 'availableReplicas');
  if (available <= minAvailable) return 0;
  oldRSs.sort(byCreation);
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of oldRSs) {
    if (total >= budget) break;
    const n = replicasOf(rs);
    if (n === 0) continue;
    const down = Math.min(n, budget - total);
    await scaleAndRecord(ctx, rs, n - down, d);
    total += down;
  }
  return total;
}
