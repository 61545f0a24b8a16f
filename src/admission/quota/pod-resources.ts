/**
 * A pod's effective requests and limits as upstream computes them (pkg/api/v1/resource): the sum
 * of the containers, raised to the largest init container, where restartable init containers
 * (sidecars) run alongside everything after them.
 */
import { addLists, resourceListFrom, type ResourceList } from './resource-list.ts';
import { cmpQty, isZeroQty } from '../../api/quantity.ts';

type Obj = Record<string, any>;

function maxInto(list: ResourceList, other: ResourceList): void {
  for (const [k, v] of Object.entries(other)) {
    const cur = list[k];
    if (!cur || cmpQty(v, cur) > 0) list[k] = v;
  }
}

function aggregate(spec: Obj | undefined, field: 'requests' | 'limits'): ResourceList {
  let total: ResourceList = {};
  for (const c of spec?.containers ?? []) total = addLists(total, resourceListFrom(c?.resources?.[field]));
  let sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of spec?.initContainers ?? []) {
    const own = resourceListFrom(c?.resources?.[field]);
    let effective: ResourceList;
    if (c?.restartPolicy === 'Always') {
      total = addLists(total, own);
      sidecars = addLists(sidecars, own);
      effective = sidecars;
    } else {
      effective = addLists(own, sidecars);
    }
    maxInto(initMax, effective);
  }
  maxInto(total, initMax);
  return total;
}

/** PodRequests; with `overhead`, spec.overhead is added (quota counts it, LimitRanger does not). */
export function podRequests(spec: Obj | undefined, overhead: boolean): ResourceList {
  const reqs = aggregate(spec, 'requests');
  return overhead && spec?.overhead ? addLists(reqs, resourceListFrom(spec.overhead)) : reqs;
}

/** PodLimits; overhead only raises limits that are set. */
export function podLimits(spec: Obj | undefined, overhead: boolean): ResourceList {
  const limits = aggregate(spec, 'limits');
  if (!overhead || !spec?.overhead) return limits;
  const oh = resourceListFrom(spec.overhead);
  const out: ResourceList = { ...limits };
  for (const k of Object.keys(limits)) if (oh[k]) out[k] = addLists({ [k]: limits[k]! }, { [k]: oh[k]! })[k]!;
  return out;
}

/** BestEffort QoS: no container asks for or caps cpu or memory (upstream's ComputePodQOS). */
export function isBestEffort(spec: Obj | undefined): boolean {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  for (const c of containers) {
    for (const field of ['requests', 'limits'] as const) {
      const rl = resourceListFrom(c?.resources?.[field]);
      for (const name of ['cpu', 'memory']) if (rl[name] && !isZeroQty(rl[name]!)) return false;
    }
  }
  return true;
}
