/**
 * How Go names the types and values the typed decoders complain about (type-check.ts): a proto
 * message's Go package and struct ("v1", "PodSpec"), a field's Go type (map[string]v1.Quantity,
 * int32, []uint8), encoding/json's and reflect's names for a JSON value, and the integer types'
 * ranges. Apart from the walk so the two dialects' steps share one copy.
 */
import type { Schema, TypeRef } from './types.ts';

/** Inclusive lower, exclusive upper bound of each integer type. */
const INT_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31],
  uint32: [0, 2 ** 32],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

/**
 * "k8s.io.api.core.v1.PodSpec" -> ["v1", "PodSpec"]. Kept per name: every object of every
 * checked body asks for its struct's name (splitting it each time was a quarter of a check).
 * The names are a schema's types; the bound only guards against a schema that keeps making new ones.
 */
const goNames = new Map<string, readonly [string, string]>();
const MAX_GO_NAMES = 4096;
export function goName(protoName: string): readonly [string, string] {
  const known = goNames.get(protoName);
  if (known) return known;
  const parts = protoName.split('.');
  const n = Object.freeze([parts[parts.length - 2] ?? '', parts[parts.length - 1] ?? protoName] as const);
  if (goNames.size < MAX_GO_NAMES) goNames.set(protoName, n);
  return n;
}

export function scalarGoType(ref: TypeRef & { kind: 'scalar' }, proto: string | undefined): string {
  switch (ref.scalar) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bytes':
      return '[]uint8';
    case 'number':
      return proto === 'float' ? 'float32' : 'float64';
    case 'integer':
      return proto && proto in INT_RANGE ? proto : 'int64';
  }
}

export function goType(schema: Schema, ref: TypeRef, proto: string | undefined): string {
  switch (ref.kind) {
    case 'scalar':
      return scalarGoType(ref, proto);
    case 'object':
      return goName(ref.type).join('.');
    case 'map':
      return `map[string]${goType(schema, ref.value, proto)}`;
    case 'list':
      return `[]${goType(schema, ref.item, proto)}`;
    case 'int-or-string':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'time':
      return 'v1.Time';
    case 'duration':
      return 'v1.Duration';
    case 'any':
      return 'interface {}';
  }
}

/** encoding/json's name for the JSON value it found. */
export function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'array' : 'object';
}

/** reflect.Kind of the value in an unstructured map (integers are int64, as upstream decodes them). */
export function unstructuredKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'slice' : 'map';
}

export function intInRange(v: number, proto: string | undefined): boolean {
  const [lo, hi] = INT_RANGE[proto ?? 'int64'] ?? INT_RANGE.int64!;
  return Number.isInteger(v) && v >= lo && v < hi;
}
