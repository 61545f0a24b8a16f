/**
 * calculateStatus of replica_set_utils.go: the counts a ReplicaSet (or ReplicationController)
 * reports from the pods it owns, and its ReplicaFailure condition from the last create/delete
 * error (reason FailedCreate / FailedDelete, message the error's).
 */
import type { K8sObject } from '../client/types.ts';
import { selectorFromMetav1 } from '../../api/selectors/label-selector.ts';
import { formatTime, isPodAvailable, isPodReady, type Pod } from './pod-util.ts';

export interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: Array<Record<string, any>>;
}

export function calculateReplicaStatus(rs: K8sObject, pods: readonly Pod[], manageErr: unknown, nowMs: number): ReplicaStatus {
  const status: ReplicaStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    observedGeneration: rs.status?.observedGeneration,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions.map((c: object) => ({ ...c }));
  const templateLabels = selectorFromMetav1({ matchLabels: rs.spec?.template?.metadata?.labels ?? {} });
  const minReady = rs.spec?.minReadySeconds ?? 0;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata.labels)) status.fullyLabeledReplicas++;
    if (isPodReady(pod)) {
      status.readyReplicas++;
      if (isPodAvailable(pod, minReady, nowMs)) status.availableReplicas++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageErr && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond = { type: 'ReplicaFailure', status: 'True', lastTransitionTime: formatTime(nowMs), reason, message: errorMessage(manageErr) };
    status.conditions = [...(status.conditions ?? []), cond];
  } else if (!manageErr && failure) {
    status.conditions = status.conditions!.filter((c) => c.type !== 'ReplicaFailure');
    if (status.conditions.length === 0) delete status.conditions;
  }
  return status;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
