/**
 * rollingUpdate (daemonset/update.go). Without surge: delete old pods (unavailable ones first, then
 * available ones while fewer than maxUnavailable nodes are unavailable) and let manage recreate
 * them at the new revision. With maxSurge: create the new pod beside the old one (right away where
 * the old one is unavailable, else within maxSurge) and delete the old one once the new one is
 * available. Nodes are visited in name order (upstream's map order is random).
 */
import type { K8sObject } from '../../client/types.ts';
import { scaledValue } from '../deployment/math.ts';
import { isPodAvailable, type Pod } from '../pod-util.ts';
import { isPodUpdated, nodeShouldRunDaemonPod, templateGeneration } from './eligibility.ts';
import { allowsSurge, syncNodes, type ManageContext } from './manage.ts';

/** findUpdatedPodsOnNode: at most one new and one old live pod, else ok=false (manage cleans up). */
function findUpdatedPodsOnNode(ds: K8sObject, pods: readonly Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  const gen = templateGeneration(ds);
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, gen)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/** updatedDesiredNodeCounts: maxSurge and maxUnavailable (percentages of the desired nodes, rounded up). */
function desiredCounts(ds: K8sObject, nodes: readonly K8sObject[], nodeToPods: Map<string, Pod[]>): { maxSurge: number; maxUnavailable: number } {
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!nodeToPods.has(node.metadata.name!)) nodeToPods.set(node.metadata.name!, []);
  }
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
  const maxSurge = allowsSurge(ds) ? scaledValue(ru.maxSurge, desired, true) : 0;
  // Neither surge nor unavailability configured: accept one unavailable, as upstream.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export async function rollingUpdate(ctx: ManageContext, ds: K8sObject, nodes: readonly K8sObject[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): Promise<void> {
  const byNode = new Map<string, Pod[]>([...nodeToPods].map(([k, v]) => [k, [...v]]));
  const { maxSurge, maxUnavailable } = desiredCounts(ds, nodes, byNode);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, nowMs);
  const entries = [...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const [, pods] of entries) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        unavailable++;
      } else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (!available(oldPod!)) {
        replacements.push(oldPod!);
        unavailable++;
      } else if (unavailable < maxUnavailable) {
        candidates.push(oldPod!);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return syncNodes(ctx, ds, [...replacements, ...candidates.slice(0, remaining)], [], hash);
  }
  let surged = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const oldToDelete: Pod[] = [];
  for (const [nodeName, pods] of entries) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
    if (!ok) continue;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) allowedNew.push(nodeName);
      else if (surged < maxSurge) candidateNew.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      surged++;
      continue;
    }
    oldToDelete.push(oldPod);
  }
  const remaining = Math.min(Math.max(0, maxSurge - surged), candidateNew.length);
  return syncNodes(ctx, ds, oldToDelete, [...allowedNew, ...candidateNew.slice(0, remaining)], hash);
}
