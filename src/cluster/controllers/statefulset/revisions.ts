/**
 * The StatefulSet's history (stateful_set_control.go getStatefulSetRevisions, truncateHistory):
 * the update revision is the set's template now, the current revision is status.currentRevision
 * (or the update revision for a new set). A template equal to an older revision rolls back to it
 * by renumbering that revision instead of creating a new one.
 */
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { isNotFound } from '../../client/errors.ts';
import {
  CONTROLLER_REVISIONS, createControllerRevision, equalRevision, findEqualRevisions, newControllerRevision, nextRevision,
  setRevisionNumber, sortRevisions, templatePatch, type ControllerRevision,
} from '../history.ts';
import type { Pod } from '../pod-util.ts';
import { podRevision } from './identity.ts';
import { STATEFUL_SETS } from './resources.ts';

export interface SetRevisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

/** `revisions` are the set's own (claimed), sorted by sortRevisions. */
export async function getStatefulSetRevisions(client: ApiClient, set: K8sObject, revisions: ControllerRevision[]): Promise<SetRevisions> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const candidate = newControllerRevision(set, STATEFUL_SETS, templatePatch(set), nextRevision(revisions), collisionCount);
  const equal = findEqualRevisions(revisions, candidate);
  let update: ControllerRevision;
  const last = revisions[revisions.length - 1];
  if (equal.length > 0 && equalRevision(last, equal[equal.length - 1])) {
    update = last!;
  } else if (equal.length > 0) {
    update = await setRevisionNumber(client, equal[equal.length - 1]!, candidate.revision!);
  } else {
    const created = await createControllerRevision(client, set, candidate, collisionCount);
    update = created.revision;
    collisionCount = created.collisionCount;
  }
  const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/**
 * truncateHistory: revisions neither current, update nor worn by a pod are history; the oldest of
 * them are deleted until revisionHistoryLimit (default 10) remain.
 */
export async function truncateHistory(client: ApiClient, set: K8sObject, pods: readonly Pod[], revisions: ControllerRevision[], live: readonly (ControllerRevision | undefined)[]): Promise<void> {
  const keep = new Set<string>(live.filter((r): r is ControllerRevision => !!r).map((r) => r.metadata.name!));
  for (const p of pods) keep.add(podRevision(p));
  const history = sortRevisions(revisions.filter((r) => !keep.has(r.metadata.name!)));
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  if (limit < 0 || history.length <= limit) return;
  for (const r of history.slice(0, history.length - limit)) {
    try {
      await client.delete(CONTROLLER_REVISIONS, r.metadata.namespace ?? '', r.metadata.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
