/**
 * A pod's requests with in-place resize (InPlacePodVerticalScaling, on by default in 1.33):
 * resourcehelper.PodRequests with UseStatusResources, as the scheduler's NodeInfo counts pods. A
 * container whose status reports its resources counts at the larger of what its spec asks and
 * what the node reports it runs with (status.containerStatuses[].resources.requests, and
 * allocatedResources where a node reports them) — a resize down is not counted as freed before the
 * node applied it, one up as soon as it is asked; with PodResizePending Infeasible only what the
 * node reports counts (the spec will not be applied). Sidecars' statuses count the same way.
 */
import { cmpQty, parseQty } from '../../api/quantity.ts';
import type { Pod } from './resources.ts';

type List = Record<string, unknown>;
export interface StatusResources { requests?: List; allocated?: List }

/** IsPodResizeInfeasible: condition PodResizePending with reason Infeasible. */
export function isPodResizeInfeasible(pod: Pod): boolean {
  const c = ((pod.status?.conditions ?? []) as Array<{ type?: string; reason?: string }>).find((x) => x.type === 'PodResizePending');
  return c?.reason === 'Infeasible';
}

/** The container statuses (regular and init) that report resources, by container name; undefined when none does. */
export function statusResourcesByName(pod: Pod): Map<string, StatusResources> | undefined {
  let out: Map<string, StatusResources> | undefined;
  for (const list of [pod.status?.containerStatuses, pod.status?.initContainerStatuses]) {
    if (!Array.isArray(list)) continue;
    for (const cs of list as Array<{ name?: string; resources?: { requests?: List }; allocatedResources?: List }>) {
      if (!cs?.name || !cs.resources) continue;
      (out ??= new Map()).set(cs.name, { requests: cs.resources.requests, allocated: cs.allocatedResources });
    }
  }
  return out;
}

/** Resource by resource, the largest of the lists (a name missing from one counts as absent there). */
function maxLists(...lists: Array<List | undefined>): List {
  const out: List = {};
  for (const l of lists) {
    for (const [k, v] of Object.entries(l ?? {})) {
      const have = out[k];
      const a = parseQty(v);
      const b = have === undefined ? undefined : parseQty(have);
      if (have === undefined || (a && (!b || cmpQty(a, b) > 0))) out[k] = v;
    }
  }
  return out;
}

/** determineContainerReqs: the requests a container counts with, given its reported resources. */
export function determineContainerRequests(pod: Pod, specRequests: List | undefined, s: StatusResources, infeasible = isPodResizeInfeasible(pod)): List {
  return infeasible ? maxLists(s.requests, s.allocated) : maxLists(specRequests, s.requests, s.allocated);
}

/**
 * For the scheduler's informer view (informer-transform.ts): the container statuses that change
 * what the pod counts for, each with only its name and resources — none for a pod whose node
 * runs every container at (or below) what the spec asks, the common case, so the view stays small.
 */
export function resizeStatusView(pod: Pod): Array<Record<string, unknown>> | undefined {
  const byName = statusResourcesByName(pod);
  if (!byName) return undefined;
  const infeasible = isPodResizeInfeasible(pod);
  const specs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Array<{ name?: string; resources?: { requests?: List } }>;
  let out: Array<Record<string, unknown>> | undefined;
  for (const c of specs) {
    const s = c.name !== undefined ? byName.get(c.name) : undefined;
    if (!s) continue;
    const spec = c.resources?.requests;
    const counted = determineContainerRequests(pod, spec, s, infeasible);
    const same = Object.keys(counted).length === Object.keys(spec ?? {}).length && Object.entries(counted).every(([k, v]) => spec?.[k] === v);
    if (same) continue;
    (out ??= []).push({ name: c.name, resources: { requests: s.requests }, ...(s.allocated ? { allocatedResources: s.allocated } : {}) });
  }
  return out;
}
