/**
 * ComponentStatus (core/v1, deprecated upstream but still served by 1.33): read-only, computed on
 * each read, never stored. Upstream probes etcd and the scheduler's and controller manager's
 * /healthz; here the conditions say only what this process can know:
 * - etcd-0: whether the store answers a read now;
 * - controller-manager: the embedded controllers run inside this process and expose no health
 *   endpoint of their own, so their health is Unknown rather than guessed;
 * - scheduler: there is no scheduler in this control plane yet, so it is Unhealthy.
 */
import { notFound } from '../../../api/errors.ts';
import { tableFor } from '../../../api/printers/index.ts';
import { builtinPrefix, groupVersion } from '../../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { groupResource, type K8sObject } from '../objects.ts';
import { selectionFromQuery } from '../selection.ts';
import { tableRequest } from '../table-request.ts';

interface Health {
  status: 'True' | 'False' | 'Unknown';
  message?: string;
  error?: string;
}

type Probe = (ctx: RestContext) => Promise<Health>;

/** A read of a prefix that holds nothing: it exercises the store without returning data. */
const etcdProbe: Probe = async (ctx) => {
  try {
    await ctx.store.list(builtinPrefix('', 'componentstatuses'), { limit: 1 });
    return { status: 'True', message: 'ok' };
  } catch (err) {
    return { status: 'False', error: `the store did not answer a read: ${err instanceof Error ? err.message : String(err)}` };
  }
};

/** In upstream's order (the map iteration of its server list is sorted by name). */
const COMPONENTS: ReadonlyArray<[string, Probe]> = [
  ['controller-manager', async () => ({ status: 'Unknown', error: 'the controllers run embedded in the API server and expose no health endpoint' })],
  ['etcd-0', etcdProbe],
  ['scheduler', async () => ({ status: 'False', error: 'no scheduler runs in this control plane' })],
];

function componentStatus(name: string, h: Health): K8sObject {
  const condition: Record<string, string> = { type: 'Healthy', status: h.status };
  if (h.message) condition.message = h.message;
  if (h.error) condition.error = h.error;
  return { kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name }, conditions: [condition] };
}

export async function componentStatuses(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const { def, info } = req;
  // Upstream marks the resource deprecated; clients print this warning.
  req.warnings.push('v1 ComponentStatus is deprecated in v1.19+');
  const wanted = info.verb === 'get' ? COMPONENTS.filter(([n]) => n === info.name) : COMPONENTS;
  if (info.verb === 'get' && wanted.length === 0) throw notFound(groupResource(def), info.name);
  const all = await Promise.all(wanted.map(async ([n, probe]) => componentStatus(n, await probe(ctx))));
  const selection = selectionFromQuery(def, req.query);
  const items = info.verb === 'list' ? all.filter((o) => selection.matches(o)) : all;
  const table = tableRequest(req);
  if (table) {
    const listMeta = info.verb === 'list' ? { resourceVersion: '' } : undefined;
    return { code: 200, body: tableFor(def, items, { now: ctx.now(), includeObject: table.includeObject, version: table.version, listMeta }), contentType: table.contentType };
  }
  if (info.verb === 'get') return { code: 200, body: items[0] };
  return { code: 200, body: { kind: def.listKind, apiVersion: groupVersion(def), metadata: {}, items } };
}
