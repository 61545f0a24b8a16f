import { storagePrefix } from '../../api/registry/resource-def.ts';
import type { RestContext } from '../../server/rest/context.ts';
import { rfc3339 } from '../../api/time.ts';
import { mutate, type Obj } from './store-ops.ts';

const NAMESPACE_PREFIX = '/registry/core/namespaces/';
const FINALIZER_KUBERNETES = 'kubernetes';
const RETRY_MS = 500;

/**
 * The namespace controller: when a namespace is terminating, delete everything in it (objects
 * with finalizers are marked for deletion and awaited), then drop the `kubernetes` finalizer from
 * spec.finalizers so the namespace itself goes away.
 */
export function startNamespaceController(ctx: RestContext): () => void {
  const terminating = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const kick = (delay = 0) => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void pass().catch((err) => ctx.log.error({ err }, 'namespace controller pass failed'));
    }, delay);
  };

  const pass = async () => {
    if (running) return kick(RETRY_MS);
    running = true;
    try {
      for (const ns of [...terminating]) {
        const remaining = await deleteContent(ns);
        if (remaining > 0) continue;
        await mutate(ctx.store, NAMESPACE_PREFIX + ns, (o) => {
          const fins = (o.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER_KUBERNETES);
          return { ...o, spec: { ...(o.spec ?? {}), finalizers: fins } };
        });
        terminating.delete(ns);
      }
    } finally {
      running = false;
    }
    if (terminating.size > 0) kick(RETRY_MS);
  };

  const deleteContent = async (ns: string): Promise<number> => {
    let remaining = 0;
    for (const def of ctx.registry.all()) {
      if (!def.namespaced) continue;
      const list = await ctx.store.list<Obj>(`${storagePrefix(def)}${ns}/`);
      remaining += list.items.length;
      for (const item of list.items) {
        await mutate(ctx.store, item.key, (o) => {
          if (o.metadata.deletionTimestamp && !(o.metadata.deletionGracePeriodSeconds > 0)) return undefined;
          if (!(o.metadata.finalizers?.length > 0)) return 'delete';
          return { ...o, metadata: { ...o.metadata, deletionTimestamp: o.metadata.deletionTimestamp ?? rfc3339(ctx.now()), deletionGracePeriodSeconds: 0 } };
        });
      }
    }
    return remaining;
  };

  const consider = (o: Obj | undefined) => {
    if (!o?.metadata?.deletionTimestamp) return;
    if (!(o.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return;
    terminating.add(o.metadata.name);
    kick();
  };

  let watcher: { close(): void } | undefined;
  void (async () => {
    const list = await ctx.store.list<Obj>(NAMESPACE_PREFIX);
    for (const i of list.items) consider(i.value);
    if (stopped) return;
    watcher = ctx.store.watch<Obj>(NAMESPACE_PREFIX, list.revision, {
      onEvent: (e) => {
        if (e.type !== 'DELETED') consider(e.value);
        else terminating.delete(e.value?.metadata?.name);
      },
    });
  })().catch((err) => ctx.log.error({ err }, 'namespace controller failed to start'));

  return () => {
    stopped = true;
    watcher?.close();
    if (timer) clearTimeout(timer);
  };
}
