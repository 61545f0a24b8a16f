/**
 * syncRolloutStatus (deployment/progress.go): status plus the Progressing condition during a
 * rollout (ReplicaSetUpdated while it moves, NewReplicaSetAvailable when done,
 * ProgressDeadlineExceeded when stuck) and the ReplicaSets' ReplicaFailure; a stuck rollout is
 * looked at again when its deadline passes.
 */
import type { K8sObject } from '../../client/types.ts';
import { keyOf } from '../resources.ts';
import {
  getCondition, hasProgressDeadline, NEW_RS_AVAILABLE_REASON, newCondition, removeCondition, RS_UPDATED_REASON, setCondition, TIMED_OUT_REASON,
  type DeploymentCondition,
} from './conditions.ts';
import { updateDeploymentStatus, type DeploymentContext } from './context.ts';
import { calculateStatus, deploymentComplete, deploymentProgressing, deploymentTimedOut, sameStatus } from './status.ts';
import { parseTime } from '../pod-util.ts';

export async function syncRolloutStatus(ctx: DeploymentContext, allRSs: readonly (K8sObject | undefined)[], newRS: K8sObject | undefined, d: K8sObject): Promise<void> {
  const now = ctx.now();
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === NEW_RS_AVAILABLE_REASON;
  if (hasProgressDeadline(d) && !complete) {
    const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, `${what} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, s)) {
      // Progress moves lastUpdateTime even with the same reason, so this bypasses setCondition's no-op.
      const c = newCondition('Progressing', 'True', RS_UPDATED_REASON, `${what} is progressing.`, now);
      if (cur) {
        if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, 'Progressing');
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, now)) {
      setCondition(s, newCondition('Progressing', 'False', TIMED_OUT_REASON, `${what} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(s, failure);
  else removeCondition(s, 'ReplicaFailure');
  if (s.conditions?.length === 0) delete s.conditions;
  if (sameStatus(d.status, s)) {
    requeueStuck(ctx, d, s, now);
    return;
  }
  d.status = s;
  await updateDeploymentStatus(ctx, d);
}

/** getReplicaFailures: the new ReplicaSet's ReplicaFailure first, then the old ones'. */
function replicaFailure(allRSs: readonly (K8sObject | undefined)[], newRS: K8sObject | undefined): DeploymentCondition | undefined {
  const ordered = newRS ? [newRS, ...allRSs.filter((r) => r && r.metadata.uid !== newRS.metadata.uid)] : allRSs;
  for (const rs of ordered) {
    const c = (rs?.status?.conditions ?? []).find((x: { type: string }) => x.type === 'ReplicaFailure');
    if (c) return { type: 'ReplicaFailure', status: c.status, reason: c.reason, message: c.message, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime };
  }
  return undefined;
}

/** requeueStuckDeployment: look again when the progress deadline would pass. */
function requeueStuck(ctx: DeploymentContext, d: K8sObject, s: Record<string, any>, now: number): void {
  const cur = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cur || deploymentComplete(d, s) || cur.reason === TIMED_OUT_REASON) return;
  const after = (parseTime(cur.lastUpdateTime) ?? 0) + d.spec.progressDeadlineSeconds * 1000 - now;
  if (after < 1000) ctx.queue.addRateLimited(keyOf(d));
  else ctx.queue.addAfter(keyOf(d), after + 1000);
}
