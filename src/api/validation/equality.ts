/**
 * apiequality.Semantic.DeepEqual over JSON: Go cannot tell an absent field from its zero value, so
 * undefined, null, '', 0, false, [] and {} all compare equal to each other (a nil and an empty
 * slice or map are equal there too). Quantities compare by value ("1000m" equals "1"), but only
 * where the type is resource.Quantity, as Semantic's one special case: given the schema type of the
 * values (`type`, a proto message name), the walk follows it; without one, and everywhere but
 * Quantity fields, strings compare exactly, so a container arg "1000" never equals "1k".
 * runtime.RawExtension (free-form JSON) compares exactly, as its bytes do upstream (jsonEqual).
 */
import { cmpQty, parseQty } from '../quantity.ts';
import { loadSchema } from '../schema/schema.ts';
import type { TypeRef } from '../schema/types.ts';

export const TYPES = {
  podSpec: 'k8s.io.api.core.v1.PodSpec',
  podTemplateSpec: 'k8s.io.api.core.v1.PodTemplateSpec',
  container: 'k8s.io.api.core.v1.Container',
  ephemeralContainer: 'k8s.io.api.core.v1.EphemeralContainer',
  pvSpec: 'k8s.io.api.core.v1.PersistentVolumeSpec',
  pvcSpec: 'k8s.io.api.core.v1.PersistentVolumeClaimSpec',
  statefulSetSpec: 'k8s.io.api.apps.v1.StatefulSetSpec',
  volumeAttachmentSpec: 'k8s.io.api.storage.v1.VolumeAttachmentSpec',
} as const;

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** A go-to-protobuf list wrapper is a plain list in JSON. */
function resolve(ref: TypeRef | undefined): TypeRef | undefined {
  if (ref?.kind !== 'object') return ref;
  const t = loadSchema().type(ref.type);
  return t?.listWrapper && t.fields.items ? t.fields.items.type : ref;
}

function sameQuantity(a: unknown, b: unknown): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number')) return false;
  const qa = parseQty(a);
  const qb = parseQty(b);
  return qa !== undefined && qb !== undefined && cmpQty(qa, qb) === 0;
}

function eq(a: unknown, b: unknown, given: TypeRef | undefined): boolean {
  if (a === b) return true;
  const ref = resolve(given);
  if (ref?.kind === 'any') return jsonEqual(a, b);
  if (isZero(a) && isZero(b)) return true;
  if (ref?.kind === 'quantity') return sameQuantity(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const item = ref?.kind === 'list' ? ref.item : undefined;
    return a.length === b.length && a.every((x, i) => eq(x, b[i], item));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const fields = ref?.kind === 'object' ? loadSchema().type(ref.type)?.fields : undefined;
    const value = ref?.kind === 'map' ? ref.value : undefined;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!eq(ao[k], bo[k], fields ? fields[k]?.type : value)) return false;
    return true;
  }
  return false;
}

/** Semantic.DeepEqual of two values of the schema type `type` (see above); untyped: no quantities. */
export function semanticEqual(a: unknown, b: unknown, type?: string): boolean {
  return eq(a, b, type === undefined ? undefined : { kind: 'object', type });
}

/**
 * Every string a quantity where it parses as one: for values made only of quantities (a
 * container's requests and limits), without loading the schema (the node agent).
 */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') return sameQuantity(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => quantitiesEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!quantitiesEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/** Exact JSON equality (reflect.DeepEqual of decoded JSON; key order aside): for RawExtension data and map[string]string. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao);
    return ak.length === Object.keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
  }
  return false;
}
