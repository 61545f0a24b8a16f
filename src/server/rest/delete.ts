import { badRequest, conflict, notFound } from '../../api/errors.ts';
import { groupVersion, listPrefix, objectKey } from '../../api/registry/resource-def.ts';
import { mediaType, parseJsonBody, parseYamlBody, requireObject } from '../../api/codecs/decode-body.ts';
import { StorageError } from '../../storage/types.ts';
import { successStatus, statusJson } from '../status.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { dryRunFrom, header } from './decode-object.ts';
import { releaseClusterIPs } from './service-ip.ts';
import { releaseNodePorts } from './service-node-ports.ts';
import { groupResource, toApiObject, toStoredValue, type K8sObject } from './objects.ts';
import { admissionAttributes } from './admit.ts';
import { rfc3339 } from '../../api/time.ts';
import { parseResourceVersion } from './read.ts';
import { selectionFromQuery } from './selection.ts';
import { queryBool } from './query-bool.ts';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

/** DeleteOptions from the body (JSON or YAML) and the query, as kubectl and client-go send them. */
export function deleteOptionsFrom(req: RestRequest): DeleteOptions {
  let body: Record<string, any> = {};
  if (req.body && req.body.length > 0) {
    const mt = mediaType(header(req, 'content-type'));
    const text = req.body.toString('utf8');
    body = requireObject(mt === 'application/yaml' ? parseYamlBody(text) : parseJsonBody(text));
  }
  const q = req.query;
  const grace = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
  const policy = q.get('propagationPolicy') ?? body.propagationPolicy;
  const orphan = queryBool(q, 'orphanDependents') ?? body.orphanDependents;
  const opts: DeleteOptions = { dryRun: dryRunFrom([...q.getAll('dryRun'), ...(Array.isArray(body.dryRun) ? body.dryRun : [])]) };
  if (grace !== undefined && grace !== null && grace !== '') {
    const n = Number(grace);
    if (!Number.isInteger(n)) throw badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(grace)}`);
    opts.gracePeriodSeconds = Math.max(0, n);
  }
  if (policy !== undefined && policy !== null && policy !== '') {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
    }
    opts.propagationPolicy = policy;
  }
  if (orphan !== undefined && orphan !== null) {
    if (typeof orphan !== 'boolean') throw badRequest(`json: cannot unmarshal ${typeof orphan} into Go struct field DeleteOptions.orphanDependents of type bool`);
    opts.orphanDependents = orphan;
    if (opts.propagationPolicy) throw badRequest('orphanDependents and propagationPolicy cannot both be set');
  }
  if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions;
  return opts;
}

export async function deleteObject(ctx: RestContext, req: RestRequest, internal?: { admission: false }): Promise<RestResponse> {
  return deleteOne(ctx, req, req.info.namespace, req.info.name, deleteOptionsFrom(req), internal?.admission !== false);
}

/** The default propagation when a client names none (upstream keeps Orphan for batch/v1 Jobs). */
function defaultPolicy(req: RestRequest): 'Orphan' | 'Background' {
  return req.def.group === 'batch' && req.def.kind === 'Job' ? 'Orphan' : 'Background';
}

/** `admission` false: a registry-internal delete (the Eviction API's), which DELETE admission does not see upstream. */
async function deleteOne(ctx: RestContext, req: RestRequest, namespace: string, name: string, opts: DeleteOptions, admission = true): Promise<RestResponse> {
  const { def } = req;
  const gr = groupResource(def);
  const key = objectKey(def, namespace, name);
  // As guaranteedUpdate: a consistent read before answering from a missing object or a failed
  // precondition, and after a conflict (another API server may have written it).
  let fresh = false;
  for (;;) {
    const s = await ctx.store.get<K8sObject>(key, { consistent: fresh });
    const pre = opts.preconditions;
    const obj = s ? toApiObject(def, s) : undefined;
    if (!fresh && (!obj || (pre?.uid && pre.uid !== obj.metadata.uid) || (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion))) {
      fresh = true;
      continue;
    }
    if (!s || !obj) throw notFound(gr, name);
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
    }
    if (admission) await ctx.admission.validate(admissionAttributes(req, 'DELETE', undefined, obj, opts.dryRun, ''), req.admission);

    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : defaultPolicy(req));
    const finalizers: string[] = [...(obj.metadata.finalizers ?? [])];
    const addFinalizer = (f: string) => {
      if (!finalizers.includes(f)) finalizers.push(f);
    };
    const removeFinalizer = (f: string) => {
      const i = finalizers.indexOf(f);
      if (i >= 0) finalizers.splice(i, 1);
    };
    if (policy === 'Orphan') {
      addFinalizer(FINALIZER_ORPHAN);
      removeFinalizer(FINALIZER_FOREGROUND);
    } else if (policy === 'Foreground') {
      addFinalizer(FINALIZER_FOREGROUND);
      removeFinalizer(FINALIZER_ORPHAN);
    } else if (opts.propagationPolicy === 'Background' || opts.orphanDependents === false) {
      removeFinalizer(FINALIZER_ORPHAN);
    }
    const grace = opts.gracePeriodSeconds ?? def.graceful?.(obj) ?? 0;
    const graceful = def.graceful !== undefined && def.graceful(obj) !== undefined && grace > 0;
    const pendingNamespace = def.kind === 'Namespace' && def.group === '' && (obj.spec?.finalizers?.length ?? 0) > 0;

    if (finalizers.length > 0 || graceful || pendingNamespace) {
      const next: K8sObject = structuredClone(obj);
      const now = ctx.now();
      if (!next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        next.metadata.deletionGracePeriodSeconds = graceful ? grace : 0;
      } else if (graceful && grace < (next.metadata.deletionGracePeriodSeconds ?? 0)) {
        next.metadata.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        next.metadata.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length > 0) next.metadata.finalizers = finalizers;
      else delete next.metadata.finalizers;
      if (pendingNamespace) next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      if (opts.dryRun) return { code: 200, body: next };
      try {
        const w = await ctx.store.update<K8sObject>(key, toStoredValue(next, def), s.modRevision);
        return { code: opts.orphanDependents === false ? 202 : 200, body: toApiObject(def, w) };
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Conflict') {
          fresh = true;
          continue;
        }
        throw err;
      }
    }

    if (opts.dryRun) return deletedResponse(req, obj);
    try {
      await ctx.store.delete(key, s.modRevision);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Conflict') {
        fresh = true;
        continue;
      }
      if (err instanceof StorageError && err.code === 'NotFound') throw notFound(gr, name);
      throw err;
    }
    if (def.kind === 'Service' && def.group === '') {
      await releaseClusterIPs(ctx, obj);
      await releaseNodePorts(ctx, obj);
    }
    return deletedResponse(req, obj);
  }
}

/** Pods answer with the deleted object, other kinds with a Success Status, as upstream. */
function deletedResponse(req: RestRequest, obj: K8sObject): RestResponse {
  if (req.def.kind === 'Pod' && req.def.group === '') return { code: 200, body: obj };
  const details: Record<string, string> = { name: String(obj.metadata.name), kind: req.def.resource, uid: String(obj.metadata.uid) };
  if (req.def.group) details.group = req.def.group;
  const status = successStatus(details);
  return { code: 200, body: status, raw: statusJson(status) };
}

/** DELETE on a collection: every object the selectors match, each with the same options. */
export async function deleteCollection(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const opts = deleteOptionsFrom(req);
  const selection = selectionFromQuery(req.def, req.query);
  parseResourceVersion(req.query.get('resourceVersion'));
  const list = await ctx.store.list<K8sObject>(listPrefix(req.def, req.info.namespace), {
    predicate: selection.everything ? undefined : (v) => selection.matches(v as K8sObject),
  });
  for (const item of list.items) {
    const ns = String(item.value.metadata?.namespace ?? '');
    try {
      await deleteOne(ctx, req, ns, String(item.value.metadata.name), opts);
    } catch (err) {
      // Deleted meanwhile by someone else: that is what we wanted.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  // Upstream's Store.DeleteCollection answers with the list it deleted from, as it was listed.
  const items = list.items.map((s) => toApiObject(req.def, s));
  return { code: 200, body: { kind: req.def.listKind, apiVersion: groupVersion(req.def), metadata: { resourceVersion: String(list.revision) }, items } };
}
