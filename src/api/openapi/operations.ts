/**
 * The REST operations of one served resource, in a form neutral to the OpenAPI version: paths,
 * their parameters and operations, each tagged with its action and group-version-kind as upstream
 * does (kubectl finds a kind's PATCH operation by x-kubernetes-group-version-kind and checks it for
 * the fieldValidation parameter before it trusts the server to validate).
 */
import type { GroupVersionKind } from '../schema/types.ts';
import type { ResourceDef } from '../registry/resource-def.ts';
import { operationId, operationTag } from './names.ts';
import type { Param } from './parameters.ts';
import { DELETE_COLLECTION_PARAMS, DELETE_PARAMS, LIST_PARAMS, NAMESPACE_PATH, PATCH_PARAMS, PRETTY, WRITE_PARAMS, namePath } from './parameters.ts';

export const STATUS_DEF = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
export const DELETE_OPTIONS_DEF = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
export const PATCH_DEF = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
export const SCALE_DEF = 'io.k8s.api.autoscaling.v1.Scale';
export const SCALE_GVK: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

export interface Operation {
  method: Method;
  /** x-kubernetes-action */
  action: string;
  id: string;
  description: string;
  tag: string;
  params: readonly Param[];
  /** The request body's definition; a patch body is any of the patch content types. */
  body?: { definition: string; patch?: boolean; required: boolean };
  response: string;
  codes: readonly number[];
  gvk: GroupVersionKind;
  /** List operations also stream watch events. */
  watch?: boolean;
}

export interface PathItem {
  path: string;
  params: readonly Param[];
  ops: Operation[];
}

/** Definition names of what the resource's operations carry. */
export interface ResourceDefinitions {
  kind: string;
  list: string;
}

const CODES = { read: [200], create: [200, 201, 202], replace: [200, 201], patch: [200, 201], delete: [200, 202] } as const;

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

/** The paths of one resource, its subresources included, for the verbs it serves. */
export function resourcePaths(def: ResourceDef, names: ResourceDefinitions): PathItem[] {
  const { group, version, kind, namespaced } = def;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const tag = operationTag(group, version);
  const gvk: GroupVersionKind = { group, version, kind };
  const verbs = new Set(def.verbs);
  const id = (verb: string, suffix = '', ns = namespaced): string => operationId(verb, group, version, ns, kind, suffix);
  const op = (o: Omit<Operation, 'tag' | 'gvk'> & { gvk?: GroupVersionKind }): Operation => ({ tag, gvk, ...o });
  const scope = namespaced ? [NAMESPACE_PATH] : [];
  const collection = namespaced ? `${base}/namespaces/{namespace}/${def.resource}` : `${base}/${def.resource}`;
  const item = `${collection}/{name}`;
  const out: PathItem[] = [];

  const coll: PathItem = { path: collection, params: [...scope, PRETTY], ops: [] };
  if (verbs.has('list')) {
    coll.ops.push(op({ method: 'get', action: 'list', id: id('list'), description: `list or watch objects of kind ${kind}`, params: LIST_PARAMS, response: names.list, codes: CODES.read, watch: true }));
  }
  if (verbs.has('create')) {
    const body = { definition: names.kind, required: true };
    coll.ops.push(op({ method: 'post', action: 'post', id: id('create'), description: `create ${article(kind)} ${kind}`, params: WRITE_PARAMS, body, response: names.kind, codes: CODES.create }));
  }
  if (verbs.has('deletecollection')) {
    const body = { definition: DELETE_OPTIONS_DEF, required: false };
    coll.ops.push(op({ method: 'delete', action: 'deletecollection', id: id('deleteCollection'), description: `delete collection of ${kind}`, params: DELETE_COLLECTION_PARAMS, body, response: STATUS_DEF, codes: CODES.read }));
  }
  if (coll.ops.length > 0) out.push(coll);

  const one: PathItem = { path: item, params: [namePath(kind), ...scope, PRETTY], ops: [] };
  if (verbs.has('get')) one.ops.push(op({ method: 'get', action: 'get', id: id('read'), description: `read the specified ${kind}`, params: [], response: names.kind, codes: CODES.read }));
  if (verbs.has('update')) {
    one.ops.push(op({ method: 'put', action: 'put', id: id('replace'), description: `replace the specified ${kind}`, params: WRITE_PARAMS, body: { definition: names.kind, required: true }, response: names.kind, codes: CODES.replace }));
  }
  if (verbs.has('patch')) {
    const body = { definition: PATCH_DEF, patch: true, required: true };
    one.ops.push(op({ method: 'patch', action: 'patch', id: id('patch'), description: `partially update the specified ${kind}`, params: PATCH_PARAMS, body, response: names.kind, codes: CODES.patch }));
  }
  if (verbs.has('delete')) {
    const body = { definition: DELETE_OPTIONS_DEF, required: false };
    one.ops.push(op({ method: 'delete', action: 'delete', id: id('delete'), description: `delete ${article(kind)} ${kind}`, params: DELETE_PARAMS, body, response: STATUS_DEF, codes: CODES.delete }));
  }
  if (one.ops.length > 0) out.push(one);

  if (namespaced && verbs.has('list')) {
    const all = `${base}/${def.resource}`;
    const params = [...LIST_PARAMS, PRETTY].sort((a, b) => (a.name < b.name ? -1 : 1));
    const ops = [op({ method: 'get', action: 'list', id: id('list', 'ForAllNamespaces', false), description: `list or watch objects of kind ${kind}`, params: [], response: names.list, codes: CODES.read, watch: true })];
    out.push({ path: all, params, ops });
  }

  const sub = (name: string, word: string, response: string, subGvk: GroupVersionKind, methods: Method[]): void => {
    const params = [namePath(subGvk.kind), ...scope, PRETTY];
    const suffix = word.charAt(0).toUpperCase() + word.slice(1);
    const ops: Operation[] = [];
    const o = (x: Omit<Operation, 'tag' | 'gvk'>): Operation => op({ ...x, gvk: subGvk });
    if (methods.includes('get')) ops.push(o({ method: 'get', action: 'get', id: id('read', suffix), description: `read ${word} of the specified ${kind}`, params: [], response, codes: CODES.read }));
    if (methods.includes('put')) {
      ops.push(o({ method: 'put', action: 'put', id: id('replace', suffix), description: `replace ${word} of the specified ${kind}`, params: WRITE_PARAMS, body: { definition: response, required: true }, response, codes: CODES.replace }));
    }
    if (methods.includes('patch')) {
      const body = { definition: PATCH_DEF, patch: true, required: true };
      ops.push(o({ method: 'patch', action: 'patch', id: id('patch', suffix), description: `partially update ${word} of the specified ${kind}`, params: PATCH_PARAMS, body, response, codes: CODES.patch }));
    }
    out.push({ path: `${item}/${name}`, params, ops });
  };
  if (def.status) sub('status', 'status', names.kind, gvk, ['get', 'put', 'patch']);
  if (def.scale) sub('scale', 'scale', SCALE_DEF, SCALE_GVK, ['get', 'put', 'patch']);
  for (const x of def.extraSubresources ?? []) {
    // What discovery says these serve: finalize and approval are updates, ephemeralcontainers and resize read and write, the others reads.
    sub(x, x, names.kind, gvk, x === 'finalize' || x === 'approval' ? ['put'] : x === 'ephemeralcontainers' || x === 'resize' ? ['get', 'put', 'patch'] : ['get']);
  }
  return out;
}
