/**
 * Bootstrap reconciliation at start (upstream pkg/registry/rbac/reconciliation, in its
 * non-removing mode): create missing bootstrap objects; for existing ones whose autoupdate
 * annotation is not "false", add missing rules, aggregation selectors, subjects, labels and
 * annotations, and recreate a binding whose roleRef differs. Nothing is ever removed.
 */
import { rfc3339 } from '../../api/time.ts';
import { StorageError, type Store } from '../../storage/types.ts';
import { loadBootstrapPolicy, type BootstrapPolicy } from './bootstrap.ts';
import { covers } from './covers.ts';
import { AUTOUPDATE_ANNOTATION, RBAC_PREFIX, type BindingObject, type LabelSelector, type RoleObject, type Subject } from './types.ts';

export interface ReconcileReport {
  created: string[];
  updated: string[];
  recreated: string[];
  /** Out of date but protected by autoupdate: "false". */
  skipped: string[];
}

export type ReconcileStore = Pick<Store, 'get' | 'create' | 'update' | 'delete'>;

export async function reconcileBootstrap(store: ReconcileStore, now: () => Date, newUid: () => string, policy: BootstrapPolicy = loadBootstrapPolicy()): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: [], recreated: [], skipped: [] };
  const stamp = <T extends RoleObject | BindingObject>(obj: T): T => ({ ...obj, metadata: { ...obj.metadata, uid: newUid(), creationTimestamp: rfc3339(now()) } });
  for (const expected of policy.clusterRoles) {
    await reconcileOne(store, `${RBAC_PREFIX}clusterroles/${expected.metadata.name}`, `clusterrole/${expected.metadata.name}`, report, () => stamp(expected), (existing: RoleObject) => reconciledRole(existing, expected));
  }
  for (const expected of policy.clusterRoleBindings) {
    await reconcileOne(store, `${RBAC_PREFIX}clusterrolebindings/${expected.metadata.name}`, `clusterrolebinding/${expected.metadata.name}`, report, () => stamp(expected), (existing: BindingObject) => reconciledBinding(existing, expected));
  }
  // Namespaced ones after the cluster-wide ones, as upstream's PostStartHook does them.
  for (const expected of policy.roles) {
    const at = `${expected.metadata.namespace}/${expected.metadata.name}`;
    await reconcileOne(store, `${RBAC_PREFIX}roles/${at}`, `role/${at}`, report, () => stamp(expected), (existing: RoleObject) => reconciledRole(existing, expected));
  }
  for (const expected of policy.roleBindings) {
    const at = `${expected.metadata.namespace}/${expected.metadata.name}`;
    await reconcileOne(store, `${RBAC_PREFIX}rolebindings/${at}`, `rolebinding/${at}`, report, () => stamp(expected), (existing: BindingObject) => reconciledBinding(existing, expected));
  }
  return report;
}

type Plan<T> = { op: 'none' } | { op: 'update'; value: T } | { op: 'recreate' };

async function reconcileOne<T extends RoleObject | BindingObject>(
  store: ReconcileStore,
  key: string,
  label: string,
  report: ReconcileReport,
  fresh: () => T,
  plan: (existing: T) => Plan<T>,
): Promise<void> {
  // A concurrent writer (another API server starting) makes us look again, a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const cur = await store.get<T>(key);
      if (cur === undefined) {
        await store.create(key, fresh());
        report.created.push(label);
        return;
      }
      const p = plan(cur.value);
      if (p.op === 'none') return;
      if (cur.value.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') {
        report.skipped.push(label);
        return;
      }
      if (p.op === 'update') {
        await store.update(key, p.value, cur.modRevision);
        report.updated.push(label);
      } else {
        await store.delete(key, cur.modRevision);
        await store.create(key, fresh());
        report.recreated.push(label);
      }
      return;
    } catch (err) {
      if (!(err instanceof StorageError) || !['Conflict', 'KeyExists', 'NotFound'].includes(err.code)) throw err;
    }
  }
  throw new Error(`reconciling ${label}: too many conflicting writes`);
}

export function reconciledRole(existing: RoleObject, expected: RoleObject): Plan<RoleObject> {
  const next: RoleObject = { ...existing, metadata: mergedMeta(existing, expected) };
  let changed = !sameJSON(next.metadata, existing.metadata);
  const { missing } = covers(existing.rules ?? [], expected.rules ?? []);
  if (missing.length > 0) {
    next.rules = [...(existing.rules ?? []), ...missing];
    changed = true;
  }
  const want = expected.aggregationRule?.clusterRoleSelectors;
  const have = existing.aggregationRule?.clusterRoleSelectors ?? [];
  if (!expected.aggregationRule && existing.aggregationRule) {
    // Not meant to be aggregated at all: upstream drops the aggregation.
    delete next.aggregationRule;
    changed = true;
  } else if (want) {
    const missingSel = want.filter((s: LabelSelector) => !have.some((h) => sameJSON(h, s)));
    if (missingSel.length > 0 || !existing.aggregationRule) {
      next.aggregationRule = { clusterRoleSelectors: [...have, ...missingSel] };
      changed = true;
    }
  }
  return changed ? { op: 'update', value: next } : { op: 'none' };
}

export function reconciledBinding(existing: BindingObject, expected: BindingObject): Plan<BindingObject> {
  const a = existing.roleRef;
  const b = expected.roleRef;
  if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) return { op: 'recreate' };
  const next: BindingObject = { ...existing, metadata: mergedMeta(existing, expected) };
  let changed = !sameJSON(next.metadata, existing.metadata);
  const have = existing.subjects ?? [];
  const missing = (expected.subjects ?? []).filter((s) => !have.some((h) => sameSubject(h, s)));
  if (missing.length > 0) {
    next.subjects = [...have, ...missing];
    changed = true;
  }
  return changed ? { op: 'update', value: next } : { op: 'none' };
}

/** Expected labels and annotations are added; the stored values win where both set a key. */
function mergedMeta(existing: RoleObject | BindingObject, expected: RoleObject | BindingObject): RoleObject['metadata'] {
  const m = { ...existing.metadata };
  const labels = merge(expected.metadata.labels, existing.metadata.labels);
  const annotations = merge(expected.metadata.annotations, existing.metadata.annotations);
  if (labels) m.labels = labels;
  if (annotations) m.annotations = annotations;
  return m;
}

function merge(...maps: (Record<string, string> | undefined)[]): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const m of maps) if (m) out = { ...(out ?? {}), ...m };
  return out;
}

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === b.kind && (a.apiGroup ?? '') === (b.apiGroup ?? '') && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

function sameJSON(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1))) : x,
  );
}

