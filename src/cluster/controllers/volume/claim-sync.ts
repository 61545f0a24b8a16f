/**
 * syncClaim (pv_controller.go): an unbound claim finds the best volume and binds, or waits for its
 * first consumer, or is provisioned, or gets the default class (RetroactiveDefaultStorageClass),
 * or stays Pending with FailedBinding; a bound claim keeps its volume bound or is Lost.
 */
import { isNotFound } from '../../client/errors.ts';
import { bind, claimEvent, claimEventOnce, PVCS, updateClaimStatus, updateClaimStatusWithEvent, type BinderContext } from './binder-ops.ts';
import { provisionClaim } from './provision.ts';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, claimClass, defaultClass, findMatchingVolume, isDelayBinding, isDelayBindingProvisioning, isVolumeBoundToClaim, podClaimNames, volumeModeMismatch, type PV, type PVC } from './volume-util.ts';

export async function syncClaim(ctx: BinderContext, claim: PVC): Promise<void> {
  if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) return syncUnboundClaim(ctx, claim);
  return syncBoundClaim(ctx, claim);
}

/** emitEventForUnboundDelayBindingClaim: say which unscheduled pods the claim waits for, if any. */
function waitForConsumerEvent(ctx: BinderContext, claim: PVC): void {
  const ns = claim.metadata.namespace ?? '';
  const waiting = ctx.pods
    .byIndex('namespace', ns)
    .filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && podClaimNames(p).includes(claim.metadata.name!))
    .map((p) => String(p.metadata.name))
    .sort();
  if (waiting.length === 0) return claimEventOnce(ctx, claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
  const message = waiting.length > 1 ? `waiting for pods ${waiting.join(',')} to be scheduled` : `waiting for pod ${waiting[0]} to be scheduled`;
  claimEventOnce(ctx, claim, 'Normal', 'WaitForPodScheduled', message);
}

/** assignDefaultStorageClass: a claim with no storageClassName at all (not "") gets the default class. */
async function assignDefaultClass(ctx: BinderContext, claim: PVC): Promise<boolean> {
  if (claim.spec?.storageClassName !== undefined && claim.spec?.storageClassName !== null) return false;
  const def = defaultClass(ctx.classes.list());
  if (!def) return false;
  const next = structuredClone(claim);
  next.spec = { ...next.spec, storageClassName: def.metadata.name };
  await ctx.client.update(PVCS, next.metadata.namespace ?? '', next);
  return true;
}

async function syncUnboundClaim(ctx: BinderContext, claim: PVC): Promise<void> {
  const classOf = (n: string) => ctx.classes.get('', n);
  if (!claim.spec?.volumeName) {
    const delay = isDelayBinding(claim, classOf);
    const volume = findMatchingVolume(claim, ctx.volumes.list(), undefined, delay);
    if (volume) return bind(ctx, volume, claim);
    if (delay && !isDelayBindingProvisioning(claim)) {
      waitForConsumerEvent(ctx, claim);
    } else if (claimClass(claim) !== '') {
      // The volume made is pre-bound to the claim; its event brings the claim back to bind.
      return provisionClaim(ctx, claim);
    } else if (await assignDefaultClass(ctx, claim)) {
      return;
    } else {
      claimEventOnce(ctx, claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    }
    await updateClaimStatus(ctx, claim, 'Pending');
    return;
  }
  // The user asked for one volume by name.
  const volume = ctx.volumes.get('', claim.spec.volumeName);
  if (!volume) {
    await updateClaimStatus(ctx, claim, 'Pending');
    return;
  }
  if (!volume.spec?.claimRef || isVolumeBoundToClaim(volume, claim)) {
    if (volumeModeMismatch(claim, volume)) {
      claimEvent(ctx, claim, 'Warning', 'VolumeMismatch', 'Cannot bind PersistentVolume to requested PersistentVolumeClaim due to incompatible volumeMode.');
      await updateClaimStatus(ctx, claim, 'Pending');
      return;
    }
    return bind(ctx, volume, claim);
  }
  // The volume is bound to another claim.
  if (claim.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined) {
    // The user pre-bound the claim to a volume someone else has: wait for it to be released.
    await updateClaimStatus(ctx, claim, 'Pending');
    return;
  }
  throw new Error(`Invalid binding of claim ${JSON.stringify(`${claim.metadata.namespace}/${claim.metadata.name}`)} to volume ${JSON.stringify(volume.metadata.name)}: volume already claimed by ${JSON.stringify(`${volume.spec.claimRef.namespace}/${volume.spec.claimRef.name}`)}`);
}

async function syncBoundClaim(ctx: BinderContext, claim: PVC): Promise<void> {
  if (!claim.spec?.volumeName) {
    await updateClaimStatusWithEvent(ctx, claim, 'Lost', 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    return;
  }
  let volume: PV | undefined = ctx.volumes.get('', claim.spec.volumeName);
  if (!volume) {
    // The cache may lag a volume just created: ask the server before calling the data lost.
    try {
      volume = await ctx.client.get<PV>(ctx.volumes.resource, '', claim.spec.volumeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!volume) {
    await updateClaimStatusWithEvent(ctx, claim, 'Lost', 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
    return;
  }
  if (!volume.spec?.claimRef || volume.spec.claimRef.uid === claim.metadata.uid) return bind(ctx, volume, claim);
  await updateClaimStatusWithEvent(ctx, claim, 'Lost', 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
}
