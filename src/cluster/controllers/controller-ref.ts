/**
 * Controller references and the claim step of ControllerRefManager (controller_ref_manager.go):
 * an owner adopts orphans its selector matches, releases what it owns but no longer matches, and
 * never touches objects another controller owns. Adoption first re-reads the owner from the API
 * server (RecheckDeletionTimestamp), so a deleted or replaced owner does not adopt from a stale
 * cache. Upstream sends strategic merge patches with the uid as precondition; these are JSON
 * patches that test uid and resourceVersion first (every client and fake applies them; a patch
 * against a changed object is refused and the sync retried, never a lost ownerReference).
 */
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import type { LabelSelector } from '../../api/selectors/label-selector.ts';
import { apiVersionOf } from './resources.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function getControllerOf(obj: K8sObject): OwnerReference | undefined {
  const refs = obj.metadata.ownerReferences;
  return Array.isArray(refs) ? refs.find((r: OwnerReference) => r?.controller === true) : undefined;
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: K8sObject, ownerResource: ResourceRef): OwnerReference {
  return {
    apiVersion: apiVersionOf(ownerResource),
    kind: ownerResource.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 404;
}

export interface ClaimContext {
  client: ApiClient;
  owner: K8sObject;
  ownerResource: ResourceRef;
  selector: LabelSelector;
  /** The claimed kind (pods for a ReplicaSet, replicasets for a Deployment). */
  resource: ResourceRef;
}

/** ClaimObjects: the objects `owner` controls after adopting and releasing. Throws on write errors. */
export async function claim<T extends K8sObject>(ctx: ClaimContext, objects: readonly T[]): Promise<T[]> {
  const { owner, selector } = ctx;
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  let adoptionChecked = false;
  const errors: unknown[] = [];
  for (const obj of objects) {
    const ref = getControllerOf(obj);
    const matches = selector.matches(obj.metadata.labels);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await release(ctx, obj);
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
      }
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata.deletionTimestamp) continue;
    if (!adoptionChecked) {
      await recheckOwner(ctx);
      adoptionChecked = true;
    }
    try {
      claimed.push(await adopt(ctx, obj));
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

/** RecheckDeletionTimestamp: the live owner must be the same object and not being deleted. */
async function recheckOwner(ctx: ClaimContext): Promise<void> {
  const { owner, ownerResource } = ctx;
  const fresh = await ctx.client.get(ownerResource, owner.metadata.namespace ?? '', owner.metadata.name!);
  if (fresh.metadata.uid !== owner.metadata.uid) {
    throw new Error(`original ${ownerResource.kind} ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${owner.metadata.uid}`);
  }
  if (fresh.metadata.deletionTimestamp) {
    throw new Error(`${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  }
}

function preconditions(obj: K8sObject): unknown[] {
  return [
    { op: 'test', path: '/metadata/uid', value: obj.metadata.uid },
    { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
  ];
}

function adopt<T extends K8sObject>(ctx: ClaimContext, obj: T): Promise<T> {
  const ref = newControllerRef(ctx.owner, ctx.ownerResource);
  const has = Array.isArray(obj.metadata.ownerReferences);
  const op = has ? { op: 'add', path: '/metadata/ownerReferences/-', value: ref } : { op: 'add', path: '/metadata/ownerReferences', value: [ref] };
  return ctx.client.patch<T>(ctx.resource, obj.metadata.namespace ?? '', obj.metadata.name!, 'json', [...preconditions(obj), op]);
}

function release(ctx: ClaimContext, obj: K8sObject): Promise<unknown> {
  const refs: OwnerReference[] = obj.metadata.ownerReferences ?? [];
  const i = refs.findIndex((r) => r.uid === ctx.owner.metadata.uid);
  const ops = refs.length === 1 ? [{ op: 'remove', path: '/metadata/ownerReferences' }] : [{ op: 'remove', path: `/metadata/ownerReferences/${i}` }];
  return ctx.client.patch(ctx.resource, obj.metadata.namespace ?? '', obj.metadata.name!, 'json', [...preconditions(obj), ...ops]);
}
