/**
 * The scale of the controllers behind a budget's pods (disruption.go getExpectedScale and its
 * finders): a pod's controllerRef resolved to a ReplicationController, a Deployment (through its
 * ReplicaSet), a ReplicaSet, a StatefulSet from the informers, else to any kind's /scale
 * subresource read through the client. Pods without a controller are "unmanaged" and counted
 * apart; a controllerRef nothing resolves fails the sync (the budget then allows nothing).
 */
import { resources } from '../../client/resources.ts';
import { isNotFound } from '../../client/errors.ts';
import type { ApiClient, Informer, K8sObject, ResourceRef } from '../../client/types.ts';
import { getControllerOf, type OwnerReference } from '../controller-ref.ts';
import type { Pod } from '../pod-util.ts';

export interface ScaleSources {
  client: ApiClient;
  replicationControllers: Informer<K8sObject>;
  replicaSets: Informer<K8sObject>;
  deployments: Informer<K8sObject>;
  statefulSets: Informer<K8sObject>;
}

type Found = { uid: string; scale: number } | undefined;

const groupOf = (ref: OwnerReference): string => (ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '');
const replicas = (o: K8sObject): number => (typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1);

function fromInformer(inf: Informer<K8sObject>, ns: string, ref: OwnerReference, kind: string, groups: string[]): K8sObject | undefined {
  if (ref.kind !== kind || !groups.includes(groupOf(ref))) return undefined;
  const o = inf.get(ns, ref.name);
  return o && o.metadata.uid === ref.uid ? o : undefined;
}

async function fromScale(client: ApiClient, ns: string, ref: OwnerReference): Promise<Found> {
  const group = groupOf(ref);
  const r: ResourceRef | undefined = Object.values(resources).find((x) => x.kind === ref.kind && x.group === group);
  if (!r) throw new Error(`no matches for kind ${JSON.stringify(ref.kind)} in group ${JSON.stringify(group)}`);
  try {
    const scale = await client.get<K8sObject>(r, ns, ref.name, 'scale');
    return scale.metadata.uid === ref.uid ? { uid: ref.uid, scale: Number(scale.spec?.replicas ?? 0) } : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function find(src: ScaleSources, ns: string, ref: OwnerReference): Promise<Found> {
  const rc = fromInformer(src.replicationControllers, ns, ref, 'ReplicationController', ['']);
  if (rc) return { uid: rc.metadata.uid!, scale: replicas(rc) };
  const rs = fromInformer(src.replicaSets, ns, ref, 'ReplicaSet', ['apps', 'extensions']);
  if (rs) {
    const owner = getControllerOf(rs);
    if (owner?.kind !== 'Deployment') return { uid: rs.metadata.uid!, scale: replicas(rs) };
    const d = fromInformer(src.deployments, ns, owner, 'Deployment', ['apps', 'extensions']);
    if (d) return { uid: d.metadata.uid!, scale: replicas(d) };
    // A Deployment the cache does not show: upstream's last finder reads the ReplicaSet's /scale.
  }
  const ss = fromInformer(src.statefulSets, ns, ref, 'StatefulSet', ['apps']);
  if (ss) return { uid: ss.metadata.uid!, scale: replicas(ss) };
  return fromScale(src.client, ns, ref);
}

/** Σ scale over the distinct controllers of `pods`, and the names of pods without one. */
export async function expectedScale(src: ScaleSources, pods: readonly Pod[]): Promise<{ expectedCount: number; unmanaged: string[] }> {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name ?? '');
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = await find(src, pod.metadata.namespace ?? '', ref);
    if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name)}`);
    scales.set(found.uid, found.scale);
  }
  let expectedCount = 0;
  for (const n of scales.values()) expectedCount += n;
  return { expectedCount, unmanaged };
}
