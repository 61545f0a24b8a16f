/**
 * Resource arithmetic as the scheduler does it (framework.Resource, resourcehelper.PodRequests):
 * cpu in millicores, everything else in whole units, plain numbers (exact up to 2^53, far beyond
 * any node). Quantities are parsed with the API's own parser, so "500m" or "1Gi" mean the same here.
 */
import { parseQty, qtyMilliValue, qtyValue } from '../../api/quantity.ts';
import type { K8sObject } from '../client/types.ts';
import { determineContainerRequests, isPodResizeInfeasible, statusResourcesByName, type StatusResources } from './resize-requests.ts';

export type Pod = K8sObject;
export type Node = K8sObject;

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources, hugepages-*, attachable-volumes-*. */
  scalar: Map<string, number>;
}

/** schedutil.DefaultMilliCPURequest / DefaultMemoryRequest: what a container without requests counts as when spreading. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

/** v1helper.IsExtendedResourceName: a domain-prefixed name outside kubernetes.io, not requests.*. */
export function isExtendedResourceName(name: string): boolean {
  if (!name.includes('/')) return false;
  if (name.startsWith('requests.')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return !(domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io'));
}

/** schedutil.IsScalarResourceName. */
export function isScalarResourceName(name: string): boolean {
  return isExtendedResourceName(name) || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

function quantity(v: unknown, milli: boolean): number {
  const q = parseQty(v);
  if (!q) return 0;
  return Number(milli ? qtyMilliValue(q) : qtyValue(q));
}

/** framework.NewResource: allocatable → Resource. */
export function resourceFromList(list: Record<string, unknown> | undefined): Resource {
  const r = emptyResource();
  addList(r, list);
  return r;
}

export function addList(r: Resource, list: Record<string, unknown> | undefined, sign = 1): void {
  for (const [name, v] of Object.entries(list ?? {})) {
    switch (name) {
      case 'cpu': r.milliCPU += sign * quantity(v, true); break;
      case 'memory': r.memory += sign * quantity(v, false); break;
      case 'pods': r.allowedPodNumber += sign * quantity(v, false); break;
      case 'ephemeral-storage': r.ephemeralStorage += sign * quantity(v, false); break;
      default:
        if (isScalarResourceName(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * quantity(v, false));
    }
  }
}

export function addResource(a: Resource, b: Resource, sign = 1): void {
  a.milliCPU += sign * b.milliCPU;
  a.memory += sign * b.memory;
  a.ephemeralStorage += sign * b.ephemeralStorage;
  a.allowedPodNumber += sign * b.allowedPodNumber;
  for (const [k, v] of b.scalar) a.scalar.set(k, (a.scalar.get(k) ?? 0) + sign * v);
}

function maxInto(a: Resource, b: Resource): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of b.scalar) a.scalar.set(k, Math.max(a.scalar.get(k) ?? 0, v));
}

/** A pod's reported container resources, when any (resize-requests.ts). */
interface Resize { pod: Pod; statuses: Map<string, StatusResources>; infeasible: boolean }

function containerRequests(c: any, nonZero: boolean, resize?: Resize): Resource {
  let req = (c?.resources?.requests ?? {}) as Record<string, unknown>;
  const reported = resize?.statuses.get(c?.name);
  if (reported) req = determineContainerRequests(resize!.pod, req, reported, resize!.infeasible);
  const r = resourceFromList(req);
  if (nonZero) {
    if (!Object.hasOwn(req, 'cpu')) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!Object.hasOwn(req, 'memory')) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * resourcehelper.PodRequests: the sum of the app containers and of restartable init containers
 * (sidecars, which keep running), at least the largest init container (plus the sidecars started
 * before it), plus the pod overhead. `nonZero` gives containers without cpu/memory requests the
 * defaults, as scoring does (NonMissingContainerRequests). With in-place resize a container whose
 * status reports its resources counts as resize-requests.ts says (UseStatusResources).
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  // UseStatusResources (in-place resize): containers and sidecars whose status reports resources.
  const statuses = statusResourcesByName(pod);
  const resize: Resize | undefined = statuses && { pod, statuses, infeasible: isPodResizeInfeasible(pod) };
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) addResource(reqs, containerRequests(c, nonZero, resize));
  const initMax = emptyResource();
  const sidecars = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    const cr = containerRequests(c, nonZero, c?.restartPolicy === 'Always' ? resize : undefined);
    if (c?.restartPolicy === 'Always') {
      addResource(reqs, cr);
      addResource(sidecars, cr);
      maxInto(initMax, sidecars);
    } else {
      const tmp = cloneResource(cr);
      addResource(tmp, sidecars);
      maxInto(initMax, tmp);
    }
  }
  maxInto(reqs, initMax);
  addList(reqs, pod.spec?.overhead);
  return reqs;
}

export interface Requests { requests: Resource; nonZero: Resource }
/**
 * PodRequests and its non-zero form (scoring's), shared by the pods whose containers are one
 * frozen list (the scheduler's informers share equal parts of pods, informer-transform.ts):
 * computed once for all of them, the two Resources (with their scalar Maps) held once instead of
 * per pod. Only when the containers are all there is (no init containers, no overhead). Callers
 * only read them (NodeInfo's entries, NodeResourcesFit's state and scoring).
 */
const sharedRequests = new WeakMap<object, Requests>();

export function requestsOf(pod: Pod): Requests {
  const spec = pod.spec;
  const containers = spec?.containers;
  const shareable = containers && Object.isFrozen(containers) && !spec.initContainers && !spec.overhead && !pod.status?.containerStatuses;
  const known = shareable ? sharedRequests.get(containers) : undefined;
  if (known) return known;
  const r = { requests: podRequests(pod), nonZero: podRequests(pod, true) };
  if (shareable) sharedRequests.set(containers, r);
  return r;
}

/**
 * Whether an assigned pod's update lowered what it counts for (an in-place resize down applied, or
 * one found Infeasible): pods waiting for room may fit now. Pods whose containers and reported
 * resources are the same objects as before (most updates, in the scheduler's shared view) are not
 * counted again.
 */
export function scaledDown(old: Pod, next: Pod): boolean {
  const same = old.spec?.containers === next.spec?.containers && old.spec?.initContainers === next.spec?.initContainers &&
    old.status?.containerStatuses === next.status?.containerStatuses && old.status?.initContainerStatuses === next.status?.initContainerStatuses;
  if (same && isPodResizeInfeasible(old) === isPodResizeInfeasible(next)) return false;
  const a = requestsOf(old).requests;
  const b = requestsOf(next).requests;
  if (b.milliCPU < a.milliCPU || b.memory < a.memory || b.ephemeralStorage < a.ephemeralStorage) return true;
  for (const [k, v] of a.scalar) if ((b.scalar.get(k) ?? 0) < v) return true;
  return false;
}

export function isZeroRequest(r: Resource): boolean {
  return r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && r.scalar.size === 0;
}
