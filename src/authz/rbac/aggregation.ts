/**
 * ClusterRole aggregation (upstream pkg/controller/clusterroleaggregation): a ClusterRole with
 * aggregationRule.clusterRoleSelectors holds the union of the rules of the ClusterRoles its
 * selectors match. The authorizer reads stored rules only, so this controller is what makes
 * `admin`, `edit` and `view` grant anything.
 */
import { StorageError, type Store, type Watcher } from '../../storage/types.ts';
import { labelSelectorMatches } from './label-selector.ts';
import { RBAC_PREFIX, type PolicyRule, type RoleObject } from './types.ts';

const PREFIX = `${RBAC_PREFIX}clusterroles/`;

/**
 * The rules `target` should hold: for each selector in order, the matching ClusterRoles by
 * name (itself excluded), each of their rules once.
 */
export function aggregateRules(target: RoleObject, all: readonly RoleObject[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const sel of target.aggregationRule?.clusterRoleSelectors ?? []) {
    for (const cr of sorted) {
      if (cr.metadata.name === target.metadata.name || !labelSelectorMatches(sel, cr.metadata.labels)) continue;
      for (const r of cr.rules ?? []) {
        const k = ruleKey(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

/** Semantic equality of rule lists: an absent list equals an empty one, as Go's Semantic.DeepEqual. */
export function sameRules(a: readonly PolicyRule[] | null | undefined, b: readonly PolicyRule[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => ruleKey(r) === ruleKey(y[i]!));
}

function ruleKey(r: PolicyRule): string {
  const f = (xs: string[] | undefined) => xs ?? [];
  return JSON.stringify([f(r.verbs), f(r.apiGroups), f(r.resources), f(r.resourceNames), f(r.nonResourceURLs)]);
}

export type AggregationStore = Pick<Store, 'currentRevision' | 'list' | 'watch' | 'update'>;

export interface AggregationController {
  /** Resolves after the first full pass over the listed ClusterRoles. */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Watches ClusterRoles and rewrites the rules of every aggregated one whose union changed.
 * A write conflict is left to the watch: the newer object arrives and triggers another pass.
 */
export function startClusterRoleAggregation(store: AggregationStore, opts: { onError?: (err: Error) => void } = {}): AggregationController {
  const roles = new Map<string, { value: RoleObject; rev: number }>();
  let watcher: Watcher | undefined;
  let stopped = false;
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const pass = async () => {
    const all = [...roles.values()].map((r) => r.value);
    for (const [key, { value, rev }] of roles) {
      if (stopped) return;
      if (!value.aggregationRule) continue;
      const rules = aggregateRules(value, all);
      if (sameRules(rules, value.rules)) continue;
      try {
        await store.update(key, { ...value, rules }, rev);
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) opts.onError?.(err as Error);
      }
    }
  };
  // Passes never overlap; changes arriving during one are folded into the next.
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    running = running.then(async () => {
      scheduled = false;
      await pass();
    });
  };

  const start = async () => {
    try {
      const rev = store.currentRevision();
      const list = await store.list<RoleObject>(PREFIX, { atRevision: rev });
      if (stopped) return;
      for (const item of list.items) roles.set(item.key, { value: item.value, rev: item.modRevision });
      watcher = store.watch<RoleObject>(PREFIX, rev, {
        onEvent: (e) => {
          if (e.type === 'DELETED') roles.delete(e.key);
          else roles.set(e.key, { value: e.value, rev: e.revision });
          schedule();
        },
        onError: (err) => {
          opts.onError?.(err);
          watcher?.close();
          roles.clear();
          if (!stopped) void start();
        },
      });
      schedule();
      await running;
      resolveReady();
    } catch (err) {
      opts.onError?.(err as Error);
    }
  };
  void start();
  return {
    ready,
    stop() {
      stopped = true;
      watcher?.close();
    },
  };
}
