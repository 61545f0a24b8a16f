/**
 * Which ReplicaSets of a Deployment are new and old, their orderings and revision annotations
 * (deployment/util/deployment_util.go: FindNewReplicaSet, FindOldReplicaSets, EqualIgnoreHash,
 * SetNewReplicaSetAnnotations, MaxRevision, the ReplicaSetsBy* sorts).
 */
import type { K8sObject } from '../../client/types.ts';
import { parseTime } from '../pod-util.ts';
import { canonicalJson } from './hash.ts';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, maxSurge, replicasOf, setReplicasAnnotations } from './math.ts';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** Longest revision-history annotation (kube-controller-manager's default). */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/** Annotations of the Deployment that are not copied to its ReplicaSets (annotationsToSkip). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

const created = (rs: K8sObject): number => parseTime(rs.metadata.creationTimestamp) ?? 0;

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: K8sObject, b: K8sObject): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: larger first; equal sizes oldest first. */
export const bySizeOlder = (a: K8sObject, b: K8sObject): number => replicasOf(b) - replicasOf(a) || byCreation(a, b);
/** ReplicaSetsBySizeNewer: larger first; equal sizes newest first. */
export const bySizeNewer = (a: K8sObject, b: K8sObject): number => replicasOf(b) - replicasOf(a) || byCreation(b, a);

export function revisionOf(rs: K8sObject): number {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0;
}

/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export const byRevision = (a: K8sObject, b: K8sObject): number => revisionOf(a) - revisionOf(b) || byCreation(a, b);

export const maxRevision = (rss: readonly K8sObject[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

export const filterActive = (rss: readonly (K8sObject | undefined)[]): K8sObject[] => rss.filter((rs): rs is K8sObject => !!rs && replicasOf(rs) > 0);

function withoutHash(template: Record<string, any> | undefined): string {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return canonicalJson(t);
}

/** EqualIgnoreHash: the templates are the same but for the pod-template-hash label. */
export function equalIgnoreHash(a: Record<string, any> | undefined, b: Record<string, any> | undefined): boolean {
  return withoutHash(a) === withoutHash(b);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: K8sObject, rsList: readonly K8sObject[]): K8sObject | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets: every other ReplicaSet. */
export function findOldReplicaSets(d: K8sObject, rsList: readonly K8sObject[]): K8sObject[] {
  const n = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => rs.metadata.uid !== n?.metadata.uid);
}

/** SetNewReplicaSetAnnotations: copies annotations, raises the revision, keeps its history. */
export function setNewReplicaSetAnnotations(d: K8sObject, rs: K8sObject, newRevision: string, exists: boolean): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevision: string | undefined = a[REVISION_ANNOTATION];
  let oldInt = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) return false;
    oldInt = Number(oldRevision);
  }
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    a[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep the old.
  if (oldRevision !== undefined && oldInt < newInt) {
    const history: string = a[REVISION_HISTORY_ANNOTATION] ?? '';
    if (history === '') a[REVISION_HISTORY_ANNOTATION] = oldRevision;
    else {
      const olds = history.split(',');
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < olds.length) total -= olds[start++]!.length + 1;
      if (total <= MAX_REV_HISTORY_LENGTH_IN_CHARS) a[REVISION_HISTORY_ANNOTATION] = [...olds.slice(start), oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetDeploymentRevision. */
export function setDeploymentRevision(d: K8sObject, revision: string): boolean {
  const a = (d.metadata.annotations ??= {});
  if (a[REVISION_ANNOTATION] === revision) return false;
  a[REVISION_ANNOTATION] = revision;
  return true;
}
