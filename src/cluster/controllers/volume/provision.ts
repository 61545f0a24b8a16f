/**
 * provisionClaimOperation (pv_controller.go): the claim is marked with its class's provisioner
 * (volume.kubernetes.io/storage-provisioner, and the beta annotation); a local-path class is
 * provisioned here as upstream provisions with its in-tree plugins, as volume pvc-<claim uid>
 * pre-bound to the claim; any other provisioner is left to its external provisioner with
 * upstream's ExternalProvisioning event.
 */
import { isAlreadyExists, isNotFound } from '../../client/errors.ts';
import { errorMessage } from '../replica-status.ts';
import { claimEvent, claimEventOnce, claimReference, PVCS, PVS, updateClaimStatus, type BinderContext } from './binder-ops.ts';
import { LOCAL_PATH_PROVISIONER, provisionLocalPath } from './local-path.ts';
import { ANN_BETA_STORAGE_PROVISIONER, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimClass, type PV, type PVC } from './volume-util.ts';

/** getProvisionedVolumeNameForClaim. */
export const provisionedVolumeName = (claim: PVC): string => `pvc-${claim.metadata.uid}`;

async function setClaimProvisioner(ctx: BinderContext, claim: PVC, provisioner: string): Promise<PVC> {
  const ann = claim.metadata.annotations ?? {};
  if (ann[ANN_STORAGE_PROVISIONER] === provisioner && ann[ANN_BETA_STORAGE_PROVISIONER] === provisioner) return claim;
  const next = structuredClone(claim);
  next.metadata.annotations = { ...ann, [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner };
  return ctx.client.update<PVC>(PVCS, next.metadata.namespace ?? '', next);
}

async function withdrawSelectedNode(ctx: BinderContext, claim: PVC): Promise<PVC> {
  if (claim.metadata.annotations?.[ANN_SELECTED_NODE] === undefined) return claim;
  const next = structuredClone(claim);
  delete next.metadata.annotations[ANN_SELECTED_NODE];
  return ctx.client.update<PVC>(PVCS, next.metadata.namespace ?? '', next);
}

export async function provisionClaim(ctx: BinderContext, claim: PVC): Promise<void> {
  const className = claimClass(claim);
  const storageClass = ctx.classes.get('', className);
  if (!storageClass) {
    claimEvent(ctx, claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    await updateClaimStatus(ctx, claim, 'Pending');
    return;
  }
  const provisioner = String(storageClass.provisioner ?? '');
  const marked = await setClaimProvisioner(ctx, claim, provisioner);
  if (provisioner !== LOCAL_PATH_PROVISIONER) {
    claimEventOnce(ctx, marked, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
    await updateClaimStatus(ctx, marked, 'Pending');
    return;
  }
  const pvName = provisionedVolumeName(claim);
  // Made by an earlier sync whose event has not arrived yet: nothing more to do.
  if (ctx.volumes.get('', pvName)) return;
  try {
    await ctx.client.get(PVS, '', pvName);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const nodeName = claim.metadata.annotations?.[ANN_SELECTED_NODE];
  const r = provisionLocalPath({ pvName, claim: marked, storageClass, node: nodeName ? ctx.nodes.get('', nodeName) : undefined, root: ctx.localPathRoot });
  if ('error' in r) {
    // rescheduleProvisioning: the scheduler's PreBind sees the node choice withdrawn, fails the
    // bind and schedules the pod again, rather than waiting for a volume that will not come.
    const rescheduled = await withdrawSelectedNode(ctx, marked);
    claimEvent(ctx, rescheduled, 'Warning', 'ProvisioningFailed', `Failed to provision volume with StorageClass ${JSON.stringify(storageClass.metadata.name)}: ${r.error}`);
    await updateClaimStatus(ctx, rescheduled, 'Pending');
    return;
  }
  const volume: PV = r.volume;
  volume.spec.claimRef = claimReference(marked);
  volume.spec.storageClassName = className;
  volume.metadata.annotations = { [ANN_BOUND_BY_CONTROLLER]: 'yes', [ANN_DYNAMICALLY_PROVISIONED]: LOCAL_PATH_PROVISIONER };
  volume.status = { phase: 'Bound' };
  try {
    await ctx.client.create(PVS, '', volume);
  } catch (err) {
    if (isAlreadyExists(err)) return;
    claimEvent(ctx, marked, 'Warning', 'ProvisioningFailed', `Failed to provision volume with StorageClass ${JSON.stringify(storageClass.metadata.name)}: ${errorMessage(err)}`);
    throw err;
  }
  claimEvent(ctx, marked, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName} using ${LOCAL_PATH_PROVISIONER}`);
}
