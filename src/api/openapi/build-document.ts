/**
 * One OpenAPI document (3.0 for one group version, or Swagger 2.0 for everything served) from
 * the served resources, the built-in schema and the docs.
 */
import type { ResourceDef } from '../registry/resource-def.ts';
import type { GroupVersionKind, Schema } from '../schema/types.ts';
import { addCustomDefinitions } from './custom-definitions.ts';
import { DefinitionSet, type Flavor, type Json } from './definitions.ts';
import type { Docs } from './docs.ts';
import { definitionName, operationTag } from './names.ts';
import { resourcePaths, SCALE_GVK, type ResourceDefinitions } from './operations.ts';
import { renderPath } from './render-paths.ts';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const SCALE_TYPE = 'k8s.io.api.autoscaling.v1.Scale';
/** Meta kinds every group version can return; upstream tags them with each group version. */
const META_KINDS = ['Status', 'DeleteOptions', 'WatchEvent'];

function push(m: Map<string, GroupVersionKind[]>, type: string, gvk: GroupVersionKind): void {
  const list = m.get(type) ?? [];
  if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) list.push(gvk);
  m.set(type, list);
}

/** Proto type -> the kinds it is served as, for the x-kubernetes-group-version-kind of definitions. */
function servedKinds(defs: readonly ResourceDef[], schema: Schema): Map<string, GroupVersionKind[]> {
  const out = new Map<string, GroupVersionKind[]>();
  const versions: GroupVersionKind[] = [{ group: '', version: 'v1', kind: '' }];
  for (const d of defs) {
    if (!versions.some((v) => v.group === d.group && v.version === d.version)) versions.push({ group: d.group, version: d.version, kind: '' });
    if (d.scale) push(out, SCALE_TYPE, SCALE_GVK);
    if (d.custom || !d.typeName || !schema.type(d.typeName)) continue;
    push(out, d.typeName, { group: d.group, version: d.version, kind: d.kind });
    const listType = `${d.typeName.slice(0, d.typeName.lastIndexOf('.') + 1)}${d.listKind}`;
    if (schema.type(listType)) push(out, listType, { group: d.group, version: d.version, kind: d.listKind });
  }
  for (const kind of META_KINDS) {
    for (const v of versions.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.version < b.version ? -1 : 1))) push(out, `${META}.${kind}`, { ...v, kind });
  }
  return out;
}

function definitionsFor(d: ResourceDef, set: DefinitionSet, flavor: Flavor): ResourceDefinitions {
  if (d.custom || !d.typeName) return addCustomDefinitions(d, set, flavor);
  const listType = `${d.typeName.slice(0, d.typeName.lastIndexOf('.') + 1)}${d.listKind}`;
  const kind = set.addType(d.typeName);
  if (kind) return { kind, list: set.addType(listType) ?? kind };
  // A built-in kind the generated schema lacks (apiextensions: ../shared/k8s-api has no protos for
  // it). An opaque definition without x-kubernetes-group-version-kind: kubectl then finds no schema
  // for the kind and falls back to its own types, where a schema with no fields would make its
  // client-side apply fail to compute a patch.
  const opaque = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const names = { kind: definitionName(d.typeName), list: definitionName(listType) };
  set.add(names.kind, opaque);
  set.add(names.list, opaque);
  return names;
}

function sorted(o: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

interface Built {
  definitions: Json;
  paths: Json;
}

function build(defs: readonly ResourceDef[], schema: Schema, docs: Docs, flavor: Flavor): Built {
  const set = new DefinitionSet(schema, docs, flavor, servedKinds(defs, schema));
  for (const kind of [...META_KINDS, 'Patch', 'APIResourceList']) set.addType(`${META}.${kind}`);
  if (defs.some((d) => d.scale)) set.addType(SCALE_TYPE);
  const paths: Json = {};
  const groupVersions = new Map<string, ResourceDef>();
  for (const d of [...defs].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))) {
    groupVersions.set(`${d.group}/${d.version}`, d);
    const names = definitionsFor(d, set, flavor);
    const options = { flavor, refTo: (n: string) => set.refTo(n), strategicMerge: !d.custom };
    for (const item of resourcePaths(d, names)) paths[item.path] = renderPath(item, options);
  }
  for (const d of groupVersions.values()) {
    const base = d.group ? `/apis/${d.group}/${d.version}/` : `/api/${d.version}/`;
    const op = {
      description: 'get available resources',
      id: `get${operationTag(d.group, d.version).replace(/^./, (c) => c.toUpperCase()).replace('_v', 'V')}APIResources`,
    };
    const resources = definitionName(`${META}.APIResourceList`);
    paths[base] =
      flavor === 'v3'
        ? {
            get: {
              description: op.description,
              operationId: op.id,
              responses: {
                '200': { content: Object.fromEntries(['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'].map((m) => [m, { schema: { $ref: set.refTo(resources) } }])), description: 'OK' },
                '401': { description: 'Unauthorized' },
              },
              tags: [operationTag(d.group, d.version)],
            },
          }
        : {
            get: {
              consumes: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
              description: op.description,
              operationId: op.id,
              produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
              responses: { '200': { description: 'OK', schema: { $ref: set.refTo(resources) } }, '401': { description: 'Unauthorized' } },
              schemes: ['https'],
              tags: [operationTag(d.group, d.version)],
            },
          };
  }
  return { definitions: sorted(set.definitions), paths: sorted(paths) };
}

const INFO = { title: 'Kubernetes', version: 'unversioned' };
const BEARER = { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' };

/** The OpenAPI 3.0 document of one group version's resources. */
export function buildV3Document(defs: readonly ResourceDef[], schema: Schema, docs: Docs): Json {
  const { definitions, paths } = build(defs, schema, docs, 'v3');
  return { components: { schemas: definitions, securitySchemes: { BearerToken: BEARER } }, info: INFO, openapi: '3.0.0', paths };
}

/** The Swagger 2.0 document of everything served. */
export function buildV2Document(defs: readonly ResourceDef[], schema: Schema, docs: Docs): Json {
  const { definitions, paths } = build(defs, schema, docs, 'v2');
  return { definitions, info: INFO, paths, security: [{ BearerToken: [] }], securityDefinitions: { BearerToken: BEARER }, swagger: '2.0' };
}
