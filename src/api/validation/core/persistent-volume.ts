/** PersistentVolume and PersistentVolumeClaim validation. */
import { posix } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, path, required, type FieldError } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { nameIsDNSSubdomain, validateImmutable, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain } from '../names.ts';
import { cmpQty, formatQty, parseQty, qtySign, QUANTITY_FORMAT_ERROR } from '../../quantity.ts';
import { validateQuantity } from './resource-quota.ts';
import { validateHostPathSource, validatePathNoBacksteps } from './volume-sources.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker',
  'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local',
  'storageos', 'csi',
] as const;

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = pv.spec ?? {};
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(required(sp.child('accessModes')));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(notSupported(sp.child('accessModes'), m, ACCESS_MODES));
  const cap = (spec.capacity ?? {}) as Record<string, unknown>;
  if (Object.keys(cap).length === 0) errs.push(required(sp.child('capacity')));
  if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(notSupported(sp.child('capacity'), cap, ['storage']));
  for (const [k, v] of Object.entries(cap)) errs.push(...validateQuantity(v, sp.child('capacity').key(k)));
  const rp = spec.persistentVolumeReclaimPolicy;
  if (rp && !RECLAIM_POLICIES.includes(rp)) errs.push(notSupported(sp.child('persistentVolumeReclaimPolicy'), rp, RECLAIM_POLICIES));
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported(sp.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  if (spec.storageClassName) {
    for (const m of isDNS1123Subdomain(spec.storageClassName)) errs.push(invalid(sp.child('storageClassName'), spec.storageClassName, m));
  }
  const rec = spec as Record<string, unknown>;
  const present = PV_SOURCES.filter((s) => rec[s] !== undefined && rec[s] !== null);
  if (present.length === 0) errs.push(required(sp, 'must specify a volume type'));
  for (const extra of present.slice(1)) errs.push(forbidden(sp.child(extra), 'may not specify more than 1 volume type'));
  // validateHostPathVolumeSource and validateLocalVolumeSource: a path without a `..` element.
  if (spec.hostPath) {
    errs.push(...(spec.hostPath.path ? validateHostPathSource(spec.hostPath, sp.child('hostPath')) : [required(sp.child('hostPath', 'path'))]));
  }
  if (spec.local) {
    errs.push(...(spec.local.path ? validatePathNoBacksteps(spec.local.path, sp.child('local', 'path')) : [required(sp.child('local', 'path'))]));
  }
  // Upstream: do not allow hostPath mounts of '/' to have a 'recycle' reclaim policy (path.Clean).
  if (spec.hostPath && posix.normalize(spec.hostPath.path ?? '') === '/' && rp === 'Recycle') {
    errs.push(forbidden(sp.child('persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (spec.csi) {
    if (!spec.csi.driver) errs.push(required(sp.child('csi', 'driver')));
    if (!spec.csi.volumeHandle) errs.push(required(sp.child('csi', 'volumeHandle')));
  }
  return errs;
}

export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata);
  errs.push(...validatePersistentVolume(pv).filter((e) => !e.field.startsWith('metadata.')));
  const pick = (v: PersistentVolume): Record<string, unknown> => {
    const s = (v.spec ?? {}) as Record<string, unknown>;
    return Object.fromEntries(PV_SOURCES.map((k) => [k, s[k]]));
  };
  if (!semanticEqual(pick(pv), pick(old), TYPES.pvSpec)) {
    errs.push(forbidden(path('spec', 'persistentvolumesource'), 'spec.persistentvolumesource is immutable after creation'));
  }
  errs.push(...validateImmutable(pv.spec?.volumeMode ?? '', old.spec?.volumeMode ?? '', path('volumeMode')));
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMeta(pvc.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = pvc.spec ?? {};
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(required(sp.child('accessModes'), 'at least 1 access mode is required'));
  errs.push(...validateLabelSelector(spec.selector, sp.child('selector')));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(notSupported(sp.child('accessModes'), m, ACCESS_MODES));
  // Upstream keys the storage request under spec.resources, not spec.resources.requests.
  const storagePath = sp.child('resources').key('storage');
  const requests = (spec.resources?.requests ?? {}) as Record<string, unknown>;
  if (!('storage' in requests)) {
    errs.push(required(storagePath));
  } else {
    const q = parseQty(requests['storage']);
    if (!q) errs.push(invalid(storagePath, requests['storage'], QUANTITY_FORMAT_ERROR));
    else if (qtySign(q) <= 0) errs.push(invalid(storagePath, formatQty(q), 'must be greater than zero'));
  }
  if (spec.storageClassName) {
    for (const m of isDNS1123Subdomain(spec.storageClassName)) errs.push(invalid(sp.child('storageClassName'), spec.storageClassName, m));
  }
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported(sp.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  return errs;
}

export function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata);
  errs.push(...validatePersistentVolumeClaim(pvc).filter((e) => !e.field.startsWith('metadata.')));
  const next = structuredClone(pvc.spec ?? {});
  const prev = old.spec ?? {};
  // The binder sets volumeName once; bound claims may be resized; the VAC may change.
  if (!prev.volumeName) next.volumeName = prev.volumeName;
  // RetroactiveDefaultStorageClass (GA in 1.28): a claim created with no class at all (not "") may
  // be given one once, by the binder assigning the default class (validateStorageClassUpgradeFromNil).
  if (prev.storageClassName == null && old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined) next.storageClassName = prev.storageClassName;
  if (pvc.status?.phase === 'Bound' && next.resources?.requests) {
    next.resources.requests = { ...next.resources.requests, storage: prev.resources?.requests?.['storage'] ?? next.resources.requests['storage'] };
  }
  next.volumeAttributesClassName = prev.volumeAttributesClassName;
  if (!semanticEqual(next, prev, TYPES.pvcSpec)) {
    errs.push(forbidden(path('spec'), 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const ns = parseQty(pvc.spec?.resources?.requests?.['storage']);
  const os = parseQty(prev.resources?.requests?.['storage']);
  if (ns && os && cmpQty(ns, os) < 0) {
    errs.push(forbidden(path('spec', 'resources', 'requests', 'storage'), 'field can not be less than previous value'));
  }
  return errs;
}
