/**
 * Deployment conditions (deployment/util/deployment_util.go): reasons, and SetDeploymentCondition,
 * which keeps lastTransitionTime while the status stays the same and leaves a condition with the
 * same status and reason untouched.
 */
import type { K8sObject } from '../../client/types.ts';
import { formatTime } from '../pod-util.ts';
import { MAX_INT32 } from './math.ts';

export const NEW_RS_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const MIN_AVAILABLE_REASON = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE_REASON = 'MinimumReplicasUnavailable';

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = formatTime(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: Record<string, any> | undefined, type: string): DeploymentCondition | undefined {
  return (status?.conditions ?? []).find((c: DeploymentCondition) => c.type === type);
}

export function setCondition(status: Record<string, any>, c: DeploymentCondition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x: DeploymentCondition) => x.type !== c.type), next];
}

export function removeCondition(status: Record<string, any>, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((x: DeploymentCondition) => x.type !== type);
}

/** HasProgressDeadline: set and not the "never" value. */
export function hasProgressDeadline(d: K8sObject): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return typeof s === 'number' && s !== MAX_INT32;
}
