/**
 * Quota evaluators as upstream's (pkg/quota/v1/evaluator/core and apiserver's generic object
 * count): which quota resources an object kind is charged for, what one object costs, and which
 * quota scopes it falls under.
 */
import type { AdmissionAttributes } from '../types.ts';
import { cmpQty, qtyFromInt, type Qty } from '../../api/quantity.ts';
import { addLists, resourceListFrom, type ResourceList } from './resource-list.ts';
import { isBestEffort, podLimits, podRequests } from './pod-resources.ts';

type Obj = Record<string, any>;

export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface Evaluator {
  readonly group: string;
  readonly resource: string;
  handles(a: AdmissionAttributes): boolean;
  /** The quota resource names (of those given) this kind is charged for. */
  matchingResources(names: string[]): string[];
  matchesScope(sel: ScopeSelector, obj: Obj): boolean;
  usage(obj: Obj, now: Date): ResourceList;
  /** Why the object cannot be admitted under quotas limiting `required`; undefined when it can. */
  constraints(required: string[], obj: Obj): string | undefined;
}

/** count/<resource> for the core group, count/<resource>.<group> otherwise. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** The group and resource a count/ name refers to. */
export function parseObjectCountName(name: string): { group: string; resource: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

const ONE = (): Qty => qtyFromInt(1);

/** Legacy quota names of core object counts. */
export const LEGACY_COUNT_ALIASES: Record<string, string> = {
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
  secrets: 'secrets',
};

/** Kinds quota never charges: virtual resources and events (upstream's ignored resources). */
export const IGNORED_RESOURCES = new Set([
  '/bindings',
  '/componentstatuses',
  '/events',
  'events.k8s.io/events',
  'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
]);

const noScope = (): boolean => false;

function objectCountEvaluator(group: string, resource: string): Evaluator {
  const names = [objectCountName(group, resource)];
  if (!group && LEGACY_COUNT_ALIASES[resource]) names.push(LEGACY_COUNT_ALIASES[resource]);
  return {
    group,
    resource,
    handles: (a) => a.operation === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    matchesScope: noScope,
    usage: () => Object.fromEntries(names.map((n) => [n, ONE()])),
    constraints: () => undefined,
  };
}

const POD_RESOURCES = [
  'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
];
/** If a quota limits one of these, every container must state it (upstream keeps this for compatibility). */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

/** Usage of one container's (or a whole pod's) requests and limits. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE() };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) {
      out[r] = requests[r]!;
      out[`requests.${r}`] = requests[r]!;
    }
    if (limits[r]) out[`limits.${r}`] = limits[r]!;
  }
  for (const [r, q] of Object.entries(requests)) {
    if (r.startsWith('hugepages-')) {
      out[r] = q;
      out[`requests.${r}`] = q;
    }
    if (isExtendedResourceName(r)) out[`requests.${r}`] = q;
  }
  return out;
}

/** Whether a pod still holds compute resources: not terminal, not past its deletion grace period. */
export function podHoldsResources(pod: Obj, now: Date): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const ts = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (ts && typeof grace === 'number') {
    if (now.getTime() > Date.parse(ts) + grace * 1000) return false;
  }
  return true;
}

function crossNamespaceAffinity(spec: Obj | undefined): boolean {
  const cross = (t: Obj | undefined) => (t?.namespaces?.length ?? 0) > 0 || t?.namespaceSelector != null;
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = spec?.affinity?.[kind];
    if ((a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(cross)) return true;
    if ((a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w: Obj) => cross(w?.podAffinityTerm))) return true;
  }
  return false;
}

/** A scope selector over the pod's priority class, as a label selector on {PriorityClass: name}. */
function matchesPriorityClass(sel: ScopeSelector, pc: string | undefined): boolean {
  const values = sel.values ?? [];
  switch (sel.operator) {
    case 'Exists': return !!pc;
    case 'DoesNotExist': return !pc;
    case 'In': return !!pc && values.includes(pc);
    case 'NotIn': return !pc || !values.includes(pc);
    default: return false;
  }
}

export const podEvaluator: Evaluator = {
  group: '',
  resource: 'pods',
  handles: (a) => (a.subresource === '' && a.operation === 'CREATE') || (a.subresource === 'resize' && a.operation === 'UPDATE'),
  matchingResources: (input) => input.filter((n) => POD_RESOURCES.includes(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || (!isNativeResource(n) && n.startsWith('requests.'))),
  matchesScope(sel, pod) {
    const spec = pod.spec;
    switch (sel.scopeName) {
      case 'Terminating': return typeof spec?.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
      case 'NotTerminating': return !(typeof spec?.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0);
      case 'BestEffort': return isBestEffort(spec);
      case 'NotBestEffort': return !isBestEffort(spec);
      case 'PriorityClass': return matchesPriorityClass(sel, spec?.priorityClassName || undefined);
      case 'CrossNamespacePodAffinity': return crossNamespaceAffinity(spec);
      default: return false;
    }
  },
  usage(pod, now) {
    // count/pods counts every stored pod; the rest only pods that still hold resources.
    const out: ResourceList = { 'count/pods': ONE() };
    if (!podHoldsResources(pod, now)) return out;
    return addLists(out, computeUsage(podRequests(pod.spec, true), podLimits(pod.spec, true)));
  },
  constraints(required, pod) {
    const req = required.filter((r) => VALIDATION_SET.has(r));
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      const have = computeUsage(resourceListFrom(c?.resources?.requests), resourceListFrom(c?.resources?.limits));
      for (const r of req) {
        if (r in have) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(String(c?.name ?? ''));
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

export const serviceEvaluator: Evaluator = {
  group: '',
  resource: 'services',
  handles: (a) => a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE'),
  matchingResources: (input) => input.filter((n) => ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'].includes(n)),
  matchesScope: noScope,
  usage(svc) {
    const ports: Obj[] = svc.spec?.ports ?? [];
    const out: ResourceList = { 'count/services': ONE(), services: ONE(), 'services.loadbalancers': qtyFromInt(0), 'services.nodeports': qtyFromInt(0) };
    const type = svc.spec?.type ?? 'ClusterIP';
    if (type === 'NodePort') out['services.nodeports'] = qtyFromInt(ports.length);
    if (type === 'LoadBalancer') {
      // Without node port allocation only explicitly requested node ports count.
      const n = svc.spec?.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p?.nodePort).length : ports.length;
      out['services.nodeports'] = qtyFromInt(n);
      out['services.loadbalancers'] = ONE();
    }
    return out;
  },
  constraints: () => undefined,
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'];

export function pvcStorageClass(pvc: Obj): string {
  return pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName ?? '';
}

export const pvcEvaluator: Evaluator = {
  group: '',
  resource: 'persistentvolumeclaims',
  handles: (a) => a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE'),
  matchingResources: (input) => input.filter((n) => PVC_RESOURCES.includes(n) || PVC_RESOURCES.some((r) => n.endsWith(STORAGE_CLASS_SUFFIX + r))),
  matchesScope: noScope,
  usage(pvc) {
    const out: ResourceList = { persistentvolumeclaims: ONE(), 'count/persistentvolumeclaims': ONE() };
    const sc = pvcStorageClass(pvc);
    if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE();
    // A resize is charged from the request; what was already allocated counts if larger.
    let storage = resourceListFrom(pvc.spec?.resources?.requests).storage;
    const allocated = resourceListFrom(pvc.status?.allocatedResources).storage;
    if (allocated && (!storage || cmpQty(allocated, storage) > 0)) storage = allocated;
    if (storage) {
      out['requests.storage'] = storage;
      if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
  constraints: () => undefined,
};

/** The evaluator for a kind; undefined for kinds quota ignores. */
export function evaluatorFor(group: string, resource: string): Evaluator | undefined {
  if (IGNORED_RESOURCES.has(`${group}/${resource}`)) return undefined;
  if (!group && resource === 'pods') return podEvaluator;
  if (!group && resource === 'services') return serviceEvaluator;
  if (!group && resource === 'persistentvolumeclaims') return pvcEvaluator;
  const key = `${group}/${resource}`;
  let ev = countEvaluators.get(key);
  if (!ev) {
    // Bounded by the kinds served; cleared rather than grown past that should CRDs churn.
    if (countEvaluators.size >= MAX_COUNT_EVALUATORS) countEvaluators.clear();
    ev = objectCountEvaluator(group, resource);
    countEvaluators.set(key, ev);
  }
  return ev;
}

/** Object-count evaluators are pure functions of the kind: built once each, not on every write. */
const countEvaluators = new Map<string, Evaluator>();
const MAX_COUNT_EVALUATORS = 1024;

/** The scope selectors of a quota: spec.scopes as Exists, then spec.scopeSelector's expressions. */
export function quotaScopeSelectors(quota: Obj): ScopeSelector[] {
  const out: ScopeSelector[] = (quota.spec?.scopes ?? []).map((s: string) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of quota.spec?.scopeSelector?.matchExpressions ?? []) out.push({ scopeName: e.scopeName, operator: e.operator, values: e.values });
  return out;
}

/** Whether a quota (by its status.hard and its scopes) applies to the object. */
export function quotaMatches(ev: Evaluator, quota: Obj, obj: Obj, hardNames: string[]): boolean {
  if (ev.matchingResources(hardNames).length === 0) return false;
  return quotaScopeSelectors(quota).every((s) => ev.matchesScope(s, obj));
}
