/**
 * StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection, on by
 * default upstream): a PersistentVolumeClaim is created with the finalizer
 * kubernetes.io/pvc-protection and a PersistentVolume with kubernetes.io/pv-protection, so neither
 * goes while in use. The controller manager's persistentvolumeclaim-protection-controller removes the claim's once it
 * is being deleted and no scheduled pod uses it; persistentvolume-protection-controller the volume's once it is
 * not Bound (src/cluster/controllers/volume/protection.ts). (VolumeAttributesClass, upstream's
 * third kind here, is beta and off in 1.33.)
 */
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

const FINALIZER: Readonly<Record<string, string>> = Object.freeze({ persistentvolumeclaims: PVC_PROTECTION_FINALIZER, persistentvolumes: PV_PROTECTION_FINALIZER });

export class StorageObjectInUseProtection implements MutatingPlugin {
  readonly name = 'StorageObjectInUseProtection';

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === '' && FINALIZER[a.resource.resource] !== undefined && a.subresource === '' && !!a.object;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const finalizer = FINALIZER[a.resource.resource]!;
    const meta = (a.object!.metadata ??= {});
    const have: unknown[] = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (have.includes(finalizer)) return { allowed: true };
    meta.finalizers = [...have, finalizer];
    return { allowed: true, patches: [have.length ? { op: 'add', path: '/metadata/finalizers/-', value: finalizer } : { op: 'add', path: '/metadata/finalizers', value: [finalizer] }] };
  }
}
