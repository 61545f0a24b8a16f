/**
 * What a strategic merge patch needs to know about a field: the Schema's answer to upstream's
 * LookupPatchMetadata (struct tags patchStrategy / patchMergeKey). Fields the schema does not
 * describe (unknown names, free-form JSON, custom resources) get no strategy, which makes their
 * subtree merge like a JSON merge patch: maps merge, lists replace.
 */
import type { ObjectType, Schema, TypeRef } from '../schema/types.ts';

/** The type of a JSON object value being merged. */
export type SmpNode =
  | { kind: 'object'; type: ObjectType }
  | { kind: 'map'; value: TypeRef }
  | { kind: 'unknown' };

export interface SmpListMeta {
  /** patchStrategy contains "merge". ("retainKeys" needs no lookup: $retainKeys applies wherever sent.) */
  merge: boolean;
  /** patchMergeKey, '' for lists of scalars. */
  mergeKey: string;
  /** The element type, for recursing into list elements that are objects. */
  item: SmpNode;
  /** The element type's name, for error messages. */
  itemName: string;
}

export const UNKNOWN: SmpNode = { kind: 'unknown' };

export function nodeForType(schema: Schema, typeName: string): SmpNode {
  const type = schema.type(typeName);
  return type ? { kind: 'object', type } : UNKNOWN;
}

export function nodeForRef(schema: Schema, ref: TypeRef | undefined): SmpNode {
  if (ref === undefined) return UNKNOWN;
  if (ref.kind === 'object') return nodeForType(schema, ref.type);
  if (ref.kind === 'map') return { kind: 'map', value: ref.value };
  return UNKNOWN;
}

/** The declared type of `key` inside a value of type `node`. */
export function fieldRef(node: SmpNode, key: string): TypeRef | undefined {
  if (node.kind === 'map') return node.value;
  if (node.kind === 'object' && Object.hasOwn(node.type.fields, key)) return node.type.fields[key]?.type;
  return undefined;
}

export function listMeta(schema: Schema, ref: TypeRef | undefined): SmpListMeta {
  if (ref === undefined || ref.kind !== 'list') return { merge: false, mergeKey: '', item: UNKNOWN, itemName: 'unknown' };
  const strategies = (ref.list.patchStrategy ?? '').split(',').map((s) => s.trim());
  return {
    merge: strategies.includes('merge'),
    mergeKey: ref.list.patchMergeKey ?? '',
    item: nodeForRef(schema, ref.item),
    itemName: ref.item.kind === 'object' ? ref.item.type : ref.item.kind,
  };
}
