/**
 * The resource quota controller (upstream pkg/controller/resourcequota) as an API client
 * (system:serviceaccount:kube-system:resourcequota-controller): keeps each quota's status.hard
 * equal to spec.hard and recounts status.used with the admission plugin's evaluators from the
 * shared informers' caches, writing through resourcequotas/status. A quota is recounted when it is
 * new or its spec changed, when a counted object is deleted or releases what it held (a pod
 * finishing, a service changing type...), and on a periodic resync. Creates do not trigger a
 * recount: admission charged them already, and a recount while another create is between its
 * charge and its write would briefly undercount (upstream's replenishment works the same way).
 */
import { evaluatorsForNames } from '../../admission/quota/calculate-usage.ts';
import { quotaScopeSelectors, type Evaluator } from '../../admission/quota/evaluators.ts';
import { qtyFromInt } from '../../api/quantity.ts';
import { addLists, listsEqual, mask, resourceListFrom, resourceListJSON, type ResourceList } from '../../admission/quota/resource-list.ts';
import { objectKey, splitKey } from '../client/keys.ts';
import { resources } from '../client/resources.ts';
import type { Controller, Informer, K8sObject } from '../client/types.ts';
import { newQueueController } from './queue-controller.ts';
import { groupResourceOf, type ResourceDiscovery } from './resource-discovery.ts';
import type { NamespacedControllerDeps } from './service-account.ts';

/** kube-controller-manager's default --resource-quota-sync-period. */
const DEFAULT_RESYNC_MS = 5 * 60_000;

export interface ResourceQuotaControllerDeps extends NamespacedControllerDeps {
  discovery: ResourceDiscovery;
  now: () => Date;
  /** Full recount of every quota this often (ms). */
  resyncMs?: number;
}

/** Whether status lags spec: hard differs, or some hard resource has no usage yet. */
function needsSync(q: K8sObject): boolean {
  const hard = resourceListFrom(q.spec?.hard);
  if (!q.status?.hard || !q.status?.used) return true;
  if (!listsEqual(hard, resourceListFrom(q.status.hard))) return true;
  const used = resourceListFrom(q.status.used);
  return Object.keys(hard).some((k) => !(k in used));
}

export function newResourceQuotaController(d: ResourceQuotaControllerDeps): Controller {
  const quotas = d.informers.informer(resources.resourcequotas);
  const watched = new Set<string>();
  const enqueueNamespace = (ns: string | undefined) => {
    if (ns) for (const q of quotas.byIndex('namespace', ns)) d.queue.add(objectKey(q));
  };
  quotas.addEventHandler({
    add: (q) => d.queue.add(objectKey(q)),
    update: (_old, q) => needsSync(q) && d.queue.add(objectKey(q)),
  });

  /** The informer of an evaluated resource, with its replenishment handler (once per resource). */
  const informerFor = (ev: Evaluator): Informer<K8sObject> | undefined => {
    const gr = groupResourceOf(ev);
    const ref = d.discovery().find((r) => groupResourceOf(r) === gr && r.namespaced);
    if (!ref) return undefined;
    const inf = d.informers.informer<K8sObject>(ref);
    if (!watched.has(gr)) {
      watched.add(gr);
      inf.addEventHandler({
        // Whether a change can have lowered what the object is charged.
        update: (prev, next) => {
          const now = d.now();
          if (!listsEqual(ev.usage(prev, now), ev.usage(next, now))) enqueueNamespace(next.metadata.namespace);
        },
        delete: (o) => enqueueNamespace(o.metadata.namespace),
      });
    }
    return inf;
  };

  /** Observed usage for the quota's hard resources that some evaluator tracks (upstream's CalculateUsage). */
  const observedUsage = async (q: K8sObject): Promise<ResourceList> => {
    const ns = q.metadata.namespace ?? '';
    const hardNames = Object.keys(resourceListFrom(q.spec?.hard));
    const selectors = quotaScopeSelectors(q);
    const now = d.now();
    let usage: ResourceList = {};
    const matched = new Set<string>();
    for (const ev of evaluatorsForNames(hardNames)) {
      const names = ev.matchingResources(hardNames);
      const inf = names.length > 0 ? informerFor(ev) : undefined;
      // A resource nobody serves (yet: a CRD to come) has no usage to observe; it is kept as last observed.
      if (!inf) continue;
      await inf.synced();
      for (const n of names) matched.add(n);
      let used: ResourceList = Object.fromEntries(names.map((n) => [n, qtyFromInt(0)]));
      for (const o of inf.byIndex('namespace', ns)) {
        if (selectors.every((s) => ev.matchesScope(s, o))) used = addLists(used, ev.usage(o, now));
      }
      usage = addLists(usage, used);
    }
    return mask(usage, matched);
  };

  const sync = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const q = quotas.get(namespace, name);
    if (!q) return;
    const hard = resourceListFrom(q.spec?.hard);
    const observed = await observedUsage(q);
    // Usage of resources no evaluator tracks is kept as last observed.
    const used = { ...mask(resourceListFrom(q.status?.used), Object.keys(hard)), ...observed };
    if (!needsSync(q) && listsEqual(used, resourceListFrom(q.status?.used))) return;
    const next = { ...structuredClone(q), status: { hard: resourceListJSON(hard), used: resourceListJSON(used) } };
    // A conflict (admission charged meanwhile) is retried by the queue, against the newer quota.
    await d.client.update(resources.resourcequotas, namespace, next, 'status');
  };

  const inner = newQueueController({ name: 'resourcequota-controller', queue: d.queue, waitFor: [quotas], sync, log: d.log });
  let resync: ReturnType<typeof setInterval> | undefined;
  return {
    name: inner.name,
    run(workers) {
      inner.run(workers);
      resync = setInterval(() => {
        for (const q of quotas.list()) d.queue.add(objectKey(q));
      }, d.resyncMs ?? DEFAULT_RESYNC_MS);
      resync.unref?.();
    },
    async stop() {
      clearInterval(resync);
      await inner.stop();
    },
  };
}
