/**
 * Definitions of a custom resource and its list, from the CRD version's openAPIV3Schema, shaped
 * as upstream's CRD OpenAPI builder does: apiVersion and kind added, metadata referring to
 * ObjectMeta, the group-version-kind extension on both. Swagger 2.0 cannot say what OpenAPI 3
 * value validations say (nullable, oneOf, anyOf, allOf, not), so the v2 form leaves them out.
 */
import type { ResourceDef } from '../registry/resource-def.ts';
import { API_VERSION_DOC, KIND_DOC, type DefinitionSet, type Flavor, type Json } from './definitions.ts';
import { customDefinitionName, definitionName } from './names.ts';
import type { ResourceDefinitions } from './operations.ts';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const OBJECT_META_DOC = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_META_DOC = 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const V2_DROPPED = new Set(['nullable', 'oneOf', 'anyOf', 'allOf', 'not']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of a JSON schema fit for the flavor (a fresh copy either way: documents must not share the CRD's objects). */
export function convertSchema(v: unknown, flavor: Flavor): unknown {
  if (Array.isArray(v)) return v.map((x) => convertSchema(x, flavor));
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (flavor === 'v2' && V2_DROPPED.has(k)) continue;
    // `default`, `example` and `enum` hold values, not schemas: copy them as they are.
    out[k] = k === 'default' || k === 'example' || k === 'enum' ? structuredClone(x) : convertSchema(x, flavor);
  }
  return out;
}

function withProperties(schema: Json, properties: Json): Json {
  const merged: Json = { ...(isObject(schema.properties) ? schema.properties : {}), ...properties };
  const sorted: Json = {};
  for (const k of Object.keys(merged).sort()) sorted[k] = merged[k];
  return { ...schema, properties: sorted };
}

export function addCustomDefinitions(def: ResourceDef, set: DefinitionSet, flavor: Flavor): ResourceDefinitions {
  const kind = customDefinitionName(def.group, def.version, def.kind);
  const list = customDefinitionName(def.group, def.version, def.listKind);
  const objectMeta = set.addType(`${META}.ObjectMeta`) ?? definitionName(`${META}.ObjectMeta`);
  const listMeta = set.addType(`${META}.ListMeta`) ?? definitionName(`${META}.ListMeta`);
  const raw = def.custom?.schema;
  const base: Json = isObject(raw) ? (convertSchema(raw, flavor) as Json) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const gvk = (k: string): Json[] => [{ group: def.group, kind: k, version: def.version }];
  const typeProps: Json = {
    apiVersion: { description: API_VERSION_DOC, type: 'string' },
    kind: { description: KIND_DOC, type: 'string' },
  };
  set.add(kind, {
    ...withProperties(base, { ...typeProps, metadata: set.refProperty(objectMeta, { description: OBJECT_META_DOC }) }),
    type: 'object',
    'x-kubernetes-group-version-kind': gvk(def.kind),
  });
  set.add(list, {
    description: `${def.listKind} is a list of ${def.kind}`,
    properties: {
      apiVersion: typeProps.apiVersion,
      items: {
        description: `List of ${def.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: set.refTo(kind) },
        type: 'array',
      },
      kind: typeProps.kind,
      metadata: set.refProperty(listMeta, { description: LIST_META_DOC }),
    },
    required: ['items'],
    type: 'object',
    'x-kubernetes-group-version-kind': gvk(def.listKind),
  });
  return { kind, list };
}
