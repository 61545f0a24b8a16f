/**
 * StatefulSet status (stateful_set_control.go computeReplicaStatus, completeRollingUpdate,
 * inconsistentStatus; stateful_set_status_updater.go): counts by readiness and revision, the
 * rolling update completed once every replica is updated and ready, written only when it changed.
 */
import type { ApiClient, K8sObject, ResourceRef } from '../../client/types.ts';
import { DEFAULT_RETRY, retryOnConflict } from '../../client/retry.ts';
import type { Pod } from '../pod-util.ts';
import { isCreated, isRunningAndAvailable, isRunningAndReady, isTerminating, podRevision } from './identity.ts';

export interface SetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

export function computeStatus(pods: readonly Pod[], minReadySeconds: number, nowMs: number, currentRevision: string, updateRevision: string) {
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const pod of pods) {
    if (!isCreated(pod)) continue;
    s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, nowMs)) s.availableReplicas++;
    }
    if (isTerminating(pod)) continue;
    const rev = podRevision(pod);
    if (rev === currentRevision) s.currentReplicas++;
    if (rev === updateRevision) s.updatedReplicas++;
  }
  return s;
}

/** completeRollingUpdate: all updated and ready → the update revision becomes the current one. */
export function completeRollingUpdate(set: K8sObject, status: SetStatus): void {
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** inconsistentStatus: the stored status differs, or is of an older generation. */
export function statusChanged(stored: Record<string, any> | undefined, status: Record<string, any>): boolean {
  const s = stored ?? {};
  if (s.observedGeneration === undefined || (status.observedGeneration ?? 0) > s.observedGeneration) return true;
  return Object.keys(status).some((k) => {
    const zero = typeof status[k] === 'string' ? '' : 0;
    return k !== 'observedGeneration' && (s[k] ?? zero) !== (status[k] ?? zero);
  });
}

/**
 * UpdateStatefulSetStatus: the whole status is replaced, under retry.RetryOnConflict(DefaultRetry);
 * after a conflict the object is read again (and left alone if it is another object by now).
 */
export async function writeStatus(client: ApiClient, resource: ResourceRef, obj: K8sObject, status: Record<string, any>): Promise<void> {
  await retryOnConflict(DEFAULT_RETRY, async (attempt) => {
    const cur = attempt === 1 ? obj : await client.get(resource, obj.metadata.namespace ?? '', obj.metadata.name!);
    if (cur.metadata.uid !== obj.metadata.uid) return;
    await client.update(resource, cur.metadata.namespace ?? '', { ...cur, status: { ...cur.status, ...status } }, 'status');
  });
}
