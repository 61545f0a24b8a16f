import { badRequest, notFound, tooLargeResourceVersion } from '../../api/errors.ts';
import { groupVersion, listPrefix, objectKey } from '../../api/registry/resource-def.ts';
import type { ListOptions } from '../../storage/types.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { groupResource, toApiObject, type K8sObject } from './objects.ts';
import { tableFor } from '../../api/printers/index.ts';
import { tableRequest } from './table-request.ts';
import { apiObjectJson } from './serialize.ts';
import { selectionFromQuery } from './selection.ts';

export async function getObject(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const { def, info } = req;
  // Without a resourceVersion: the latest, as etcd has it (upstream reads etcd by quorum).
  const rv = req.query.get('resourceVersion');
  const s = await ctx.store.get<K8sObject>(objectKey(def, info.namespace, info.name), { consistent: rv === null || rv === '' });
  if (!s) throw notFound(groupResource(def), info.name);
  const table = tableRequest(req);
  if (table) {
    const body = tableFor(def, [toApiObject(def, s)], { now: ctx.now(), includeObject: table.includeObject, version: table.version });
    return { code: 200, body, contentType: table.contentType };
  }
  return { code: 200, body: undefined, raw: apiObjectJson(def, s) };
}

/** Parses a resourceVersion query value: undefined when unset, else a non-negative integer. */
export function parseResourceVersion(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid resource version: ${JSON.stringify(v)}`);
  return Number(v);
}

export async function listObjects(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const { def, info, query } = req;
  const selection = selectionFromQuery(def, query);
  const rv = parseResourceVersion(query.get('resourceVersion'));
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue') ?? '';
  const limitRaw = query.get('limit');
  let limit = 0;
  if (limitRaw !== null && limitRaw !== '') {
    if (!/^-?\d+$/.test(limitRaw)) throw badRequest(`invalid limit: ${JSON.stringify(limitRaw)}`);
    limit = Math.max(0, Number(limitRaw));
  }
  const opts: ListOptions = {};
  if (cont) {
    if (rv !== undefined && rv !== 0) throw badRequest('specifying resource version is not allowed when using continue');
    opts.continue = cont;
  }
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match && rv === undefined) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match === 'Exact') {
    if (rv === 0) throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    opts.atRevision = rv;
  } else if (rv !== undefined && rv > 0) {
    // NotOlderThan (or the legacy unset match): any state at least this fresh; we serve the
    // latest. Newer than this server has seen (written through another one): a consistent read
    // catches up first, and is still too old only if no server wrote it.
    if (rv > ctx.store.currentRevision()) opts.consistent = true;
  } else if (rv === undefined && !cont) {
    // The most recent state (upstream's consistent list).
    opts.consistent = true;
  }
  if (limit > 0) opts.limit = limit;
  if (!selection.everything) opts.predicate = (v: unknown) => selection.matches(v as K8sObject);

  const prefix = listPrefix(def, info.namespace);
  const res = await ctx.store.list<K8sObject>(prefix, opts);
  if (rv !== undefined && match !== 'Exact' && rv > res.revision) throw tooLargeResourceVersion(rv, res.revision);
  const metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(res.revision) };
  if (res.continue) metadata.continue = res.continue;
  if (res.continue && selection.everything && res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
  const table = tableRequest(req);
  if (table) {
    const objects = res.items.map((s) => toApiObject(def, s));
    const body = tableFor(def, objects, { now: ctx.now(), includeObject: table.includeObject, version: table.version, listMeta: metadata });
    return { code: 200, body, contentType: table.contentType };
  }
  // Items are spliced in as already-serialised JSON (see serialize.ts).
  const head = JSON.stringify({ kind: def.listKind, apiVersion: groupVersion(def), metadata }).slice(0, -1);
  const items = res.items.map((s) => apiObjectJson(def, s)).join(',');
  return { code: 200, body: undefined, raw: `${head},"items":[${items}]}` };
}
