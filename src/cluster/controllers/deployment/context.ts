/**
 * What every step of a Deployment sync shares: the client, the recorder, the clock and the cache
 * of ReplicaSets, plus the writes the steps have in common (scaleReplicaSet, UpdateStatus).
 */
import type { ApiClient, Informer, K8sObject, WorkQueue } from '../../client/types.ts';
import type { EventRecorder } from '../events.ts';
import { DEPLOYMENTS, REPLICA_SETS } from '../resources.ts';
import { maxSurge, replicasOf, setReplicasAnnotations } from './math.ts';

export interface DeploymentContext {
  client: ApiClient;
  recorder: EventRecorder;
  now: () => number;
  replicaSets: Informer<K8sObject>;
  queue: WorkQueue;
}

/** scaleReplicaSet: set the size and replica annotations; an event when the size changed. */
export async function scaleReplicaSet(ctx: DeploymentContext, rs: K8sObject, newScale: number, d: K8sObject, operation?: 'up' | 'down'): Promise<{ scaled: boolean; rs: K8sObject }> {
  const sizeNeedsUpdate = replicasOf(rs) !== newScale;
  const copy = structuredClone(rs);
  const annotationsNeedUpdate = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
  if (!sizeNeedsUpdate && !annotationsNeedUpdate) return { scaled: false, rs };
  const oldScale = replicasOf(rs);
  copy.spec = { ...copy.spec, replicas: newScale };
  const updated = await ctx.client.update(REPLICA_SETS, rs.metadata.namespace ?? '', copy);
  if (sizeNeedsUpdate) {
    const op = operation ?? (oldScale < newScale ? 'up' : 'down');
    ctx.recorder.event(d, DEPLOYMENTS, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
  }
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/** scaleReplicaSetAndRecordEvent. */
export async function scaleAndRecord(ctx: DeploymentContext, rs: K8sObject, newScale: number, d: K8sObject): Promise<{ scaled: boolean; rs: K8sObject }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(ctx, rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');
}

/** UpdateStatus of the Deployment (annotations go along: the revision is written this way). */
export async function updateDeploymentStatus(ctx: DeploymentContext, d: K8sObject): Promise<K8sObject> {
  let updated = await ctx.client.update(DEPLOYMENTS, d.metadata.namespace ?? '', d, 'status');
  // Upstream's status strategy keeps annotation changes (the revision travels this way); a server
  // whose status subresource drops them gets them through the main resource instead.
  const want = d.metadata.annotations ?? {};
  if (JSON.stringify(updated.metadata.annotations ?? {}) !== JSON.stringify(want)) {
    updated = await ctx.client.update(DEPLOYMENTS, d.metadata.namespace ?? '', { ...updated, metadata: { ...updated.metadata, annotations: want } });
  }
  // Later steps of the same sync work on the written object (its resourceVersion).
  d.metadata = structuredClone(updated.metadata);
  return updated;
}
