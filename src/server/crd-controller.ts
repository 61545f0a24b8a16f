import type { RestContext } from './rest/context.ts';
import type { ResourceDef } from '../api/registry/resource-def.ts';
import { ALL_VERBS, builtinPrefix, customResourcePrefix } from '../api/registry/resource-def.ts';
import { acceptedNames, crdAcceptedStatus } from '../api/crd/crd-status.ts';
import { claimedNames, namingVerdict, type NamingVerdict } from '../api/crd/crd-naming.ts';
import { crdVersionInfo, customResourceValidator } from '../api/crd/crd-validator.ts';
import { rfc3339 } from '../api/time.ts';
import { crdPrinterColumns } from '../api/printers/index.ts';
import { mutate, type Obj } from './store-mutate.ts';
import { jsonEqual } from '../api/json-equal.ts';
import { legacyCustomResourcePrefix, migrateLegacyCustomResources } from '../api/crd/legacy-storage-migration.ts';

const CRD_PREFIX = builtinPrefix('apiextensions.k8s.io', 'customresourcedefinitions');
/** Backoff of a failed legacy storage migration (it is retried until it succeeds: the resource is not served before). */
const MIGRATION_RETRY_MS = [500, 30_000] as const;

/** The resources a CRD serves, one per served version. */
export function crdResourceDefs(crd: Obj): ResourceDef[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const out: ResourceDef[] = [];
  // Objects are read in the schema of the version they were stored in (read-defaults.ts).
  const versionSchemas: Record<string, unknown> = {};
  for (const v of spec.versions ?? []) versionSchemas[v.name] = crdVersionInfo(crd, v.name).schema;
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
      custom: { crdName: crd.metadata.name, schema: info.schema, versionSchemas, validate: customResourceValidator(crd, v.name), printerColumns: crdPrinterColumns(crd, v.name) } as ResourceDef['custom'],
    });
  }
  return out;
}

/**
 * Custom resources do not outlive their definition (upstream's customresourcecleanup finalizer).
 * The prefix is the CRD's own key space (group + plural, which its name fixes), never a built-in's.
 */
async function purgeAll(ctx: RestContext, prefix: string): Promise<void> {
  const list = await ctx.store.list<Obj>(prefix);
  for (const item of list.items) await mutate(ctx.store, item.key, () => 'delete');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The naming controller's verdict for a CRD against the built-ins and the other served CRDs of its group. */
function judgeNames(ctx: RestContext, crd: Obj, served: Map<string, ResourceDef[]>): NamingVerdict {
  const group = str(crd.spec?.group);
  const others = [...served.entries()].filter(([n, defs]) => n !== crd.metadata.name && defs[0]?.group === group).map(([, defs]) => defs[0]!);
  const names = acceptedNames(crd.spec?.names ?? {});
  return namingVerdict(names, crd.status?.acceptedNames, claimedNames(others), claimedNames(ctx.registry.builtinsInGroup(group)));
}

/**
 * Serves custom resources: every CRD's served versions are registered in the registry (and
 * removed when the CRD goes), and a CRD gets the status of upstream's naming, establishing and
 * API-approval controllers. A CRD whose names a built-in or another CRD of its group holds is
 * marked NamesAccepted=False and not served; a version the registry refuses (a built-in
 * group/version) is not served either.
 */
export function startCrdController(ctx: RestContext): () => void {
  const served = new Map<string, ResourceDef[]>();
  /** The latest CRDs, so that those refused for a name can be judged again when the name frees up. */
  const known = new Map<string, Obj>();
  let stopped = false;
  /**
   * Legacy prefixes (group + plural) this process has emptied: an older Portcullis stored custom
   * resources beside the built-ins, and a CRD is first served once its objects are moved (see
   * legacy-storage-migration.ts), so no read misses them. Once per CRD is enough: nothing here
   * writes there. Entries go with their CRD, so this holds at most one per CRD.
   */
  const migrated = new Set<string>();
  const migrating = new Map<string, Promise<void>>();
  /** CRDs whose names were accepted and that wait for their migration: they hold their names meanwhile. */
  const pending = new Map<string, ResourceDef[]>();

  const writeStatus = (name: string, crd: Obj, naming: NamingVerdict) => {
    const status = crdAcceptedStatus(crd, rfc3339(ctx.now()), naming);
    const conds = (s: unknown) => ((s as { conditions?: Array<{ type: string; status: string; reason?: string }> })?.conditions ?? []).map((c) => [c.type, c.status, c.reason]);
    if (!jsonEqual(conds(crd.status), conds(status)) || !jsonEqual((crd.status as Obj | undefined)?.acceptedNames, (status as unknown as Obj).acceptedNames)) {
      void mutate(ctx.store, CRD_PREFIX + name, (o) => ({ ...o, status })).catch((err) => ctx.log.error({ err }, 'crd status update failed'));
    }
  };

  const serve = (name: string, crd: Obj) => {
    const naming = judgeNames(ctx, crd, new Map([...served, ...pending]));
    if (!naming.accepted) {
      ctx.log.warn({ crd: name, reason: naming.reason, message: naming.message }, 'custom resource definition names not accepted');
      writeStatus(name, crd, naming);
      return;
    }
    let defs: ResourceDef[];
    try {
      defs = crdResourceDefs(crd);
    } catch (err) {
      ctx.log.warn({ err, crd: name }, 'cannot serve custom resource definition');
      return;
    }
    const group = str(crd.spec?.group);
    const plural = str(crd.spec?.names?.plural);
    if (defs.length > 0 && !migrated.has(legacyCustomResourcePrefix(group, plural))) {
      pending.set(name, defs);
      migrate(name, group, plural, 0);
      return;
    }
    const added: ResourceDef[] = [];
    for (const d of defs) {
      try {
        ctx.registry.add(d);
        added.push(d);
      } catch (err) {
        ctx.log.warn({ err, crd: name, version: d.version }, 'custom resource version not served');
      }
    }
    served.set(name, added);
    writeStatus(name, crd, naming);
  };

  /** Moves the CRD's legacy objects, then serves it as it is then (it may have changed or gone meanwhile). */
  const migrate = (name: string, group: string, plural: string, attempt: number) => {
    const legacy = legacyCustomResourcePrefix(group, plural);
    if (migrating.has(legacy)) return;
    const builtins = ctx.registry.all().filter((d) => d.custom === undefined);
    const run = migrateLegacyCustomResources(ctx.store, group, plural, builtins).then(
      (r) => {
        migrating.delete(legacy);
        migrated.add(legacy);
        if (r.migrated + r.superseded > 0) {
          ctx.log.info(
            { crd: name, migrated: r.migrated, superseded: r.superseded, from: legacy, to: customResourcePrefix(group, plural) },
            'custom resources moved from the legacy key space shared with built-ins; their resourceVersions changed once, clients relist',
          );
        }
        if (stopped) return;
        const now = known.get(name);
        if (now && !served.has(name)) apply(name, now);
      },
      (err: unknown) => {
        migrating.delete(legacy);
        const delay = Math.min(MIGRATION_RETRY_MS[0] * 2 ** attempt, MIGRATION_RETRY_MS[1]);
        ctx.log.error({ err, crd: name, from: legacy, retryMs: delay }, 'custom resource legacy storage migration failed; the resource is not served until it succeeds');
        if (stopped) return;
        setTimeout(() => {
          const now = known.get(name);
          if (!stopped && now && !served.has(name)) migrate(name, group, plural, attempt + 1);
        }, delay).unref?.();
      },
    ).catch((err: unknown) => ctx.log.error({ err, crd: name }, 'cannot serve custom resource definition'));
    migrating.set(legacy, run);
  };

  const unserve = (name: string) => {
    for (const d of served.get(name) ?? []) ctx.registry.remove(d.group, d.version, d.resource);
    served.delete(name);
    pending.delete(name);
  };

  const apply = (name: string, crd: Obj | undefined, deleted?: Obj) => {
    unserve(name);
    if (!crd) {
      known.delete(name);
      const group = str(deleted?.spec?.group);
      const plural = str(deleted?.spec?.names?.plural);
      // Forgotten with the CRD, so the set holds only live CRDs; a new CRD of these names looks again.
      migrated.delete(legacyCustomResourcePrefix(group, plural));
      // A migration under way may still be moving objects into the prefix: purge once it is done.
      if (group !== '' && plural !== '') void (migrating.get(legacyCustomResourcePrefix(group, plural)) ?? Promise.resolve()).then(() => purge(customResourcePrefix(group, plural)));
      // Names this CRD held may now be free for another CRD of the group.
      for (const [n, other] of known) if (!served.has(n) && !pending.has(n) && str(other.spec?.group) === group) apply(n, other);
      return;
    }
    known.set(name, crd);
    if (crd.metadata.deletionTimestamp) return;
    serve(name, crd);
  };

  const purge = (prefix: string) => purgeAll(ctx, prefix).catch((err) => ctx.log.error({ err }, 'custom resource cleanup failed'));
  let watcher: { close(): void } | undefined;
  const ready = (async () => {
    const list = await ctx.store.list<Obj>(CRD_PREFIX);
    for (const i of list.items) apply(i.value.metadata.name, i.value);
    if (stopped) return;
    watcher = ctx.store.watch<Obj>(CRD_PREFIX, list.revision, {
      onEvent: (e) => apply(e.value?.metadata?.name, e.type === 'DELETED' ? undefined : e.value, e.type === 'DELETED' ? e.value : undefined),
    });
  })();
  ready.catch((err) => ctx.log.error({ err }, 'crd controller failed to start'));

  return () => {
    stopped = true;
    watcher?.close();
  };
}
