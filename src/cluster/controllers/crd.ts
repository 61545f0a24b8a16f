import type { RestContext } from '../../server/rest/context.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { ALL_VERBS, storagePrefix } from '../../api/registry/resource-def.ts';
import { crdAcceptedStatus } from '../../api/crd/crd-status.ts';
import { crdVersionInfo, customResourceValidator } from '../../api/crd/crd-validator.ts';
import { rfc3339 } from '../../api/time.ts';
import { crdPrinterColumns } from '../../api/printers/index.ts';
import { mutate, type Obj } from './store-ops.ts';
import { jsonEqual } from '../../api/json-equal.ts';

const CRD_PREFIX = '/registry/apiextensions.k8s.io/customresourcedefinitions/';

/** The resources a CRD serves, one per served version. */
export function crdResourceDefs(crd: Obj): ResourceDef[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const out: ResourceDef[] = [];
  for (const v of spec.versions ?? []) {
    if (!v.served) continue;
    const info = crdVersionInfo(crd, v.name);
    out.push({
      group: spec.group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      resource: names.plural,
      singular: names.singular ?? String(names.kind).toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: [...ALL_VERBS],
      status: info.statusSubresource,
      scale: info.scale,
      nameRule: 'subdomain',
      generation: true,
      fieldLabels: () => ({}),
      custom: { crdName: crd.metadata.name, schema: info.schema, validate: customResourceValidator(crd, v.name), printerColumns: crdPrinterColumns(crd, v.name) } as ResourceDef['custom'],
    });
  }
  return out;
}

/** Custom resources do not outlive their definition (upstream's customresourcecleanup finalizer). */
async function purgeAll(ctx: RestContext, prefix: string): Promise<void> {
  const list = await ctx.store.list<Obj>(prefix);
  for (const item of list.items) await mutate(ctx.store, item.key, () => 'delete');
}

/**
 * Serves custom resources: every CRD's served versions are registered in the registry (and
 * removed when the CRD goes), and an accepted CRD gets its Established status.
 */
export function startCrdController(ctx: RestContext): () => void {
  const served = new Map<string, ResourceDef[]>();
  let stopped = false;

  const apply = (name: string, crd: Obj | undefined) => {
    const previous = served.get(name) ?? [];
    for (const d of previous) ctx.registry.remove(d.group, d.version, d.resource);
    served.delete(name);
    if (!crd && previous[0]) void purge(storagePrefix(previous[0]));
    if (!crd || crd.metadata.deletionTimestamp) return;
    let defs: ResourceDef[];
    try {
      defs = crdResourceDefs(crd);
    } catch (err) {
      ctx.log.warn({ err, crd: name }, 'cannot serve custom resource definition');
      return;
    }
    for (const d of defs) ctx.registry.add(d);
    served.set(name, defs);
    const status = crdAcceptedStatus(crd, rfc3339(ctx.now()));
    const conds = (s: unknown) => ((s as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? []).map((c) => [c.type, c.status]);
    if (!jsonEqual(conds(crd.status), conds(status)) || !jsonEqual((crd.status as Obj | undefined)?.acceptedNames, (status as unknown as Obj).acceptedNames)) {
      void mutate(ctx.store, CRD_PREFIX + name, (o) => ({ ...o, status })).catch((err) => ctx.log.error({ err }, 'crd status update failed'));
    }
  };

  const purge = (prefix: string) => purgeAll(ctx, prefix).catch((err) => ctx.log.error({ err }, 'custom resource cleanup failed'));
  let watcher: { close(): void } | undefined;
  const ready = (async () => {
    const list = await ctx.store.list<Obj>(CRD_PREFIX);
    for (const i of list.items) apply(i.value.metadata.name, i.value);
    if (stopped) return;
    watcher = ctx.store.watch<Obj>(CRD_PREFIX, list.revision, {
      onEvent: (e) => apply(e.value?.metadata?.name, e.type === 'DELETED' ? undefined : e.value),
    });
  })();
  ready.catch((err) => ctx.log.error({ err }, 'crd controller failed to start'));

  return () => {
    stopped = true;
    watcher?.close();
  };
}
