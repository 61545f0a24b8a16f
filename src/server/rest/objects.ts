import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import type { StoredObject } from '../../storage/types.ts';
import { withDecodableManagedFields } from '../../api/apply/stored-managed-fields.ts';

export type K8sObject = Record<string, any> & { metadata: Record<string, any> };

/**
 * The API view of a stored object: resourceVersion is the store's modRevision and is never
 * stored inside the value. Shallow copies only; stored values are shared with the watch cache
 * and must never be mutated.
 */
export function toApiObject(def: ResourceDef, s: StoredObject<K8sObject>): K8sObject {
  // managedFields too deep to decode are read as absent (upstream resets them), so the object stays writable.
  const v = withDecodableManagedFields(s.value);
  return {
    apiVersion: groupVersion(def),
    kind: def.kind,
    ...v,
    metadata: { ...v.metadata, resourceVersion: String(s.modRevision) },
  };
}

/** The value to store: the object without its resourceVersion. */
export function toStoredValue(obj: K8sObject): K8sObject {
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = obj.metadata ?? {};
  return { ...obj, metadata: meta };
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
