/** Paths of the neutral operation model (operations.ts) written as OpenAPI 3.0 or Swagger 2.0. */
import type { Flavor, Json } from './definitions.ts';
import type { Operation, PathItem } from './operations.ts';
import type { Param } from './parameters.ts';

const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_MEDIA = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_MEDIA = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const CODE_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

export interface RenderOptions {
  flavor: Flavor;
  refTo: (definition: string) => string;
  /** Custom resources take no strategic merge patch. */
  strategicMerge: boolean;
}

function param(p: Param, flavor: Flavor): Json {
  const out: Json = { description: p.description, in: p.in, name: p.name };
  if (p.required) out.required = true;
  if (flavor === 'v3') out.schema = { type: p.type, uniqueItems: true };
  else Object.assign(out, { type: p.type, uniqueItems: true });
  return out;
}

function patchMedia(o: RenderOptions): string[] {
  return o.strategicMerge ? PATCH_MEDIA : PATCH_MEDIA.filter((m) => m !== 'application/strategic-merge-patch+json');
}

function produces(op: Operation): string[] {
  return op.watch ? [...MEDIA.slice(0, 1), WATCH_MEDIA[0]!, ...MEDIA.slice(1), WATCH_MEDIA[1]!].sort() : [...MEDIA].sort();
}

function v3Operation(op: Operation, o: RenderOptions): Json {
  const out: Json = { description: op.description, operationId: op.id };
  if (op.params.length > 0) out.parameters = op.params.map((p) => param(p, 'v3'));
  if (op.body) {
    const schema = { $ref: o.refTo(op.body.definition) };
    const media = op.body.patch ? patchMedia(o) : ['*/*'];
    const content: Json = {};
    for (const m of media) content[m] = { schema };
    out.requestBody = op.body.required ? { content, required: true } : { content };
  }
  const responses: Json = {};
  for (const code of op.codes) {
    const content: Json = {};
    for (const m of produces(op)) content[m] = { schema: { $ref: o.refTo(op.response) } };
    responses[String(code)] = { content, description: CODE_TEXT[code] };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out.tags = [op.tag];
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

function v2Operation(op: Operation, o: RenderOptions): Json {
  const out: Json = { consumes: op.body?.patch ? patchMedia(o) : ['*/*'], description: op.description, operationId: op.id };
  const params: Json[] = [];
  if (op.body) params.push({ in: 'body', name: 'body', ...(op.body.required ? { required: true } : {}), schema: { $ref: o.refTo(op.body.definition) } });
  params.push(...op.params.map((p) => param(p, 'v2')));
  if (params.length > 0) out.parameters = params;
  out.produces = produces(op);
  const responses: Json = {};
  for (const code of op.codes) responses[String(code)] = { description: CODE_TEXT[code], schema: { $ref: o.refTo(op.response) } };
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out.schemes = ['https'];
  out.tags = [op.tag];
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

/** One path item: its operations by method (alphabetical, as upstream's JSON) and shared parameters. */
export function renderPath(item: PathItem, o: RenderOptions): Json {
  const entries: [string, unknown][] = item.ops.map((op) => [op.method, o.flavor === 'v3' ? v3Operation(op, o) : v2Operation(op, o)]);
  if (item.params.length > 0) entries.push(['parameters', item.params.map((p) => param(p, o.flavor))]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
