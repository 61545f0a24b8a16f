import { storagePrefix } from '../../api/registry/resource-def.ts';
import type { RestContext } from '../../server/rest/context.ts';
import { rfc3339 } from '../../api/time.ts';
import { mutate, type Obj } from './store-ops.ts';
import { createKeyQueue, type KeyQueueOptions, type SyncResult } from './key-queue.ts';

const NAMESPACE_PREFIX = '/registry/core/namespaces/';
const FINALIZER_KUBERNETES = 'kubernetes';

/**
 * The namespace controller: when a namespace is terminating, delete everything in it (objects
 * with finalizers are marked for deletion and awaited), then drop the `kubernetes` finalizer from
 * spec.finalizers so the namespace itself goes away.
 *
 * Each namespace is its own key, and each object in it is handled on its own: an object that
 * cannot be deleted is logged by key and retried with backoff, without holding up the rest of its
 * namespace or any other namespace.
 */
export function startNamespaceController(ctx: RestContext, opts: KeyQueueOptions = {}): () => void {
  let stopped = false;

  const sync = async (ns: string): Promise<SyncResult> => {
    const cur = await ctx.store.get<Obj>(NAMESPACE_PREFIX + ns);
    if (!cur || !isTerminating(cur.value)) return;
    const { remaining, failures } = await deleteContent(ns);
    if (failures.length > 0) {
      throw new AggregateError(failures.map((f) => f.err), `namespace ${ns}: cannot delete ${failures.map((f) => f.key).join(', ')}`);
    }
    if (remaining > 0) return 'requeue';
    await mutate(ctx.store, NAMESPACE_PREFIX + ns, (o) => {
      const fins = (o.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER_KUBERNETES);
      return { ...o, spec: { ...(o.spec ?? {}), finalizers: fins } };
    });
  };

  const queue = createKeyQueue('namespace controller', sync, ctx.log, opts);

  const deleteContent = async (ns: string): Promise<{ remaining: number; failures: Array<{ key: string; err: unknown }> }> => {
    let remaining = 0;
    const failures: Array<{ key: string; err: unknown }> = [];
    for (const def of ctx.registry.all()) {
      if (!def.namespaced) continue;
      const list = await ctx.store.list<Obj>(`${storagePrefix(def)}${ns}/`);
      remaining += list.items.length;
      for (const item of list.items) {
        try {
          await mutate(ctx.store, item.key, (o) => {
            if (o.metadata.deletionTimestamp && !(o.metadata.deletionGracePeriodSeconds > 0)) return undefined;
            if (!(o.metadata.finalizers?.length > 0)) return 'delete';
            return { ...o, metadata: { ...o.metadata, deletionTimestamp: o.metadata.deletionTimestamp ?? rfc3339(ctx.now()), deletionGracePeriodSeconds: 0 } };
          });
        } catch (err) {
          failures.push({ key: item.key, err });
        }
      }
    }
    return { remaining, failures };
  };

  const consider = (name: unknown, o: unknown) => {
    if (typeof name !== 'string' || name === '') return;
    if (isTerminating(o)) queue.add(name);
  };

  let watcher: { close(): void } | undefined;
  void (async () => {
    const list = await ctx.store.list<Obj>(NAMESPACE_PREFIX);
    for (const i of list.items) consider(i.key.slice(NAMESPACE_PREFIX.length), i.value);
    if (stopped) return;
    watcher = ctx.store.watch<Obj>(NAMESPACE_PREFIX, list.revision, {
      onEvent: (e) => {
        const name = e.key.slice(NAMESPACE_PREFIX.length);
        if (e.type !== 'DELETED') consider(name, e.value);
        else queue.forget(name);
      },
    });
  })().catch((err) => ctx.log.error({ err }, 'namespace controller failed to start'));

  return () => {
    stopped = true;
    watcher?.close();
    queue.stop();
  };
}

function isTerminating(o: unknown): boolean {
  const v = o as Obj | null | undefined;
  if (!v || typeof v !== 'object' || !v.metadata?.deletionTimestamp) return false;
  const fins = v.spec?.finalizers;
  return Array.isArray(fins) && fins.includes(FINALIZER_KUBERNETES);
}
