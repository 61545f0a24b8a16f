/**
 * manageReplicas of replica_set.go: create the missing pods from the template in slow-start
 * batches, or delete the surplus in ranking order, recording expectations first so the next sync
 * waits for the watch instead of acting twice on the same gap.
 */
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import { Expectations } from './expectations.ts';
import { getControllerOf, isNotFound, newControllerRef } from './controller-ref.ts';
import type { EventRecorder } from './events.ts';
import { podsToDelete } from './pod-ranking.ts';
import { isPodActive, type Pod } from './pod-util.ts';
import { errorMessage } from './replica-status.ts';
import { keyOf, PODS } from './resources.ts';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE } from './slow-start.ts';

/** Most pods created or deleted in one sync (kube-controller-manager's BurstReplicas). */
export const BURST_REPLICAS = 500;

export interface ManageContext {
  client: ApiClient;
  ownerResource: ResourceRef;
  expectations: Expectations;
  recorder: EventRecorder;
  now: () => number;
  burstReplicas: number;
  /** Pods of every replica set sharing rs's controller (for the "doubled up" rank). */
  relatedPods(rs: K8sObject): Pod[];
}

/** GetPodFromTemplate: the pod a controller creates (generateName `<owner>-`, the controllerRef). */
export function podFromTemplate(owner: K8sObject, ownerResource: ResourceRef): Pod {
  const tmpl = owner.spec?.template ?? {};
  const meta = tmpl.metadata ?? {};
  const name = owner.metadata.name!;
  const metadata: Record<string, any> = {
    generateName: `${name}-`,
    namespace: owner.metadata.namespace,
    ownerReferences: [newControllerRef(owner, ownerResource)],
  };
  if (meta.labels) metadata.labels = { ...meta.labels };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(tmpl.spec ?? {}) };
}

function namespaceTerminating(err: unknown): boolean {
  const causes = (err as { details?: { causes?: Array<{ reason?: string }> } } | null)?.details?.causes;
  return Array.isArray(causes) && causes.some((c) => c?.reason === 'NamespaceTerminating');
}

/** Throws the first create/delete error after acting on everything it could. */
export async function manageReplicas(ctx: ManageContext, rs: K8sObject, pods: readonly Pod[], key: string): Promise<void> {
  const ns = rs.metadata.namespace ?? '';
  const want = rs.spec?.replicas ?? 1;
  const diff = pods.length - want;
  if (diff < 0) {
    const n = Math.min(-diff, ctx.burstReplicas);
    ctx.expectations.expectCreations(key, n);
    const { successes, error } = await slowStartBatch(n, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      try {
        const created = await ctx.client.create(PODS, ns, podFromTemplate(rs, ctx.ownerResource));
        ctx.recorder.event(rs, ctx.ownerResource, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        // A terminating namespace refuses every create: nothing to report or retry.
        if (namespaceTerminating(err)) return;
        ctx.recorder.event(rs, ctx.ownerResource, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
        throw err;
      }
    });
    // The creates that failed or never ran produce no watch event: stop waiting for them.
    for (let i = successes; i < n; i++) ctx.expectations.creationObserved(key);
    if (error !== undefined) throw error;
    return;
  }
  if (diff > 0) {
    const n = Math.min(diff, ctx.burstReplicas);
    const victims = podsToDelete(pods, ctx.relatedPods(rs), n, ctx.now());
    ctx.expectations.expectDeletions(key, victims.map(keyOf));
    const errors: unknown[] = [];
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await ctx.client.delete(PODS, ns, pod.metadata.name!);
          ctx.recorder.event(rs, ctx.ownerResource, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          // No delete event will come for a pod that stays (or was already gone).
          ctx.expectations.deletionObserved(key, keyOf(pod));
          if (isNotFound(err)) return;
          ctx.recorder.event(rs, ctx.ownerResource, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          errors.push(err);
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
  }
}

/** getIndirectlyRelatedPods: active pods of all replica sets with rs's controller (or of rs alone). */
export function indirectlyRelatedPods(rs: K8sObject, sameNamespaceSets: readonly K8sObject[], podsInNamespace: readonly Pod[]): Pod[] {
  const owner = getControllerOf(rs);
  const sets = owner ? sameNamespaceSets.filter((s) => getControllerOf(s)?.uid === owner.uid) : [rs];
  const uids = new Set(sets.map((s) => s.metadata.uid));
  if (!uids.has(rs.metadata.uid)) uids.add(rs.metadata.uid);
  return podsInNamespace.filter((p) => isPodActive(p) && uids.has(getControllerOf(p)?.uid ?? ''));
}
