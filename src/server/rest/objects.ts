import { ApiError } from '../../api/errors.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import type { StoredObject } from '../../storage/types.ts';
import { withDecodableManagedFields } from '../../api/apply/stored-managed-fields.ts';
import { unreadableReason } from '../../storage/encryption/read-state.ts';
import { customResourceAsRead, type CustomReadInfo } from '../../api/crd/read-defaults.ts';

export type K8sObject = Record<string, any> & { metadata: Record<string, any> };

/**
 * The API view of a stored object: resourceVersion is the store's modRevision and is never
 * stored inside the value. Shallow copies only; stored values are shared with the watch cache
 * and must never be mutated.
 */
export function toApiObject(def: ResourceDef, s: StoredObject<K8sObject>): K8sObject {
  // A stored value that is not an object (written by something else, damaged) is reported as
  // what it is, as upstream fails to decode it, instead of being spread into a nonsense object.
  const raw = s.value as unknown;
  // A value the encryption layer could not read (wrong or removed key): upstream's storage.NewInternalError.
  const unreadable = unreadableReason(raw);
  if (unreadable !== undefined) throw new ApiError(500, 'InternalError', `Internal error occurred: ${unreadable}`, { causes: [{ message: unreadable }] });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || typeof (raw as K8sObject).metadata !== 'object' || (raw as K8sObject).metadata === null) {
    throw new ApiError(500, 'InternalError', `Internal error occurred: database corrupt: the value at ${s.key} is not a Kubernetes object`);
  }
  // managedFields too deep to decode are read as absent (upstream resets them), so the object stays writable.
  const decodable = withDecodableManagedFields(s.value);
  // A custom resource is pruned and defaulted by its CRD's current schema, as upstream decodes it.
  const stored = def.custom ? customResourceAsRead(def.custom as CustomReadInfo, decodable) : decodable;
  // A resource served at several versions from one storage shows the stored object in its own.
  const v = def.convert ? def.convert.fromStored(stored) : stored;
  return {
    apiVersion: groupVersion(def),
    kind: def.kind,
    ...v,
    metadata: { ...v.metadata, resourceVersion: String(s.modRevision) },
  };
}

/** The value to store: the object (in the storage version) without its resourceVersion. */
export function toStoredValue(obj: K8sObject, def?: ResourceDef): K8sObject {
  const o = def?.convert ? def.convert.toStored(obj) : obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = o.metadata ?? {};
  return { ...o, metadata: meta };
}

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

export function objectName(def: ResourceDef, obj: K8sObject): { namespace: string; name: string } {
  return { namespace: def.namespaced ? String(obj.metadata?.namespace ?? '') : '', name: String(obj.metadata?.name ?? '') };
}

export function groupResource(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}
