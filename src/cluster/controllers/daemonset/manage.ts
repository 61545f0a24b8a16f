/**
 * manage and syncNodes (daemon_controller.go): per node, create the missing daemon pod, delete
 * pods that must not stay (untolerated NoExecute taint, no longer selected, finished, duplicates)
 * and pods aimed at a node that no longer exists; creates go in slow-start batches with
 * expectations recorded first, so a sync never creates twice for one gap.
 */
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { isNotFound } from '../../client/errors.ts';
import type { EventRecorder } from '../events.ts';
import type { Expectations } from '../expectations.ts';
import type { Pod } from '../pod-util.ts';
import { podFromTemplate } from '../replica-manage.ts';
import { errorMessage } from '../replica-status.ts';
import { keyOf, PODS } from '../resources.ts';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE } from '../slow-start.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history.ts';
import { nodeShouldRunDaemonPod, podTemplate, withNodeNameAffinity } from './eligibility.ts';
import { DAEMON_SETS } from './resources.ts';

/** kube-controller-manager's DaemonSet BurstReplicas. */
export const DAEMON_BURST_REPLICAS = 250;

export const expectationsSatisfied = (ctx: ManageContext, key: string): boolean => ctx.creations.satisfied(key) && ctx.deletions.satisfied(key);

export interface ManageContext {
  client: ApiClient;
  recorder: EventRecorder;
  /**
   * Creations and deletions are awaited apart: one sync may do both (upstream's SetExpectations),
   * and Expectations records one kind per key.
   */
  creations: Expectations;
  deletions: Expectations;
  burstReplicas: number;
}

/** Oldest first; among equal times, a running pod before a pending one (podByCreationTimestampAndPhase). */
export function byCreationAndPhase(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ra = a.status?.phase === 'Running' ? 0 : 1;
  const rb = b.status?.phase === 'Running' ? 0 : 1;
  if (ra !== rb) return ra - rb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

export const allowsSurge = (ds: K8sObject): boolean => {
  const ru = ds.spec?.updateStrategy;
  return (ru?.type ?? 'RollingUpdate') === 'RollingUpdate' && ru?.rollingUpdate?.maxSurge !== undefined && ru.rollingUpdate.maxSurge !== 0 && ru.rollingUpdate.maxSurge !== '0%';
};

/** podsShouldBeOnNode: the node names that need a pod, and the pods to delete on this node. */
function podsShouldBeOnNode(node: K8sObject, ds: K8sObject, daemonPods: readonly Pod[] | undefined, hash: string, needing: string[], toDelete: Pod[]): void {
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  if (shouldRun && !daemonPods) {
    needing.push(node.metadata.name!);
    return;
  }
  if (!daemonPods) return;
  if (!shouldContinueRunning) {
    for (const p of daemonPods) if (!p.metadata.deletionTimestamp) toDelete.push(p);
    return;
  }
  const running: Pod[] = [];
  for (const p of daemonPods) {
    if (p.metadata.deletionTimestamp) continue;
    // A finished daemon pod is replaced: delete it and the next sync creates a new one.
    if (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') toDelete.push(p);
    else running.push(p);
  }
  running.sort(byCreationAndPhase);
  if (!allowsSurge(ds)) {
    toDelete.push(...running.slice(1));
    return;
  }
  // With surge, the oldest updated and the oldest old pod may both stay; anything else goes.
  let keptNew = false;
  let keptOld = false;
  for (const p of running) {
    const updated = p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
    if (updated && !keptNew) keptNew = true;
    else if (!updated && !keptOld) keptOld = true;
    else toDelete.push(p);
  }
}

/** manage: returns what syncNodes should do. `nodeToPods` maps node names to the set's pods there. */
export function plan(ds: K8sObject, nodes: readonly K8sObject[], nodeToPods: Map<string, Pod[]>, hash: string): { needing: string[]; toDelete: Pod[] } {
  const needing: string[] = [];
  const toDelete: Pod[] = [];
  for (const node of nodes) podsShouldBeOnNode(node, ds, nodeToPods.get(node.metadata.name!), hash, needing, toDelete);
  // getUnscheduledPodsWithoutNode: unbound pods aimed at a node that is gone.
  const known = new Set(nodes.map((n) => n.metadata.name));
  for (const [node, pods] of nodeToPods) {
    if (known.has(node)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) toDelete.push(p);
  }
  return { needing, toDelete };
}

/** syncNodes: deletes and creates (capped at burstReplicas each), recording expectations first. */
export async function syncNodes(ctx: ManageContext, ds: K8sObject, toDelete: readonly Pod[], needing: readonly string[], hash: string): Promise<void> {
  const key = keyOf(ds);
  const ns = ds.metadata.namespace ?? '';
  const creates = needing.slice(0, ctx.burstReplicas);
  const deletes = toDelete.slice(0, ctx.burstReplicas);
  ctx.creations.expectCreations(key, creates.length);
  ctx.deletions.expectDeletions(key, deletes.map(keyOf));
  const errors: unknown[] = [];
  const template = podTemplate(ds, hash);
  let next = 0;
  const { successes, error } = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
    const nodeName = creates[next++]!;
    const t = structuredClone(template);
    t.spec.affinity = withNodeNameAffinity(t.spec.affinity, nodeName);
    const pod = podFromTemplate({ ...ds, spec: { ...ds.spec, template: t } }, DAEMON_SETS);
    try {
      const created = await ctx.client.create(PODS, ns, pod);
      ctx.recorder.event(ds, DAEMON_SETS, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      ctx.recorder.event(ds, DAEMON_SETS, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  });
  // Creates that failed or never ran bring no watch event.
  for (let i = successes; i < creates.length; i++) ctx.creations.creationObserved(key);
  if (error !== undefined) errors.push(error);
  await Promise.all(
    deletes.map(async (pod) => {
      try {
        await ctx.client.delete(PODS, ns, pod.metadata.name!);
        ctx.recorder.event(ds, DAEMON_SETS, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        ctx.deletions.deletionObserved(key, keyOf(pod));
        if (isNotFound(err)) return;
        ctx.recorder.event(ds, DAEMON_SETS, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
        errors.push(err);
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}
