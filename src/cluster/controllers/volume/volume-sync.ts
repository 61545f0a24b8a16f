/**
 * syncVolume (pv_controller.go): a volume without a claim is Available; one whose claim is gone
 * is Released and reclaimed by its policy (Retain keeps it, Delete deletes what this controller
 * provisioned and leaves other provisioners' volumes to them); one whose claim has not caught up
 * sends the claim to be synced; one its claim left for another volume is unbound or, if
 * provisioned for that claim, released.
 */
import { isNotFound } from '../../client/errors.ts';
import { PVCS, PVS, unbindVolume, updateVolumePhase, updateVolumePhaseWithEvent, volumeEvent, type BinderContext } from './binder-ops.ts';
import { LOCAL_PATH_PROVISIONER, removeLocalPathDirectory } from './local-path.ts';
import { ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, volumeModeMismatch, type PV, type PVC } from './volume-util.ts';

async function liveClaim(ctx: BinderContext, ns: string, name: string): Promise<PVC | undefined> {
  try {
    return await ctx.client.get<PVC>(PVCS, ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function syncVolume(ctx: BinderContext, volume: PV): Promise<void> {
  const ref = volume.spec?.claimRef;
  if (!ref) {
    await updateVolumePhase(ctx, volume, 'Available');
    return;
  }
  // Pre-bound by a user to a claim by name only: it waits for that claim.
  if (!ref.uid) {
    await updateVolumePhase(ctx, volume, 'Available');
    return;
  }
  let claim = ctx.claims.get(ref.namespace ?? '', ref.name ?? '');
  // Never release a volume on a cache that may lag: a claim not cached is looked up on the server.
  if (!claim && volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') claim = await liveClaim(ctx, ref.namespace ?? '', ref.name ?? '');
  if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
  if (!claim) {
    let released = volume;
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') released = await updateVolumePhase(ctx, volume, 'Released');
    await reclaimVolume(ctx, released);
    return;
  }
  if (!claim.spec?.volumeName) {
    if (volumeModeMismatch(claim, volume)) {
      volumeEvent(ctx, volume, 'Warning', 'VolumeMismatch', 'Cannot bind PersistentVolume to requested PersistentVolumeClaim due to incompatible volumeMode.');
      return;
    }
    // The volume is bound, the claim is not yet: the claim's sync finishes the binding.
    ctx.enqueueClaim(`${claim.metadata.namespace}/${claim.metadata.name}`);
    return;
  }
  if (claim.spec.volumeName === volume.metadata.name) {
    await updateVolumePhase(ctx, volume, 'Bound');
    return;
  }
  // The claim is bound to another volume.
  if (volume.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    // Provisioned for a claim that bound elsewhere: nobody will use it.
    const released = volume.status?.phase === 'Released' ? volume : await updateVolumePhase(ctx, volume, 'Released');
    await reclaimVolume(ctx, released);
    return;
  }
  if (volume.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) await unbindVolume(ctx, volume);
}

/** reclaimVolume: Retain leaves the volume Released; Delete deletes it if its deleter is this controller. */
async function reclaimVolume(ctx: BinderContext, volume: PV): Promise<void> {
  const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return;
  if (policy === 'Recycle') {
    await updateVolumePhaseWithEvent(ctx, volume, 'Failed', 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
    return;
  }
  if (policy !== 'Delete') {
    await updateVolumePhaseWithEvent(ctx, volume, 'Failed', 'Warning', 'VolumeUnknownReclaimPolicy', 'Volume has unrecognized PersistentVolumeReclaimPolicy');
    return;
  }
  const provisionedBy = volume.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
  if (provisionedBy !== undefined && provisionedBy !== LOCAL_PATH_PROVISIONER) return; // its external provisioner deletes it
  if (provisionedBy === undefined) {
    await updateVolumePhaseWithEvent(ctx, volume, 'Failed', 'Warning', 'VolumeFailedDelete', `error getting deleter volume plugin for volume "${volume.metadata.name}": no deletable volume plugin matched`);
    return;
  }
  // deleteVolumeOperation: read the volume again from the server, and delete only if still released.
  let fresh: PV;
  try {
    fresh = await ctx.client.get<PV>(PVS, '', volume.metadata.name!);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const ref = fresh.spec?.claimRef;
  if (ref?.uid) {
    const claim = await liveClaim(ctx, ref.namespace ?? '', ref.name ?? '');
    if (claim && claim.metadata.uid === ref.uid && claim.spec?.volumeName === fresh.metadata.name) return;
  }
  // Its directory on the node goes first (upstream's provisioner runs a helper pod there): a volume
  // whose data could not be removed stays, and is tried again.
  await removeLocalPathDirectory(ctx, fresh);
  try {
    await ctx.client.delete(PVS, '', fresh.metadata.name!, { preconditions: { uid: fresh.metadata.uid } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
