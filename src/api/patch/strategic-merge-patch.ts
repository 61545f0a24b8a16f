/**
 * Strategic merge patch (application/strategic-merge-patch+json), applied the way kube-apiserver
 * applies it (StrategicMergeMapPatch in k8s.io/apimachinery/pkg/util/strategicpatch, 1.36),
 * guided by the Schema instead of Go struct tags.
 *
 * - maps merge recursively; null deletes a key;
 * - lists with patchStrategy "merge" merge: lists of objects element-wise by patchMergeKey, lists
 *   of scalars as an ordered union; all other lists are replaced;
 * - directives: `$patch: replace|delete` on maps and on elements of merging lists,
 *   `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`.
 *
 * Values with nothing under them in the object go through freshValue (smp-fresh.ts) everywhere.
 * Upstream does that for new keys only and stores new list elements and `$patch: replace`
 * content verbatim, relying on typed decoding to drop what it left; this server stores no nulls
 * or directives from a patch anywhere.
 */
import type { Schema } from '../schema/types.ts';
import { cloneJson, getKey, hasKey, isObject, putKey, removeKey } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';
import {
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  directiveTarget,
  errBadJSONDoc,
  errBadPatchType,
  errMergeDirectiveInList,
  errNoMergeKey,
  errNoMergeKeyForListOfMaps,
} from './smp-errors.ts';
import { dedupeScalars, elementKind, findByKey, kindOf, normalizeElementOrder, partition, sameScalar } from './smp-order.ts';
import { applyRetainKeys, mergeSetElementOrder } from './smp-directives.ts';
import { freshValue } from './smp-fresh.ts';
import { fieldRef, listMeta, nodeForRef, nodeForType } from './smp-schema.ts';
import type { SmpListMeta, SmpNode } from './smp-schema.ts';

/**
 * Applies `patch` to a copy of `original`, an object of the schema type `typeName` (a fully
 * qualified message name such as "k8s.io.api.apps.v1.Deployment"). An unknown type merges like a
 * JSON merge patch. Throws ApiError with upstream's codes.
 */
export function strategicMergePatch(schema: Schema, typeName: string, original: object, patch: object): JsonObject {
  if (!isObject(original) || !isObject(patch)) throw errBadJSONDoc();
  const merger = new Merger(schema);
  return merger.mergeMap(cloneJson(original), cloneJson(patch), nodeForType(schema, typeName));
}

/** The recursive merge; both arguments of every method are owned copies and may be mutated. */
export class Merger {
  readonly schema: Schema;
  constructor(schema: Schema) {
    this.schema = schema;
  }

  mergeMap(original: JsonObject, patch: JsonObject, node: SmpNode): JsonObject {
    if (hasKey(patch, DIRECTIVE_MARKER)) return this.mapDirective(patch);
    applyRetainKeys(original, patch);
    mergeSetElementOrder(this, original, patch, node);

    for (const key of Object.keys(patch)) {
      const value = patch[key] as JsonValue;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
        deleteFromPrimitiveList(original, directiveTarget(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX), value);
        continue;
      }
      if (value === null) {
        removeKey(original, key);
        continue;
      }
      const ref = fieldRef(node, key);
      const current = getKey(original, key);
      if (current === undefined || kindOf(current) !== kindOf(value)) {
        const fresh = freshValue(value);
        if (fresh === undefined) removeKey(original, key);
        else putKey(original, key, fresh);
      } else if (isObject(current)) {
        putKey(original, key, this.mergeMap(current, value as JsonObject, nodeForRef(this.schema, ref)));
      } else if (Array.isArray(current)) {
        putKey(original, key, this.mergeList(current, value as JsonValue[], listMeta(this.schema, ref)));
      } else {
        putKey(original, key, value);
      }
    }
    return original;
  }

  /** mergeSliceHandler: merge when the list's strategy says so, replace otherwise. */
  mergeList(original: JsonValue[], patch: JsonValue[], meta: SmpListMeta): JsonValue[] {
    if (!meta.merge) return freshValue(patch) as JsonValue[];
    return this.mergeSlice(original, patch, meta);
  }

  private mapDirective(patch: JsonObject): JsonObject {
    const directive = getKey(patch, DIRECTIVE_MARKER);
    if (directive === 'replace') {
      removeKey(patch, DIRECTIVE_MARKER);
      return freshValue(patch) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }

  private mergeSlice(original: JsonValue[], patch: JsonValue[], meta: SmpListMeta): JsonValue[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = elementKind(original, patch) ?? 'null';
    let merged: JsonValue[];
    let patchItems = patch;
    let server = original;
    if (kind !== 'map') {
      merged = dedupeScalars([...original, ...patch]);
    } else {
      if (meta.mergeKey === '') throw errNoMergeKeyForListOfMaps(meta.itemName);
      ({ server, patchItems } = this.specialElements(original, patch, meta));
      merged = this.mergeElements(server, patchItems, meta);
    }
    const mergeKey = kind === 'map' ? meta.mergeKey : '';
    const { named, serverOnly } = partition(merged, patchItems, mergeKey);
    return normalizeElementOrder(named, serverOnly, patchItems, server, mergeKey, kind);
  }

  /** mergeSliceWithSpecialElements: applies `$patch` elements, returns the server list and the rest of the patch. */
  private specialElements(
    original: JsonValue[],
    patch: JsonValue[],
    meta: SmpListMeta,
  ): { server: JsonValue[]; patchItems: JsonValue[] } {
    let server = original;
    const plain: JsonValue[] = [];
    let replace = false;
    for (const v of patch) {
      const m = v as JsonObject;
      if (!hasKey(m, DIRECTIVE_MARKER)) {
        plain.push(v);
        continue;
      }
      const directive = getKey(m, DIRECTIVE_MARKER);
      if (directive === 'delete') {
        if (!hasKey(m, meta.mergeKey)) throw errNoMergeKey(m, meta.mergeKey);
        const key = getKey(m, meta.mergeKey);
        server = server.filter((s) => !(isObject(s) && hasKey(s, meta.mergeKey) && sameScalar(getKey(s, meta.mergeKey), key)));
      } else if (directive === 'replace') {
        replace = true; // keep going: the other `$patch` elements are still pruned
      } else if (directive === 'merge') {
        throw errMergeDirectiveInList();
      } else {
        throw errBadPatchType(directive, m);
      }
    }
    if (replace) return { server: freshValue(plain) as JsonValue[], patchItems: [] };
    return { server, patchItems: plain };
  }

  /** mergeSliceWithoutSpecialElements: patch elements update the element with the same key, or are appended. */
  private mergeElements(server: JsonValue[], patch: JsonValue[], meta: SmpListMeta): JsonValue[] {
    const merged = [...server];
    for (const v of patch) {
      const m = v as JsonObject;
      if (!hasKey(m, meta.mergeKey)) throw errNoMergeKey(m, meta.mergeKey);
      const i = findByKey(merged, meta.mergeKey, getKey(m, meta.mergeKey));
      if (i >= 0) merged[i] = this.mergeMap(merged[i] as JsonObject, m, meta.item);
      else merged.push(freshValue(m) as JsonValue);
    }
    return merged;
  }
}

/**
 * `$deleteFromPrimitiveList/<field>: [values]` removes those scalars from the list, whatever the
 * list's strategy. It never creates the field; null removes the field, as upstream does.
 */
function deleteFromPrimitiveList(original: JsonObject, field: string, values: JsonValue): void {
  if (values === null) {
    removeKey(original, field);
    return;
  }
  const current = getKey(original, field);
  if (!Array.isArray(values) || !Array.isArray(current)) return;
  putKey(
    original,
    field,
    current.filter((v) => !values.some((d) => sameScalar(d, v))),
  );
}
