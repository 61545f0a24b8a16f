/**
 * NodeResourcesFit (plugins/noderesources/fit.go): the pod's requests (containers, init
 * containers' maximum, sidecars, overhead) must fit what the node has left of its allocatable
 * cpu, memory, ephemeral-storage, extended resources and pod count. A request larger than the
 * whole node is UnschedulableAndUnresolvable (preemption cannot help). Scores LeastAllocated.
 */
import { MAX_NODE_SCORE, SKIP, Status, type FilterPlugin, type PreFilterPlugin, type ScorePlugin } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import { isExtendedResourceName, isZeroRequest, podRequests, requestsOf, type Pod, type Requests, type Resource } from '../resources.ts';

const STATE_KEY = 'PreFilterNodeResourcesFit';

export interface InsufficientResource { resourceName: string; reason: string; unresolvable: boolean }

/** fitsRequest: every resource the node lacks for `req`, in upstream's order. */
export function fitsRequest(req: Resource, node: NodeInfo, ignored: ReadonlySet<string> = NONE_IGNORED): readonly InsufficientResource[] {
  // Nearly every node fits: the list is made only for a node lacking something (a cycle filters hundreds).
  let out: InsufficientResource[] | undefined;
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.podCount + 1 > alloc.allowedPodNumber) (out ??= []).push({ resourceName: 'pods', reason: 'Too many pods', unresolvable: false });
  if (isZeroRequest(req)) return out ?? FITS;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) {
    (out ??= []).push({ resourceName: 'cpu', reason: 'Insufficient cpu', unresolvable: req.milliCPU > alloc.milliCPU });
  }
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) {
    (out ??= []).push({ resourceName: 'memory', reason: 'Insufficient memory', unresolvable: req.memory > alloc.memory });
  }
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    (out ??= []).push({ resourceName: 'ephemeral-storage', reason: 'Insufficient ephemeral-storage', unresolvable: req.ephemeralStorage > alloc.ephemeralStorage });
  }
  if (req.scalar.size === 0) return out ?? FITS;
  for (const [name, q] of req.scalar) {
    if (q === 0) continue;
    if (isExtendedResourceName(name) && ignored.has(name)) continue;
    const a = alloc.scalar.get(name) ?? 0;
    if (q > a - (used.scalar.get(name) ?? 0)) (out ??= []).push({ resourceName: name, reason: `Insufficient ${name}`, unresolvable: q > a });
  }
  return out ?? FITS;
}

const NONE_IGNORED: ReadonlySet<string> = new Set();
const FITS: readonly InsufficientResource[] = Object.freeze([]);

/**
 * A cycle scores one pod against many nodes: its requests are computed once (pods from informers
 * are frozen), and held once for all pods with the same containers (requestsOf).
 */
const memo = new WeakMap<Pod, Requests>();
function scoringRequests(pod: Pod, nonZero: boolean): Resource {
  let r = memo.get(pod);
  if (!r) {
    r = requestsOf(pod);
    if (Object.isFrozen(pod)) memo.set(pod, r);
  }
  return nonZero ? r.nonZero : r.requests;
}

export interface ResourceSpec { name: string; weight: number }
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];

function amount(r: Resource, name: string): number {
  switch (name) {
    case 'cpu': return r.milliCPU;
    case 'memory': return r.memory;
    case 'ephemeral-storage': return r.ephemeralStorage;
    default: return r.scalar.get(name) ?? 0;
  }
}

/**
 * resourceAllocationScorer.calculateResourceAllocatableRequest: per resource, the node's
 * allocatable and what would be requested with the pod; resources the node lacks are left out
 * (allocatable 0), as are extended resources the pod does not ask for.
 */
export function allocatableAndRequested(node: NodeInfo, pod: Pod, resources: readonly ResourceSpec[], useRequested: boolean, out: Scratch = scratchFor(resources)): Scratch {
  const podReq = scoringRequests(pod, !useRequested);
  const nodeReq = useRequested ? node.requested : node.nonZeroRequested;
  // `out` may be a scorer's scratch pair, overwritten node after node (a cycle scores hundreds).
  const { alloc, req } = out;
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i]!.name;
    const p = amount(podReq, name);
    const isScalar = name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage';
    if (isScalar && p === 0) {
      alloc[i] = 0;
      req[i] = 0;
      continue;
    }
    alloc[i] = amount(node.allocatable, name);
    req[i] = amount(nodeReq, name) + p;
  }
  return out;
}

interface Scratch { alloc: number[]; req: number[] }

/** Two arrays of resources.length numbers. */
function scratchFor(resources: readonly ResourceSpec[]): Scratch {
  return { alloc: resources.map(() => 0), req: resources.map(() => 0) };
}

/** leastResourceScorer: the weighted mean of (allocatable - requested) * 100 / allocatable. */
export function leastAllocatedScore(req: number[], alloc: number[], resources: readonly ResourceSpec[]): number {
  let score = 0;
  let weights = 0;
  for (let i = 0; i < req.length; i++) {
    if (alloc[i] === 0) continue;
    const w = resources[i]!.weight;
    const r = req[i]! > alloc[i]! ? 0 : Math.trunc(((alloc[i]! - req[i]!) * MAX_NODE_SCORE) / alloc[i]!);
    score += r * w;
    weights += w;
  }
  return weights === 0 ? 0 : Math.trunc(score / weights);
}

/** mostResourceScorer (MostAllocated strategy). */
export function mostAllocatedScore(req: number[], alloc: number[], resources: readonly ResourceSpec[]): number {
  let score = 0;
  let weights = 0;
  for (let i = 0; i < req.length; i++) {
    if (alloc[i] === 0) continue;
    const w = resources[i]!.weight;
    const r = Math.trunc((Math.min(req[i]!, alloc[i]!) * MAX_NODE_SCORE) / alloc[i]!);
    score += r * w;
    weights += w;
  }
  return weights === 0 ? 0 : Math.trunc(score / weights);
}

export interface FitArgs {
  ignoredResources?: string[];
  scoringStrategy?: { type?: 'LeastAllocated' | 'MostAllocated'; resources?: ResourceSpec[] };
}

export function nodeResourcesFit(args: FitArgs = {}): PreFilterPlugin & FilterPlugin & ScorePlugin {
  const ignored = new Set(args.ignoredResources ?? []);
  const resources = args.scoringStrategy?.resources ?? DEFAULT_RESOURCES;
  const scorer = args.scoringStrategy?.type === 'MostAllocated' ? mostAllocatedScore : leastAllocatedScore;
  const scratch = scratchFor(resources);
  return {
    name: 'NodeResourcesFit',
    preFilter(state, pod) {
      state.set(STATE_KEY, requestsOf(pod).requests);
      return undefined;
    },
    filter(state, pod, node) {
      const req = (state.get(STATE_KEY) as Resource | undefined) ?? podRequests(pod);
      const insufficient = fitsRequest(req, node, ignored);
      if (insufficient.length === 0) return undefined;
      const code = insufficient.some((i) => i.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable';
      return new Status(code, insufficient.map((i) => i.reason));
    },
    score(_state, pod, node) {
      const { alloc, req } = allocatableAndRequested(node, pod, resources, false, scratch);
      return scorer(req, alloc, resources);
    },
  };
}

/** NodeResourcesBalancedAllocation: favours nodes whose cpu and memory fractions stay close. */
export function balancedAllocation(args: { resources?: ResourceSpec[] } = {}): ScorePlugin {
  const resources = args.resources ?? DEFAULT_RESOURCES;
  const scratch = scratchFor(resources);
  return {
    name: 'NodeResourcesBalancedAllocation',
    preScore(_state, pod) {
      // A pod asking for none of the resources changes no balance.
      const r = podRequests(pod);
      return resources.every((x) => amount(r, x.name) === 0) ? SKIP : undefined;
    },
    score(_state, pod, node) {
      const { alloc, req } = allocatableAndRequested(node, pod, resources, true, scratch);
      return balancedScore(req, alloc);
    },
  };
}

/** balancedResourceScorer: (1 - standard deviation of the requested fractions) * 100. */
export function balancedScore(req: number[], alloc: number[]): number {
  // The fractions are recomputed in a second pass instead of kept in an array (one per node scored).
  let count = 0;
  let total = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < req.length; i++) {
    if (alloc[i] === 0) continue;
    const f = Math.min(req[i]! / alloc[i]!, 1);
    total += f;
    if (count === 0) first = f;
    else if (count === 1) second = f;
    count++;
  }
  let std = 0;
  if (count === 2) std = Math.abs((first - second) / 2);
  else if (count > 2) {
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < req.length; i++) {
      if (alloc[i] === 0) continue;
      sum += (Math.min(req[i]! / alloc[i]!, 1) - mean) ** 2;
    }
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
