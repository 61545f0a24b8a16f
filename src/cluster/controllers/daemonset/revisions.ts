/**
 * The DaemonSet's history (daemon_controller.go constructHistory, snapshot, cleanupHistory): the
 * revision whose data is the template now is current (numbered past every other), else a new
 * snapshot `<ds>-<pod-template-hash>` is made; a name taken by other data bumps
 * status.collisionCount and the sync retries. Old revisions no pod wears are trimmed to
 * revisionHistoryLimit.
 */
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { isAlreadyExists, isNotFound } from '../../client/errors.ts';
import { newControllerRef } from '../controller-ref.ts';
import { computeHash } from '../deployment/hash.ts';
import { CONTROLLER_REVISIONS, CONTROLLER_REVISION_HASH_LABEL, maxRevision, sameData, setRevisionNumber, sortRevisions, templatePatch, type ControllerRevision } from '../history.ts';
import type { Pod } from '../pod-util.ts';
import { DAEMON_SETS } from './resources.ts';

const matches = (ds: K8sObject, rev: ControllerRevision): boolean => sameData(rev, { metadata: {}, data: templatePatch(ds) });

/** Returns the current revision and the old ones. */
export async function constructHistory(client: ApiClient, ds: K8sObject, owned: readonly ControllerRevision[]): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
  const ns = ds.metadata.namespace ?? '';
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (let rev of owned) {
    // The hash label is the name when it is missing (no need to recompute a hash that may collide).
    if (!rev.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]) {
      rev = await client.update(CONTROLLER_REVISIONS, ns, { ...structuredClone(rev), metadata: { ...structuredClone(rev.metadata), labels: { ...rev.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: rev.metadata.name } } });
    }
    (matches(ds, rev) ? current : old).push(rev);
  }
  const next = maxRevision(old) + 1;
  if (current.length === 0) return { cur: await snapshot(client, ds, next), old };
  // dedupCurHistories: keep the highest-numbered duplicate.
  sortRevisions(current);
  let cur = current[current.length - 1]!;
  for (const dup of current.slice(0, -1)) {
    try {
      await client.delete(CONTROLLER_REVISIONS, ns, dup.metadata.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if ((cur.revision ?? 0) < next) cur = await setRevisionNumber(client, cur, next);
  return { cur, old };
}

async function snapshot(client: ApiClient, ds: K8sObject, revision: number): Promise<ControllerRevision> {
  const ns = ds.metadata.namespace ?? '';
  const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata.name}-${hash}`,
      namespace: ns,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds, DAEMON_SETS)],
    },
    data: templatePatch(ds),
    revision,
  };
  try {
    return await client.create(CONTROLLER_REVISIONS, ns, rev);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await client.get<ControllerRevision>(CONTROLLER_REVISIONS, ns, rev.metadata.name!);
    if (matches(ds, existing)) return existing;
    // A hash collision: count it on the live object (only if our count was not stale) and retry.
    const live = await client.get(DAEMON_SETS, ns, ds.metadata.name!);
    if ((live.status?.collisionCount ?? 0) !== (ds.status?.collisionCount ?? 0)) {
      throw new Error(`found a stale collision count (${ds.status?.collisionCount ?? 0}, expected ${live.status?.collisionCount ?? 0}) of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`);
    }
    await client.update(DAEMON_SETS, ns, { ...live, status: { ...live.status, collisionCount: (live.status?.collisionCount ?? 0) + 1 } }, 'status');
    throw err;
  }
}

/** cleanupHistory: the oldest revisions no live pod wears go, down to revisionHistoryLimit (default 10). */
export async function cleanupHistory(client: ApiClient, ds: K8sObject, old: ControllerRevision[], pods: readonly Pod[]): Promise<void> {
  let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const liveHashes = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).filter(Boolean));
  for (const rev of sortRevisions([...old])) {
    if (toKill <= 0) break;
    if (liveHashes.has(rev.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL])) continue;
    try {
      await client.delete(CONTROLLER_REVISIONS, rev.metadata.namespace ?? '', rev.metadata.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    toKill--;
  }
}
