/**
 * What a quota's status.used should be, counted from storage (upstream's CalculateUsage): every
 * evaluator that tracks one of the quota's hard resources sums the objects of the namespace that
 * fall under the quota's scopes.
 */
import type { Store } from '../../storage/types.ts';
import { builtinResources } from '../../api/registry/builtin.ts';
import { storagePrefix, type ResourceDef } from '../../api/registry/resource-def.ts';
import {
  LEGACY_COUNT_ALIASES,
  evaluatorFor,
  parseObjectCountName,
  podEvaluator,
  pvcEvaluator,
  quotaScopeSelectors,
  serviceEvaluator,
  type Evaluator,
} from './evaluators.ts';
import { qtyFromInt } from '../../api/quantity.ts';
import { addLists, mask, resourceListFrom, type ResourceList } from './resource-list.ts';

type Obj = Record<string, any>;

/** The evaluators that could track any of these quota resource names. */
export function evaluatorsForNames(names: string[]): Evaluator[] {
  const out = new Map<string, Evaluator>();
  const add = (ev: Evaluator | undefined) => ev && out.set(`${ev.group}/${ev.resource}`, ev);
  for (const ev of [podEvaluator, serviceEvaluator, pvcEvaluator]) if (ev.matchingResources(names).length > 0) add(ev);
  for (const n of names) {
    if (n in LEGACY_COUNT_ALIASES) add(evaluatorFor('', n));
    const gr = parseObjectCountName(n);
    if (gr) add(evaluatorFor(gr.group, gr.resource));
  }
  return [...out.values()];
}

let builtins: Map<string, ResourceDef> | undefined;

/** Where a namespace's objects of group/resource are stored; the same rule as the REST layer's (storagePrefix). */
export function keyPrefixFor(group: string, resource: string, namespace: string): string {
  builtins ??= new Map(builtinResources().map((d) => [`${d.group}/${d.resource}`, d]));
  // Anything not built-in can only be a custom resource, which lives in its own key space.
  const def = builtins.get(`${group}/${resource}`) ?? { group, resource, custom: {} };
  return `${storagePrefix(def)}${namespace}/`;
}

/** Observed usage for the resources of `quota.spec.hard` that some evaluator tracks. */
export async function calculateUsage(store: Store, quota: Obj, now: Date): Promise<ResourceList> {
  const ns = String(quota.metadata?.namespace ?? '');
  const hardNames = Object.keys(resourceListFrom(quota.spec?.hard));
  const selectors = quotaScopeSelectors(quota);
  let usage: ResourceList = {};
  const matched = new Set<string>();
  for (const ev of evaluatorsForNames(hardNames)) {
    const names = ev.matchingResources(hardNames);
    if (names.length === 0) continue;
    for (const n of names) matched.add(n);
    let used: ResourceList = Object.fromEntries(names.map((n) => [n, qtyFromInt(0)]));
    const list = await store.list<Obj>(keyPrefixFor(ev.group, ev.resource, ns));
    for (const item of list.items) {
      if (!selectors.every((s) => ev.matchesScope(s, item.value))) continue;
      used = addLists(used, ev.usage(item.value, now));
    }
    usage = addLists(usage, used);
  }
  return mask(usage, matched);
}
