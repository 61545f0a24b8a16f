/**
 * Scaling, paused Deployments and history cleanup (deployment/sync.go): a change of
 * spec.replicas alone is shared out proportionally over the active ReplicaSets (leftovers to the
 * largest), a paused Deployment only scales, and old ReplicaSets beyond revisionHistoryLimit that
 * are scaled to zero are deleted, lowest revision first.
 */
import type { K8sObject } from '../../client/types.ts';
import { isNotFound } from '../controller-ref.ts';
import { REPLICA_SETS } from '../resources.ts';
import { getCondition, hasProgressDeadline, newCondition, PAUSED_REASON, RESUMED_REASON, setCondition, TIMED_OUT_REASON } from './conditions.ts';
import { scaleAndRecord, scaleReplicaSet, updateDeploymentStatus, type DeploymentContext } from './context.ts';
import { desiredReplicasAnnotation, isRollingUpdate, isSaturated, MAX_INT32, maxSurge, proportion, replicasOf, sumReplicas } from './math.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { byCreation, byRevision, bySizeNewer, bySizeOlder, filterActive } from './replica-sets.ts';
import { calculateStatus, sameStatus } from './status.ts';

/** sync: reconcile a scaling event or a paused Deployment. */
export async function syncScaleOrPaused(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  await scale(ctx, d, newRS, oldRSs);
  if (d.spec?.paused) await cleanupDeployment(ctx, oldRSs, d);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
}

/** syncStatusOnly: a Deployment being deleted only reports. */
export async function syncStatusOnly(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
}

/** isScalingEvent: some active ReplicaSet was sized for another spec.replicas. */
export async function isScalingEvent(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  for (const rs of filterActive([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** checkPausedConditions: Progressing Unknown while paused, so a long pause is no timeout. */
export async function checkPausedConditions(ctx: DeploymentContext, d: K8sObject): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === TIMED_OUT_REASON) return;
  const pausedExists = cond?.reason === PAUSED_REASON;
  let c;
  if (d.spec?.paused && !pausedExists) c = newCondition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused', ctx.now());
  else if (!d.spec?.paused && pausedExists) c = newCondition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed', ctx.now());
  if (!c) return;
  setCondition((d.status ??= {}), c);
  await updateDeploymentStatus(ctx, d);
}

/** FindActiveOrLatest: the one active ReplicaSet, or the newest when none is active. */
function findActiveOrLatest(newRS: K8sObject | undefined, oldRSs: readonly K8sObject[]): K8sObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const all = filterActive([...olds, newRS]);
  if (all.length === 0) return newRS ?? olds[0];
  if (all.length === 1) return all[0];
  return undefined;
}

export async function scale(ctx: DeploymentContext, d: K8sObject, newRS: K8sObject | undefined, oldRSs: readonly K8sObject[]): Promise<void> {
  const want = replicasOf(d);
  const one = findActiveOrLatest(newRS, oldRSs);
  if (one) {
    if (replicasOf(one) !== want) await scaleAndRecord(ctx, one, want, d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await scaleAndRecord(ctx, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(all);
  let op: 'up' | 'down' | undefined;
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs.metadata.name!, replicasOf(rs));
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i]!;
    // The rounding leftovers go to the largest ReplicaSet.
    if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name!, Math.max(0, sizes.get(rs.metadata.name!)! + toAdd - added));
    await scaleReplicaSet(ctx, rs, sizes.get(rs.metadata.name!)!, d, op);
  }
}

/** cleanupDeployment: delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
export async function cleanupDeployment(ctx: DeploymentContext, oldRSs: readonly K8sObject[], d: K8sObject): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit;
  if (typeof limit !== 'number' || limit === MAX_INT32) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    // Never delete one that still has (or may still get) pods.
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
    try {
      await ctx.client.delete(REPLICA_SETS, rs.metadata.namespace ?? '', rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** syncDeploymentStatus: write the status when it changed. */
export async function syncDeploymentStatus(ctx: DeploymentContext, allRSs: readonly (K8sObject | undefined)[], newRS: K8sObject | undefined, d: K8sObject): Promise<void> {
  const s = calculateStatus(allRSs, newRS, d, ctx.now());
  if (sameStatus(d.status, s)) return;
  d.status = s;
  await updateDeploymentStatus(ctx, d);
}
