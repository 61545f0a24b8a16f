/**
 * ControllerRevisions (pkg/controller/history): the snapshots of a StatefulSet's or DaemonSet's
 * pod template that rollouts move between. `data` is upstream's template patch
 * {"spec":{"template":{...,"$patch":"replace"}}}; `revision` numbers grow by one per new template;
 * names are `<owner>-<hash>` with the hash label beside them. Upstream hashes the Go encoding of
 * the patch; this hashes its canonical JSON (keys sorted), so names have the same form and the
 * same collision handling, not the same characters as a real cluster's.
 */
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { newControllerRef } from './controller-ref.ts';
import { canonicalJson, safeEncodeString } from './deployment/hash.ts';

export const CONTROLLER_REVISIONS = resources.controllerrevisions;
/** apps.ControllerRevisionHashLabelKey (also StatefulSetRevisionLabel, DefaultDaemonSetUniqueLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Names longer than this are cut before `-<hash>` (ControllerRevisionName). */
const MAX_PREFIX = 223;
/** A hash that collides this often is not bad luck: stop and let the sync fail and retry. */
const MAX_COLLISIONS = 100;

export type ControllerRevision = K8sObject & { data?: unknown; revision?: number };

/** getPatch: the object's pod template as a strategic-merge patch that replaces spec.template. */
export function templatePatch(owner: K8sObject): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(owner.spec?.template ?? {}), $patch: 'replace' } } };
}

/** ApplyRevision: the owner with the revision's template in place of its own. */
export function applyRevision<T extends K8sObject>(owner: T, revision: ControllerRevision): T {
  const out = structuredClone(owner) as T & { spec?: Record<string, unknown> };
  const tmpl = (revision.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (tmpl) {
    const { $patch: _replace, ...template } = structuredClone(tmpl);
    out.spec = { ...out.spec, template };
  }
  return out;
}

/** FNV-1 (not 1a: upstream's hash/fnv New32) over bytes, continuing from `seed`. */
function fnv32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= b;
  }
  return h >>> 0;
}

/** HashControllerRevision: FNV-1 over the data, then the collision count in decimal. */
export function hashControllerRevision(data: unknown, probe?: number): string {
  const enc = new TextEncoder();
  let h = fnv32(enc.encode(canonicalJson(data ?? null)));
  if (probe !== undefined) h = fnv32(enc.encode(String(probe)), h);
  return safeEncodeString(String(h));
}

export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_PREFIX)}-${hash}`;
}

/** NewControllerRevision: template labels plus the hash label, owned by `parent` as its controller. */
export function newControllerRevision(parent: K8sObject, parentResource: ResourceRef, data: unknown, revision: number, collisionCount?: number): ControllerRevision {
  const hash = hashControllerRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name!, hash),
      namespace: parent.metadata.namespace,
      labels: { ...(parent.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(parent, parentResource)],
    },
    data,
    revision,
  };
}

/** Data equality as the stored JSON (EqualRevision compares the raw bytes). */
export const sameData = (a: ControllerRevision, b: ControllerRevision): boolean => canonicalJson(a.data ?? null) === canonicalJson(b.data ?? null);

/** EqualRevision: hash labels, when both parse as numbers, must agree; then the data must. */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const hb = b.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (/^\d+$/.test(ha ?? '') && /^\d+$/.test(hb ?? '') && Number(ha) !== Number(hb)) return false;
  return sameData(a, b);
}

export const findEqualRevisions = (revisions: readonly ControllerRevision[], needle: ControllerRevision): ControllerRevision[] =>
  revisions.filter((r) => equalRevision(r, needle));

/** SortControllerRevisions: by revision, then creation time, then name. */
export function sortRevisions<T extends ControllerRevision>(revisions: T[]): T[] {
  return revisions.sort((a, b) => {
    const d = (a.revision ?? 0) - (b.revision ?? 0);
    if (d !== 0) return d;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
}

/** nextRevision: one past the largest (of sorted revisions), 1 for none. */
export const nextRevision = (sorted: readonly ControllerRevision[]): number => (sorted.length === 0 ? 1 : (sorted[sorted.length - 1]!.revision ?? 0) + 1);

export const maxRevision = (revisions: readonly ControllerRevision[]): number => revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);

/**
 * CreateControllerRevision: create under the hash name; an existing revision with the same data is
 * that revision; one with other data is a collision, so bump the count and try the next name.
 * Returns the revision and the collision count it took (the owner stores it in status).
 */
export async function createControllerRevision(client: ApiClient, parent: K8sObject, revision: ControllerRevision, collisionCount: number): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  const ns = parent.metadata.namespace ?? '';
  let count = collisionCount;
  for (let i = 0; i < MAX_COLLISIONS; i++) {
    const hash = hashControllerRevision(revision.data, count);
    const candidate = structuredClone(revision);
    candidate.metadata.name = controllerRevisionName(parent.metadata.name!, hash);
    candidate.metadata.labels = { ...candidate.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash };
    try {
      return { revision: await client.create(CONTROLLER_REVISIONS, ns, candidate), collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get<ControllerRevision>(CONTROLLER_REVISIONS, ns, candidate.metadata.name);
      if (sameData(existing, candidate)) return { revision: existing, collisionCount: count };
      count++;
    }
  }
  throw new Error(`${MAX_COLLISIONS} ControllerRevision name collisions for ${ns}/${parent.metadata.name}`);
}

/** UpdateControllerRevision: give an existing revision a new number (a rollback to it). */
export async function setRevisionNumber(client: ApiClient, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  if (rev.revision === revision) return rev;
  return client.update(CONTROLLER_REVISIONS, rev.metadata.namespace ?? '', { ...structuredClone(rev), revision });
}
