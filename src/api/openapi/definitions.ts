/**
 * OpenAPI schema definitions of the built-in types, from the structural schema (schema.json) and
 * the proto comments (docs.json), in the form upstream's kube-openapi gives them: one named
 * definition per message, properties referencing others by $ref, the list/map/patch semantics as
 * x-kubernetes-* extensions and the well-known scalars (Quantity, IntOrString, Time) as named
 * string definitions. Only the definitions reachable from what was asked for are built.
 */
import type { FieldSchema, GroupVersionKind, ObjectType, Schema, TypeRef } from '../schema/types.ts';
import type { Docs } from './docs.ts';
import { definitionName } from './names.ts';

export type Flavor = 'v2' | 'v3';
export type Json = Record<string, unknown>;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';

/** The JSON forms of the messages with custom marshalling upstream (gen-schema's WELL_KNOWN). */
function wellKnown(protoName: string, flavor: Flavor): Json | undefined {
  switch (protoName) {
    case INT_OR_STRING:
      // v3 says "integer or string" as upstream does; the extension is what structural schemas use.
      return flavor === 'v3'
        ? { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true }
        : { format: 'int-or-string', type: 'string', 'x-kubernetes-int-or-string': true };
    case QUANTITY:
    case 'k8s.io.apimachinery.pkg.api.resource.QuantityValue':
      return flavor === 'v3' ? { oneOf: [{ type: 'string' }, { type: 'number' }] } : { type: 'string' };
    case `${META}.Time`:
    case `${META}.MicroTime`:
      return { format: 'date-time', type: 'string' };
    case `${META}.Duration`:
      return { type: 'string' };
    case `${META}.FieldsV1`:
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
      return { type: 'object' };
    case 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON':
      return { 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return undefined;
  }
}

/** The wire type of a non-object TypeRef when the field does not say (protoType is set on generated fields). */
const DEFAULT_WELL_KNOWN: Partial<Record<TypeRef['kind'], string>> = {
  'int-or-string': INT_OR_STRING,
  quantity: QUANTITY,
  time: `${META}.Time`,
  duration: `${META}.Duration`,
};

export const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DOC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function scalarSchema(scalar: string, protoType: string | undefined): Json {
  switch (scalar) {
    case 'integer':
      return { format: protoType && INT64.has(protoType) ? 'int64' : 'int32', type: 'integer' };
    case 'number':
      return { format: 'double', type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'bytes':
      return { format: 'byte', type: 'string' };
    default:
      return { type: 'string' };
  }
}

function sortKeys(o: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/** Collects the definitions one document needs. */
export class DefinitionSet {
  readonly definitions: Record<string, Json> = {};
  readonly #schema: Schema;
  readonly #docs: Docs;
  readonly #flavor: Flavor;
  /** Proto type name -> the kinds it is served as (x-kubernetes-group-version-kind). */
  readonly #kinds: ReadonlyMap<string, GroupVersionKind[]>;

  constructor(schema: Schema, docs: Docs, flavor: Flavor, kinds: ReadonlyMap<string, GroupVersionKind[]>) {
    this.#schema = schema;
    this.#docs = docs;
    this.#flavor = flavor;
    this.#kinds = kinds;
  }

  /** A JSON reference to a named definition. */
  refTo(name: string): string {
    return this.#flavor === 'v3' ? `#/components/schemas/${name}` : `#/definitions/${name}`;
  }

  /** Adds the definition of a proto message (and everything it references); returns its name, or undefined if unknown. */
  addType(protoName: string): string | undefined {
    const name = definitionName(protoName);
    if (Object.hasOwn(this.definitions, name)) return name;
    const known = wellKnown(protoName, this.#flavor);
    if (known) {
      this.definitions[name] = sortKeys({ ...this.#described(this.#docs.type(protoName)), ...known });
      return name;
    }
    const t = this.#schema.type(protoName);
    if (!t) return undefined;
    this.definitions[name] = {}; // placeholder first: types reference themselves (JSONSchemaProps)
    this.definitions[name] = this.#object(t, protoName);
    return name;
  }

  /** Adds a definition built elsewhere (custom resources). */
  add(name: string, definition: Json): void {
    this.definitions[name] = definition;
  }

  /** A property schema that references a definition, with its own description and extensions. */
  refProperty(name: string, extras: Json): Json {
    const ref = { $ref: this.refTo(name) };
    if (Object.keys(extras).length === 0) return ref;
    // OpenAPI 3 ignores siblings of $ref, so upstream wraps the reference in allOf.
    return this.#flavor === 'v3' ? sortKeys({ allOf: [ref], ...extras }) : sortKeys({ ...ref, ...extras });
  }

  #described(description: string | undefined): Json {
    return description ? { description } : {};
  }

  #object(t: ObjectType, protoName: string): Json {
    const properties: Json = {};
    const required: string[] = [];
    const gvks = this.#kinds.get(protoName);
    if (gvks) {
      properties.apiVersion = { description: API_VERSION_DOC, type: 'string' };
      properties.kind = { description: KIND_DOC, type: 'string' };
    }
    for (const f of Object.values(t.fields)) {
      properties[f.name] = this.#property(f, this.#docs.field(protoName, f.name));
      if (!f.optional) required.push(f.name);
    }
    const out: Json = { ...this.#described(this.#docs.type(protoName)), properties: sortKeys(properties) };
    if (required.length > 0) out.required = required;
    out.type = 'object';
    if (gvks) out['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
    if (t.atomic) out['x-kubernetes-map-type'] = 'atomic';
    return out;
  }

  #property(f: FieldSchema, description: string | undefined): Json {
    const extras: Json = this.#described(description);
    const mapType = f.mapType ?? f.structType;
    if (mapType) extras['x-kubernetes-map-type'] = mapType;
    const base = this.#typeSchema(f.type, f.protoType);
    if (typeof base.$ref === 'string') return this.refProperty(base.$ref.slice(base.$ref.lastIndexOf('/') + 1), extras);
    return sortKeys({ ...base, ...extras });
  }

  #typeSchema(t: TypeRef, protoType: string | undefined): Json {
    switch (t.kind) {
      case 'scalar':
        return scalarSchema(t.scalar, protoType);
      case 'object': {
        const name = this.addType(t.type);
        return name ? { $ref: this.refTo(name) } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      }
      case 'map':
        return { additionalProperties: this.#typeSchema(t.value, protoType), type: 'object' };
      case 'list': {
        const out: Json = { items: this.#typeSchema(t.item, protoType), type: 'array' };
        if (t.list.mapKeys) out['x-kubernetes-list-map-keys'] = [...t.list.mapKeys];
        out['x-kubernetes-list-type'] = t.list.listType;
        if (t.list.patchMergeKey) out['x-kubernetes-patch-merge-key'] = t.list.patchMergeKey;
        if (t.list.patchStrategy) out['x-kubernetes-patch-strategy'] = t.list.patchStrategy;
        return out;
      }
      default: {
        const wire = protoType && wellKnown(protoType, this.#flavor) ? protoType : DEFAULT_WELL_KNOWN[t.kind];
        const name = wire ? this.addType(wire) : undefined;
        return name ? { $ref: this.refTo(name) } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      }
    }
  }
}
