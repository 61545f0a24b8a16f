/** Small accessors for the parts of an object the field manager reads and writes. */
import type { ManagedFieldsEntry } from './managed-fields.ts';
import { isPlainObject } from './shape.ts';
import { cloneJson } from '../patch/json-value.ts';

export type KubeObject = Record<string, unknown>;

export function metadataOf(obj: unknown): Record<string, unknown> | undefined {
  return isPlainObject(obj) && isPlainObject(obj.metadata) ? (obj.metadata as Record<string, unknown>) : undefined;
}

export function rawManagedFields(obj: unknown): unknown {
  return metadataOf(obj)?.managedFields;
}

/** A deep copy without metadata.managedFields: managedFields never take part in comparisons. */
export function withoutManagedFields(obj: unknown): KubeObject {
  const copy = cloneJson(isPlainObject(obj) ? obj : {}) as KubeObject;
  const meta = metadataOf(copy);
  if (meta) delete meta.managedFields;
  return copy;
}

/**
 * A read-only view of obj without metadata.managedFields: shallow copies of the top level and of
 * metadata only. For comparisons on the write path, where a deep copy costs more than the rest
 * of the bookkeeping.
 */
export function viewWithoutManagedFields(obj: unknown): KubeObject {
  if (!isPlainObject(obj)) return {} as KubeObject;
  const o = obj as KubeObject;
  if (!isPlainObject(o.metadata) || !('managedFields' in (o.metadata as object))) return o;
  const { managedFields: _mf, ...meta } = o.metadata as Record<string, unknown>;
  return { ...o, metadata: meta } as KubeObject;
}

/** Set (or, when there is nothing to record, omit) metadata.managedFields, as upstream encodes nil. */
export function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[]): KubeObject {
  const meta = metadataOf(obj) ?? {};
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
  if (Object.keys(meta).length > 0 || isPlainObject(obj.metadata)) obj.metadata = meta;
  return obj;
}

export function apiVersionOf(obj: unknown): string {
  return isPlainObject(obj) && typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
}
