/**
 * getNewReplicaSet / getAllReplicaSetsAndSyncRevision (deployment/sync.go): find the ReplicaSet
 * running the Deployment's template and bring its revision and annotations up to date, or create
 * it as `<deployment>-<pod-template-hash>` (a name taken by another object bumps
 * status.collisionCount, so the next hash differs).
 */
import type { K8sObject } from '../../client/types.ts';
import { getControllerOf, newControllerRef } from '../controller-ref.ts';
import { errorMessage } from '../replica-status.ts';
import { DEPLOYMENTS, REPLICA_SETS } from '../resources.ts';
import { FAILED_RS_CREATE_REASON, FOUND_NEW_RS_REASON, getCondition, hasProgressDeadline, NEW_RS_REASON, newCondition, setCondition } from './conditions.ts';
import { updateDeploymentStatus, type DeploymentContext } from './context.ts';
import { computeHash } from './hash.ts';
import { newRSNewReplicas } from './math.ts';
import {
  equalIgnoreHash, findNewReplicaSet, findOldReplicaSets, maxRevision, POD_TEMPLATE_HASH_LABEL, setDeploymentRevision, setNewReplicaSetAnnotations,
} from './replica-sets.ts';

export interface ReplicaSetsOfDeployment {
  newRS: K8sObject | undefined;
  oldRSs: K8sObject[];
}

export async function getAllReplicaSetsAndSyncRevision(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[], create: boolean): Promise<ReplicaSetsOfDeployment> {
  const oldRSs = findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(ctx, d, rsList, oldRSs, create);
  return { newRS, oldRSs };
}

async function getNewReplicaSet(ctx: DeploymentContext, d: K8sObject, rsList: readonly K8sObject[], oldRSs: readonly K8sObject[], create: boolean): Promise<K8sObject | undefined> {
  const ns = d.metadata.namespace ?? '';
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  if (existing) {
    const copy = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = d.spec?.minReadySeconds ?? 0;
    if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
      copy.spec = { ...copy.spec, minReadySeconds: minReady };
      return ctx.client.update(REPLICA_SETS, ns, copy);
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? newRevision);
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      setCondition((d.status ??= {}), newCondition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${copy.metadata.name}"`, ctx.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(ctx, d);
    return copy;
  }
  if (!create) return undefined;

  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeHash(template, d.status?.collisionCount);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const rs: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${d.metadata.name}-${hash}`, namespace: ns, ownerReferences: [newControllerRef(d, DEPLOYMENTS)], labels: template.metadata.labels },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec.replicas = count;
  setNewReplicaSetAnnotations(d, rs, newRevision, false);

  let created: K8sObject;
  let alreadyExists = false;
  try {
    created = await ctx.client.create(REPLICA_SETS, ns, rs);
  } catch (err) {
    if ((err as { code?: number }).code === 409 && (err as { reason?: string }).reason === 'AlreadyExists') {
      const found = ctx.replicaSets.get(ns, rs.metadata.name!) ?? (await ctx.client.get(REPLICA_SETS, ns, rs.metadata.name!));
      const ref = getControllerOf(found);
      if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
        created = found;
        alreadyExists = true;
      } else {
        // A hash collision: the next sync hashes with a higher collision count.
        d.status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        await updateDeploymentStatus(ctx, d).catch(() => undefined);
        throw err;
      }
    } else {
      const terminating = (err as { details?: { causes?: Array<{ reason?: string }> } }).details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
      if (terminating) throw err;
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${errorMessage(err)}`;
      if (hasProgressDeadline(d)) {
        setCondition((d.status ??= {}), newCondition('Progressing', 'False', FAILED_RS_CREATE_REASON, msg, ctx.now()));
        await updateDeploymentStatus(ctx, d).catch(() => undefined);
      }
      ctx.recorder.event(d, DEPLOYMENTS, 'Warning', FAILED_RS_CREATE_REASON, msg);
      throw err;
    }
  }
  if (!alreadyExists && count > 0) {
    ctx.recorder.event(d, DEPLOYMENTS, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${count}`);
  }
  let needsUpdate = setDeploymentRevision(d, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition((d.status ??= {}), newCondition('Progressing', 'True', NEW_RS_REASON, `Created new replica set "${created.metadata.name}"`, ctx.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(ctx, d);
  return created;
}
