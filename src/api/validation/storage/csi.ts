/** storage.k8s.io/v1 CSIDriver, CSINode, VolumeAttachment and CSIStorageCapacity validation (pkg/apis/storage/validation). */
import { duplicate, forbidden, invalid, notSupported, path, required, tooLong, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { nameIsDNSSubdomain, validateImmutable, validateLabelSelector, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain } from '../names.ts';
import { validateQuantity } from '../core/resource-quota.ts';

type Obj = Record<string, any>;

const CSI_DRIVER_NAME_MAX_LENGTH = 63;
const CSI_NODE_ID_MAX_LENGTH = 192;

/** apivalidation.ValidateCSIDriverName. */
export function validateCSIDriverName(name: unknown, p: Path): FieldError[] {
  if (typeof name !== 'string' || name === '') return [required(p)];
  if (name.length > CSI_DRIVER_NAME_MAX_LENGTH) return [tooLong(p, name, CSI_DRIVER_NAME_MAX_LENGTH)];
  return isDNS1123Subdomain(name.toLowerCase()).map((m) => invalid(p, name, m));
}

const requireBool = (v: unknown, p: Path): FieldError[] => (typeof v === 'boolean' ? [] : [required(p)]);

export function validateCSIDriver(d: Obj): FieldError[] {
  const errs = validateCSIDriverName(d.metadata?.name, path('name'));
  errs.push(...validateObjectMeta(d.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain }));
  const sp = path('spec');
  const spec = d.spec ?? {};
  // Upstream names this path "attachedRequired".
  errs.push(...requireBool(spec.attachRequired, sp.child('attachedRequired')));
  errs.push(...requireBool(spec.podInfoOnMount, sp.child('podInfoOnMount')));
  errs.push(...requireBool(spec.storageCapacity, sp.child('storageCapacity')));
  errs.push(...requireBool(spec.requiresRepublish, sp.child('requiresRepublish')));
  if (spec.fsGroupPolicy !== undefined && !['File', 'None', 'ReadWriteOnceWithFSType'].includes(spec.fsGroupPolicy)) {
    errs.push(notSupported(sp.child('fsGroupPolicy'), spec.fsGroupPolicy, ['File', 'None', 'ReadWriteOnceWithFSType']));
  }
  (Array.isArray(spec.volumeLifecycleModes) ? spec.volumeLifecycleModes : []).forEach((m: unknown, i: number) => {
    if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(notSupported(sp.child('volumeLifecycleModes').index(i), m, ['Ephemeral', 'Persistent']));
  });
  const audiences = new Set<string>();
  (Array.isArray(spec.tokenRequests) ? spec.tokenRequests : []).forEach((t: Obj, i: number) => {
    const a = String(t?.audience ?? '');
    if (audiences.has(a)) errs.push(duplicate(sp.child('tokenRequests').index(i).child('audience'), a));
    audiences.add(a);
    if (typeof t?.expirationSeconds === 'number' && t.expirationSeconds < 600) {
      errs.push(invalid(sp.child('tokenRequests').index(i).child('expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
    }
  });
  return errs;
}

export function validateCSIDriverUpdate(d: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  errs.push(...validateCSIDriver(d).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(d.spec?.attachRequired ?? null, old.spec?.attachRequired ?? null, path('spec', 'attachRequired')));
  return errs;
}

export function validateCSINode(n: Obj): FieldError[] {
  const errs = validateObjectMeta(n.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const dp = path('spec', 'drivers');
  const names = new Set<string>();
  (Array.isArray(n.spec?.drivers) ? n.spec.drivers : []).forEach((d: Obj, i: number) => {
    const p = dp.index(i);
    errs.push(...validateCSIDriverName(d?.name, p.child('name')));
    const id = d?.nodeID;
    if (typeof id !== 'string' || id === '') errs.push(required(p.child('nodeID'), 'nodeID must be provided'));
    else if (id.length > CSI_NODE_ID_MAX_LENGTH) errs.push(invalid(p.child('nodeID'), id, `must be ${CSI_NODE_ID_MAX_LENGTH} characters or less`));
    if (typeof d?.name === 'string') {
      if (names.has(d.name)) errs.push(duplicate(p.child('name'), d.name));
      names.add(d.name);
    }
    errs.push(...validateNonnegative(d?.allocatable?.count, p.child('allocatable', 'count')));
  });
  return errs;
}

/** Only the drivers' topologyKeys and nodeIDs of drivers present before may not change. */
export function validateCSINodeUpdate(n: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, old.metadata);
  errs.push(...validateCSINode(n).filter((e) => !e.field.startsWith('metadata.')));
  const before = new Map<string, Obj>((Array.isArray(old.spec?.drivers) ? old.spec.drivers : []).map((d: Obj) => [String(d?.name), d]));
  (Array.isArray(n.spec?.drivers) ? n.spec.drivers : []).forEach((d: Obj, i: number) => {
    const o = before.get(String(d?.name));
    if (!o) return;
    const p = path('spec', 'drivers').index(i);
    errs.push(...validateImmutable(d.nodeID, o.nodeID, p.child('nodeID')));
    errs.push(...validateImmutable(d.topologyKeys ?? [], o.topologyKeys ?? [], p.child('topologyKeys')));
  });
  return errs;
}

const EXACTLY_ONE_SOURCE = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

export function validateVolumeAttachment(va: Obj): FieldError[] {
  const errs = validateObjectMeta(va.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = va.spec ?? {};
  if (typeof spec.attacher !== 'string' || spec.attacher === '') errs.push(required(sp.child('attacher')));
  else errs.push(...validateCSIDriverName(spec.attacher, sp.child('attacher')));
  const src = spec.source ?? {};
  const hasPv = src.persistentVolumeName !== undefined && src.persistentVolumeName !== null;
  const hasInline = src.inlineVolumeSpec !== undefined && src.inlineVolumeSpec !== null;
  if (!hasPv && !hasInline) errs.push(required(sp.child('source'), EXACTLY_ONE_SOURCE));
  else if (hasPv && hasInline) errs.push(forbidden(sp.child('source'), EXACTLY_ONE_SOURCE));
  else if (hasPv && src.persistentVolumeName === '') errs.push(required(sp.child('source', 'persistentVolumeName'), 'must specify non empty persistentVolumeName'));
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') errs.push(required(sp.child('nodeName')));
  else for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(invalid(sp.child('nodeName'), spec.nodeName, m));
  return errs;
}

export function validateVolumeAttachmentUpdate(va: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(va.metadata, old.metadata);
  errs.push(...validateVolumeAttachment(va).filter((e) => !e.field.startsWith('metadata.')));
  if (!semanticEqual(va.spec, old.spec, TYPES.volumeAttachmentSpec)) errs.push(invalid(path('spec'), va.spec, 'field is immutable'));
  return errs;
}

export function validateCSIStorageCapacity(c: Obj): FieldError[] {
  const errs = validateObjectMeta(c.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateLabelSelector(c.nodeTopology, path('nodeTopology')));
  if (typeof c.storageClassName !== 'string' || c.storageClassName === '') errs.push(required(path('storageClassName')));
  else for (const m of isDNS1123Subdomain(c.storageClassName)) errs.push(invalid(path('storageClassName'), c.storageClassName, m));
  if (c.capacity !== undefined && c.capacity !== null) errs.push(...validateQuantity(c.capacity, path('capacity')));
  if (c.maximumVolumeSize !== undefined && c.maximumVolumeSize !== null) errs.push(...validateQuantity(c.maximumVolumeSize, path('maximumVolumeSize')));
  return errs;
}

/** Everything but capacity and maximumVolumeSize is immutable. */
export function validateCSIStorageCapacityUpdate(c: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(c.metadata, old.metadata);
  errs.push(...validateCSIStorageCapacity(c).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(c.nodeTopology ?? null, old.nodeTopology ?? null, path('nodeTopology')));
  errs.push(...validateImmutable(c.storageClassName, old.storageClassName, path('storageClassName')));
  return errs;
}
