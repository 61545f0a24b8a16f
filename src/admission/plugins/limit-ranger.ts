import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';
import {
  limitRequestRatioConstraint,
  maxConstraint,
  maxRequestConstraint,
  minConstraint,
} from '../quota/limit-constraints.ts';
import { podLimits, podRequests } from '../quota/pod-resources.ts';
import { formatQty } from '../../api/quantity.ts';
import { resourceListFrom, type ResourceList } from '../quota/resource-list.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

const ANNOTATION = 'kubernetes.io/limit-ranger';

/**
 * LimitRanger: the LimitRanges of the namespace give containers their default requests and limits
 * (mutating), then bound containers, pods and claims by min, max and maxLimitRequestRatio
 * (validating). Register the one instance in both chains.
 */
export class LimitRanger implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'LimitRanger';
  readonly #store: Store;

  constructor(deps: PluginDeps) {
    this.#store = deps.store;
  }

  handles(a: AdmissionAttributes): boolean {
    // An in-place resize (pods/resize) is bound by the ranges, as upstream 1.33's SupportsAttributes.
    if (a.object && a.subresource === 'resize') return a.resource.group === '' && a.resource.resource === 'pods' && a.operation === 'UPDATE';
    if (!a.object || a.subresource !== '') return false;
    if (a.resource.group !== '') return false;
    // Containers cannot change after creation, so pod updates are not judged again.
    if (a.resource.resource === 'pods') return a.operation === 'CREATE';
    if (a.resource.resource === 'persistentvolumeclaims') return a.operation === 'CREATE' || a.operation === 'UPDATE';
    return false;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    if (a.resource.resource !== 'pods') return { allowed: true };
    const ranges = await this.#ranges(a);
    if (!ranges) return { allowed: true };
    const pod = a.object as Obj;
    for (const lr of ranges) mergeDefaults(pod, lr);
    return { allowed: true };
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const ranges = await this.#ranges(a);
    if (!ranges) return { allowed: true };
    for (const lr of ranges) {
      const msg = a.resource.resource === 'pods' ? validatePod(lr, a.object as Obj) : validateClaim(lr, a.object as Obj);
      if (msg) return { allowed: false, code: 403, reason: msg };
    }
    return { allowed: true };
  }

  /** The namespace's LimitRanges; undefined when there are none or the object is being deleted. */
  async #ranges(a: AdmissionAttributes): Promise<Obj[] | undefined> {
    if (a.oldObject?.metadata?.deletionTimestamp) return undefined;
    const list = await this.#store.list<Obj>(builtinKey('', 'limitranges', a.namespace, ''));
    return list.items.length > 0 ? list.items.map((i) => i.value) : undefined;
  }
}

/**
 * Requests default to limits before LimitRanger sees a pod upstream (decode-time defaulting), so a
 * container with only a limit keeps it as its request rather than taking defaultRequest.
 */
function requestsFromLimits(c: Obj): void {
  const limits = c.resources?.limits;
  if (!limits) return;
  c.resources.requests ??= {};
  for (const [k, v] of Object.entries(limits)) if (!(k in c.resources.requests)) c.resources.requests[k] = v;
}

function containerDefaults(lr: Obj): { requests: Record<string, string>; limits: Record<string, string> } {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type !== 'Container') continue;
    for (const [k, v] of Object.entries(resourceListFrom(item.defaultRequest))) requests[k] = formatQty(v);
    for (const [k, v] of Object.entries(resourceListFrom(item.default))) limits[k] = formatQty(v);
  }
  return { requests, limits };
}

function mergeDefaults(pod: Obj, lr: Obj): void {
  const defaults = containerDefaults(lr);
  const notes: string[] = [];
  const merge = (c: Obj, what: string) => {
    requestsFromLimits(c);
    c.resources ??= {};
    c.resources.limits ??= {};
    c.resources.requests ??= {};
    const setLimits = Object.keys(defaults.limits).filter((k) => !(k in c.resources.limits));
    const setRequests = Object.keys(defaults.requests).filter((k) => !(k in c.resources.requests));
    for (const k of setLimits) c.resources.limits[k] = defaults.limits[k];
    for (const k of setRequests) c.resources.requests[k] = defaults.requests[k];
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
    // Empty maps are not serialised upstream (omitempty).
    if (Object.keys(c.resources.limits).length === 0) delete c.resources.limits;
    if (Object.keys(c.resources.requests).length === 0) delete c.resources.requests;
  };
  for (const c of pod.spec?.containers ?? []) merge(c, 'container');
  for (const c of pod.spec?.initContainers ?? []) merge(c, 'init container');
  if (notes.length) {
    pod.metadata ??= {};
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

function checkBounds(item: Obj, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  const push = (m: string | undefined) => m && errs.push(m);
  for (const [k, v] of Object.entries(resourceListFrom(item.min))) push(minConstraint(type, k, v, requests, limits));
  for (const [k, v] of Object.entries(resourceListFrom(item.max))) push(maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of Object.entries(resourceListFrom(item.maxLimitRequestRatio))) push(limitRequestRatioConstraint(type, k, v, requests, limits));
}

export function validatePod(lr: Obj, pod: Obj): string | undefined {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkBounds(item, 'Container', resourceListFrom(c?.resources?.requests), resourceListFrom(c?.resources?.limits), errs);
      }
    }
    if (item?.type === 'Pod') checkBounds(item, 'Pod', podRequests(pod.spec, false), podLimits(pod.spec, false), errs);
  }
  return aggregateMessage(errs);
}

export function validateClaim(lr: Obj, pvc: Obj): string | undefined {
  const errs: string[] = [];
  const requests = resourceListFrom(pvc.spec?.resources?.requests);
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    // Claims are bounded by what they request; their limits are not user input.
    for (const [k, v] of Object.entries(resourceListFrom(item.min))) {
      const m = minConstraint('PersistentVolumeClaim', k, v, requests, {});
      if (m) errs.push(m);
    }
    for (const [k, v] of Object.entries(resourceListFrom(item.max))) {
      const m = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
      if (m) errs.push(m);
    }
  }
  return aggregateMessage(errs);
}
