/**
 * Typed decoding of built-in kinds: every field's JSON type is checked against the schema, as
 * decoding into Go structs does upstream, so a value no typed client could read back
 * (`metadata.labels: "invalid"`) is refused instead of stored. Two dialects, because upstream
 * reaches the typed object two ways and words the failure differently:
 *
 * - 'json': encoding/json (sigs.k8s.io/json) decoding a body (create, update, JSON and merge
 *   patches). The first type mismatch in document order is reported, e.g. `json: cannot unmarshal
 *   string into Go struct field ObjectMeta.metadata.labels of type map[string]string`, where the
 *   path is the chain of struct field names (no list indexes, no map keys); errors raised by a
 *   type's own UnmarshalJSON (Quantity, Time, IntOrString) end decoding at once.
 * - 'unstructured': runtime.DefaultUnstructuredConverter.FromUnstructured (strategic merge
 *   patches), which walks struct fields in declaration order and stops at the first failure
 *   (`cannot restore map from string`, `unrecognized type: int32`).
 *
 * The walk is iterative with an explicit stack (nesting depth is bounded by the decoders, but no
 * recursion is needed at all). Go's named types (v1.RestartPolicy, v1.ResourceList) are not in
 * the schema; the error names their underlying type (string, map[string]resource.Quantity).
 */
import { parseQuantity, QUANTITY_FORMAT_ERROR } from '../validation/quantity.ts';
import { DurationError, parseGoDuration } from '../../util/duration.ts';
import { base64Error } from './go-base64.ts';
import { rfc3339Error } from './go-time.ts';
import type { Schema, TypeRef } from './types.ts';

export type DecodeDialect = 'json' | 'unstructured';

interface Frame {
  ref: TypeRef;
  /** The protobuf element type of scalars (int32, int64, ...). */
  proto: string | undefined;
  value: unknown;
  /** JSON names of the struct fields leading here, joined by "." (Go's error context). */
  path: string;
  /** Name of the innermost Go struct whose field this is. */
  struct: string;
}

/** TypeMeta is inline at the top of every kind and not part of the message schema. */
const TOP_LEVEL = new Set(['apiVersion', 'kind']);
/** Inclusive lower, exclusive upper bound of each integer type. */
const INT_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31],
  uint32: [0, 2 ** 32],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * "k8s.io.api.core.v1.PodSpec" -> ["v1", "PodSpec"]. Kept per name: every object of every
 * checked body asks for its struct's name (splitting it each time was a quarter of a check).
 * The names are a schema's types; the bound only guards against a schema that keeps making new ones.
 */
const goNames = new Map<string, readonly [string, string]>();
const MAX_GO_NAMES = 4096;
function goName(protoName: string): readonly [string, string] {
  const known = goNames.get(protoName);
  if (known) return known;
  const parts = protoName.split('.');
  const n = Object.freeze([parts[parts.length - 2] ?? '', parts[parts.length - 1] ?? protoName] as const);
  if (goNames.size < MAX_GO_NAMES) goNames.set(protoName, n);
  return n;
}

function scalarGoType(ref: TypeRef & { kind: 'scalar' }, proto: string | undefined): string {
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

function goType(schema: Schema, ref: TypeRef, proto: string | undefined): string {
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
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'array' : 'object';
}

/** reflect.Kind of the value in an unstructured map (integers are int64, as upstream decodes them). */
function unstructuredKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'slice' : 'map';
}

function intInRange(v: number, proto: string | undefined): boolean {
  const [lo, hi] = INT_RANGE[proto ?? 'int64'] ?? INT_RANGE.int64!;
  return Number.isInteger(v) && v >= lo && v < hi;
}

/**
 * The decoding error upstream would report for `obj` as the kind `typeName`, or undefined when
 * every field has a JSON type its Go field accepts. Unknown fields are not checked (they are
 * fieldValidation's business), and null is accepted everywhere, as Go leaves the zero value.
 */
export function findTypeError(schema: Schema, typeName: string, obj: unknown, dialect: DecodeDialect): string | undefined {
  const top = schema.type(typeName);
  if (!top) return undefined;
  const typed = dialect === 'json' ? jsonStep : unstructuredStep;
  const stack: Frame[] = [{ ref: { kind: 'object', type: typeName }, proto: undefined, value: obj, path: '', struct: '' }];
  let saved: string | undefined;
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.value === null || f.value === undefined) continue;
    const r = typed(schema, f, f.path === '' && f.struct === '');
    if (r.fatal) return r.fatal;
    if (r.saved) {
      saved ??= r.saved;
      continue;
    }
    // Push in reverse so the stack pops children in document (or declaration) order.
    for (let i = r.children.length - 1; i >= 0; i--) stack.push(r.children[i]!);
  }
  return saved;
}

interface StepResult {
  children: Frame[];
  /** encoding/json keeps the first mismatch and goes on; UnmarshalJSON errors stop decoding. */
  saved?: string;
  fatal?: string;
}

const OK: StepResult = { children: [] };

function objectChildren(schema: Schema, f: Frame, top: boolean, order: 'document' | 'declaration'): Frame[] | undefined {
  if (f.ref.kind !== 'object') return undefined;
  const t = schema.type(f.ref.type);
  if (!t || !isMap(f.value)) return undefined;
  const struct = goName(f.ref.type)[1];
  const value = f.value;
  const keys = order === 'document' ? Object.keys(value) : Object.keys(t.fields).filter((k) => Object.hasOwn(value, k));
  const out: Frame[] = [];
  for (const key of keys) {
    if (top && TOP_LEVEL.has(key)) continue;
    const field = Object.hasOwn(t.fields, key) ? t.fields[key] : undefined;
    if (!field) continue;
    out.push({ ref: field.type, proto: field.protoType, value: value[key], path: f.path === '' ? key : `${f.path}.${key}`, struct });
  }
  return out;
}

/** A go-to-protobuf list wrapper (ExtraValue, Verbs) is a plain list in JSON. */
function unwrapList(schema: Schema, ref: TypeRef): TypeRef {
  if (ref.kind !== 'object') return ref;
  const t = schema.type(ref.type);
  const items = t?.listWrapper ? t.fields.items : undefined;
  return items ? items.type : ref;
}

/** encoding/json's mismatch message for the field of frame `f`. */
function mismatch(f: Frame, value: string, type: string): string {
  return f.path === ''
    ? `json: cannot unmarshal ${value} into Go value of type ${type}`
    : `json: cannot unmarshal ${value} into Go struct field ${f.struct}.${f.path} of type ${type}`;
}

/** A mismatch encoding/json notes and decodes on past; the type defaults to the field's Go type. */
function saved(schema: Schema, f: Frame, value: string, type = goType(schema, f.ref, f.proto)): StepResult {
  return { children: [], saved: mismatch(f, value, type) };
}

function fatal(message: string): StepResult {
  return { children: [], fatal: message };
}

/** The children of a list or map frame: every element, with the element type. */
function elementFrames(f: Frame, ref: TypeRef, values: unknown[]): Frame[] {
  const out: Frame[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = { ref, proto: f.proto, value: values[i], path: f.path, struct: f.struct };
  return out;
}

function notByte(b: unknown): boolean {
  return !(typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255);
}

// The steps are module-level functions, not closures made per call: type checking runs on every
// write body, once per field.
function jsonStep(schema: Schema, f: Frame, top: boolean): StepResult {
  const v = f.value;
  const ref = unwrapList(schema, f.ref);
  switch (ref.kind) {
    case 'object': {
      const children = objectChildren(schema, ref === f.ref ? f : { ...f, ref }, top, 'document');
      return children ? { children } : saved(schema, f, jsonKind(v));
    }
    case 'list':
      if (!Array.isArray(v)) return saved(schema, f, jsonKind(v));
      return { children: elementFrames(f, ref.item, v) };
    case 'map':
      if (!isMap(v)) return saved(schema, f, jsonKind(v));
      return { children: elementFrames(f, ref.value, Object.values(v)) };
    case 'scalar':
      switch (ref.scalar) {
        case 'string':
          return typeof v === 'string' ? OK : saved(schema, f, jsonKind(v));
        case 'boolean':
          return typeof v === 'boolean' ? OK : saved(schema, f, jsonKind(v));
        case 'number':
          return typeof v === 'number' ? OK : saved(schema, f, jsonKind(v));
        case 'integer':
          if (typeof v !== 'number') return saved(schema, f, jsonKind(v));
          return intInRange(v, f.proto) ? OK : saved(schema, f, `number ${v}`);
        case 'bytes': {
          if (typeof v === 'string') {
            const err = base64Error(v);
            return err ? { children: [], saved: err } : OK;
          }
          // A JSON array of numbers also decodes into []byte.
          if (Array.isArray(v)) {
            const bad = v.find(notByte);
            return bad === undefined ? OK : saved(schema, f, typeof bad === 'number' ? `number ${bad}` : jsonKind(bad), 'uint8');
          }
          return saved(schema, f, jsonKind(v));
        }
      }
      return OK;
    case 'int-or-string':
      // IntOrString.UnmarshalJSON: a string, or json.Unmarshal into its int32.
      if (typeof v === 'string') return OK;
      if (typeof v === 'number') return intInRange(v, 'int32') ? OK : fatal(mismatch(f, `number ${v}`, 'int32'));
      return fatal(mismatch(f, jsonKind(v), 'int32'));
    case 'quantity':
      // Quantity.UnmarshalJSON parses the literal, quoted or not.
      if ((typeof v === 'string' || typeof v === 'number') && parseQuantity(String(v).trim())) return OK;
      return fatal(QUANTITY_FORMAT_ERROR);
    case 'time':
      if (typeof v !== 'string') return fatal(mismatch(f, jsonKind(v), 'string'));
      return timeResult(v);
    case 'duration':
      if (typeof v !== 'string') return fatal(mismatch(f, jsonKind(v), 'string'));
      return durationResult(v);
    case 'any':
      return OK;
  }
}

function unstructuredStep(schema: Schema, f: Frame, top: boolean): StepResult {
  const v = f.value;
  const ref = unwrapList(schema, f.ref);
  switch (ref.kind) {
    case 'object': {
      const children = objectChildren(schema, ref === f.ref ? f : { ...f, ref }, top, 'declaration');
      return children ? { children } : fatal(`cannot restore struct from: ${unstructuredKind(v)}`);
    }
    case 'list':
      if (!Array.isArray(v)) return fatal(`cannot restore slice from ${unstructuredKind(v)}`);
      return { children: elementFrames(f, ref.item, v) };
    case 'map':
      if (!isMap(v)) return fatal(`cannot restore map from ${unstructuredKind(v)}`);
      return { children: elementFrames(f, ref.value, Object.values(v)) };
    case 'scalar': {
      const dt = scalarGoType(ref, f.proto);
      const k = unstructuredKind(v);
      switch (ref.scalar) {
        case 'string':
          if (k === 'string') return OK;
          // Go converts integers to strings by reflection but refuses the conversion.
          return fatal(k === 'int64' ? `cannot convert int64 to ${dt}` : `unrecognized type: ${dt}`);
        case 'boolean':
          return k === 'bool' ? OK : fatal(`unrecognized type: ${dt}`);
        case 'number':
          return k === 'int64' || k === 'float64' ? OK : fatal(`unrecognized type: ${dt}`);
        case 'integer':
          if (k === 'int64') return OK;
          if (k === 'float64') return fatal(`cannot convert float64 to ${dt}`);
          return fatal(`unrecognized type: ${dt}`);
        case 'bytes': {
          if (typeof v === 'string') {
            const err = base64Error(v);
            return err ? fatal(`error decoding from json: ${err}`) : OK;
          }
          return Array.isArray(v) ? OK : fatal(`cannot restore slice from ${k}`);
        }
      }
      return OK;
    }
    // Types with their own UnmarshalJSON are converted through JSON, without a field context.
    case 'int-or-string':
      if (typeof v === 'string') return OK;
      if (typeof v === 'number') return intInRange(v, 'int32') ? OK : fatal(`json: cannot unmarshal number ${v} into Go value of type int32`);
      return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type int32`);
    case 'quantity':
      if ((typeof v === 'string' || typeof v === 'number') && parseQuantity(String(v).trim())) return OK;
      return fatal(QUANTITY_FORMAT_ERROR);
    case 'time':
      if (typeof v !== 'string') return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      return timeResult(v);
    case 'duration':
      if (typeof v !== 'string') return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      return durationResult(v);
    case 'any':
      return OK;
  }
}

function timeResult(v: string): StepResult {
  const err = rfc3339Error(v);
  return err ? { children: [], fatal: err } : OK;
}

function durationResult(v: string): StepResult {
  try {
    parseGoDuration(v);
    return OK;
  } catch (err) {
    if (err instanceof DurationError) return { children: [], fatal: err.message };
    throw err;
  }
}
