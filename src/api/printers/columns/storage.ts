/** storage.k8s.io/v1 kinds, after upstream's printers.go. */
import { since } from '../duration.ts';
import { arr, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, NAME } from './meta.ts';
import { lazyPrinter, protoDoc } from './proto-docs.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);
const boolOr = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

/** storageutil.IsDefaultAnnotation: the GA annotation or the beta one, "true". */
function isDefaultClass(o: Obj): boolean {
  const a = obj(obj(o.metadata).annotations);
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export const storageClassPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Provisioner', 'string', protoDoc('storage.v1.StorageClass', 'provisioner')),
    column('ReclaimPolicy', 'string', protoDoc('storage.v1.StorageClass', 'reclaimPolicy')),
    column('VolumeBindingMode', 'string', protoDoc('storage.v1.StorageClass', 'volumeBindingMode')),
    column('AllowVolumeExpansion', 'string', protoDoc('storage.v1.StorageClass', 'allowVolumeExpansion')),
    AGE,
  ],
  (o, now) => [
    isDefaultClass(o) ? `${name(o)} (default)` : name(o),
    str(o.provisioner),
    str(o.reclaimPolicy) || 'Delete',
    str(o.volumeBindingMode) || 'Immediate',
    boolOr(o.allowVolumeExpansion, false),
    age(o, now),
  ],
);

export const csiDriverPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('AttachRequired', 'boolean', protoDoc('storage.v1.CSIDriverSpec', 'attachRequired')),
    column('PodInfoOnMount', 'boolean', protoDoc('storage.v1.CSIDriverSpec', 'podInfoOnMount')),
    column('StorageCapacity', 'boolean', protoDoc('storage.v1.CSIDriverSpec', 'storageCapacity')),
    column('TokenRequests', 'string', protoDoc('storage.v1.CSIDriverSpec', 'tokenRequests')),
    column('RequiresRepublish', 'boolean', protoDoc('storage.v1.CSIDriverSpec', 'requiresRepublish')),
    column('Modes', 'string', protoDoc('storage.v1.CSIDriverSpec', 'volumeLifecycleModes')),
    AGE,
  ],
  (o, now) => {
    const spec = obj(o.spec);
    const modes = arr(spec.volumeLifecycleModes).map(str).join(',');
    const tokens = Array.isArray(spec.tokenRequests) ? arr(spec.tokenRequests).map((t) => str(t.audience)).join(',') : '<unset>';
    return [name(o), boolOr(spec.attachRequired, true), boolOr(spec.podInfoOnMount, false), boolOr(spec.storageCapacity, false), tokens, boolOr(spec.requiresRepublish, false), modes || '<none>', age(o, now)];
  },
);

export const csiNodePrinter: Printer = {
  columns: [NAME, column('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), AGE],
  cells: (o, now) => [name(o), arr(obj(o.spec).drivers).length, age(o, now)],
};

export const volumeAttachmentPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Attacher', 'string', protoDoc('storage.v1.VolumeAttachmentSpec', 'attacher'), { format: 'name' }),
    column('PV', 'string', protoDoc('storage.v1.VolumeAttachmentSource', 'persistentVolumeName')),
    column('Node', 'string', protoDoc('storage.v1.VolumeAttachmentSpec', 'nodeName')),
    column('Attached', 'boolean', protoDoc('storage.v1.VolumeAttachmentStatus', 'attached')),
    AGE,
  ],
  (o, now) => {
    const spec = obj(o.spec);
    return [name(o), str(spec.attacher), str(obj(spec.source).persistentVolumeName), str(spec.nodeName), obj(o.status).attached === true, age(o, now)];
  },
);

export const csiStorageCapacityPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('StorageClassName', 'string', protoDoc('storage.v1.CSIStorageCapacity', 'storageClassName')),
    column('Capacity', 'string', protoDoc('storage.v1.CSIStorageCapacity', 'capacity')),
  ],
  (o) => [name(o), str(o.storageClassName), o.capacity === undefined || o.capacity === null ? '<unset>' : str(o.capacity)],
);

