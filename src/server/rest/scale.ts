import { badRequest, notFound } from '../../api/errors.ts';
import { applyPatch } from '../../api/patch/index.ts';
import { mediaType, PATCH_MEDIA_TYPES, unsupportedMediaType } from '../../api/codecs/decode-body.ts';
import { objectKey, type ResourceDef } from '../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { decodeObject, dryRunFrom, header } from './decode-object.ts';
import { groupResource, toApiObject, type K8sObject } from './objects.ts';
import { guaranteedUpdate } from './update.ts';
import { cloneJson } from '../../api/patch/json-value.ts';

/** The autoscaling/v1 Scale view of an object with a scale subresource. */
export function toScale(def: ResourceDef, obj: K8sObject): K8sObject {
  const info = def.scale!;
  const spec = readPath(obj, info.specReplicasPath);
  const status = readPath(obj, info.statusReplicasPath);
  const metadata: Record<string, unknown> = {
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    creationTimestamp: obj.metadata.creationTimestamp,
  };
  if (def.namespaced) metadata.namespace = obj.metadata.namespace;
  const scale: K8sObject = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: typeof spec === 'number' ? spec : 0 },
    status: { replicas: typeof status === 'number' ? status : 0 },
  };
  // A ReplicationController's selector is a plain label set, not a LabelSelector.
  const specSelector = def.group === '' && def.kind === 'ReplicationController' ? { matchLabels: obj.spec?.selector ?? {} } : obj.spec?.selector;
  const selector = def.custom ? readPath(obj, info.labelSelectorPath ?? '') : specSelector ? selectorString(specSelector) : undefined;
  if (typeof selector === 'string' && selector) scale.status.selector = selector;
  return scale;
}

/** metav1.LabelSelector to its string form (as upstream's LabelSelectorAsSelector(...).String()). */
export function selectorString(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

function readPath(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const seg of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[seg];
  }
  return cur;
}

function writePath(obj: Record<string, any>, path: string, value: unknown): void {
  const segs = path.split('.').filter(Boolean);
  let cur = obj;
  for (const s of segs.slice(0, -1)) {
    if (cur[s] === null || typeof cur[s] !== 'object') cur[s] = {};
    cur = cur[s];
  }
  cur[segs[segs.length - 1]!] = value;
}

export async function getScale(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const s = await ctx.store.get<K8sObject>(objectKey(req.def, req.info.namespace, req.info.name));
  if (!s) throw notFound(groupResource(req.def), req.info.name);
  return { code: 200, body: toScale(req.def, toApiObject(req.def, s)) };
}

/** PUT or PATCH of /scale: compute the new Scale, then write its replicas into the parent. */
export async function writeScale(ctx: RestContext, req: RestRequest, method: 'update' | 'patch'): Promise<RestResponse> {
  const def = req.def;
  const dryRun = dryRunFrom(req.query.getAll('dryRun'));
  let scaleBody: K8sObject | undefined;
  const mt = mediaType(header(req, 'content-type'));
  if (method === 'update') scaleBody = decodeObject(ctx, req, { apiVersion: 'autoscaling/v1', kind: 'Scale' });
  else if (!PATCH_MEDIA_TYPES.includes(mt) || mt === 'application/apply-patch+yaml') throw unsupportedMediaType(PATCH_MEDIA_TYPES.filter((m) => m !== 'application/apply-patch+yaml'));
  const res = await guaranteedUpdate(ctx, req, {
    subresource: 'scale',
    dryRun,
    tryUpdate: (current) => {
      const cur = current!;
      const scale = scaleBody ?? (applyPatch(mt, toScale(def, cur), req.body ?? Buffer.alloc(0), {}) as K8sObject);
      const replicas = scale.spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('spec.replicas must be an integer');
      const next = cloneJson(cur);
      writePath(next, def.scale!.specReplicasPath, replicas);
      const pinned = scale.metadata?.resourceVersion;
      if (scaleBody && pinned) next.metadata.resourceVersion = pinned;
      else delete next.metadata.resourceVersion;
      return next;
    },
  });
  return { code: res.code, body: toScale(def, res.body as K8sObject) };
}
