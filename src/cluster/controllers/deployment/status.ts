/**
 * The Deployment's status from its ReplicaSets (deployment/sync.go calculateStatus) and the
 * predicates on it (deployment_util.go DeploymentComplete, DeploymentProgressing,
 * DeploymentTimedOut) that `kubectl rollout status` ends up reading.
 */
import type { K8sObject } from '../../client/types.ts';
import { parseTime } from '../pod-util.ts';
import {
  getCondition, hasProgressDeadline, MIN_AVAILABLE_REASON, MIN_UNAVAILABLE_REASON, NEW_RS_AVAILABLE_REASON, newCondition, setCondition, TIMED_OUT_REASON,
} from './conditions.ts';
import { maxUnavailable, replicasOf, sumReplicas, sumStatus } from './math.ts';

export function calculateStatus(allRSs: readonly (K8sObject | undefined)[], newRS: K8sObject | undefined, d: K8sObject, nowMs: number): Record<string, any> {
  const available = sumStatus(allRSs, 'availableReplicas');
  const total = sumReplicas(allRSs);
  const status: Record<string, any> = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = d.status.conditions.map((c: object) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', MIN_AVAILABLE_REASON, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', MIN_UNAVAILABLE_REASON, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** DeploymentComplete: every replica updated and available, and the spec observed. */
export function deploymentComplete(d: K8sObject, s: Record<string, any> | undefined): boolean {
  const n = replicasOf(d);
  return (s?.updatedReplicas ?? 0) === n && (s?.replicas ?? 0) === n && (s?.availableReplicas ?? 0) === n && (s?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available than before. */
export function deploymentProgressing(d: K8sObject, s: Record<string, any>): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress for progressDeadlineSeconds since the condition's lastUpdateTime. */
export function deploymentTimedOut(d: K8sObject, s: Record<string, any>, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = parseTime(c.lastUpdateTime) ?? 0;
  return from + d.spec.progressDeadlineSeconds * 1000 < nowMs;
}

/** Status equality, as reflect.DeepEqual on the two structs. */
export function sameStatus(a: Record<string, any> | undefined, b: Record<string, any>): boolean {
  const norm = (s: Record<string, any> | undefined) => ({
    observedGeneration: s?.observedGeneration ?? 0,
    replicas: s?.replicas ?? 0,
    updatedReplicas: s?.updatedReplicas ?? 0,
    readyReplicas: s?.readyReplicas ?? 0,
    availableReplicas: s?.availableReplicas ?? 0,
    unavailableReplicas: s?.unavailableReplicas ?? 0,
    collisionCount: s?.collisionCount ?? null,
    conditions: s?.conditions ?? [],
  });
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
