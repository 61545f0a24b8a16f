import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import type { StoredObject } from '../../storage/types.ts';

export type K8sObject = Record<string, any> & { metadata: Record<string, any> };

/**
 * The API view of a stored object: resourceVersion is the store's modRevision and is never
 * stored inside the value. Shallow copies only; stored values are shared with the watch cache
 * and must never be mutated.
 */
export function toApiObject(def: ResourceDef, s: StoredObject<K8sObject>): K8sObject {
  const v = s.value;
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

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

export function objectName(def: ResourceDef, obj: K8sObject): { namespace: string; name: string } {
  return { namespace: def.namespaced ? String(obj.metadata?.namespace ?? '') : '', name: String(obj.metadata?.name ?? '') };
}

export function groupResource(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}
