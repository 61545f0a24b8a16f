/**
 * The Endpoints controller (pkg/controller/endpoint/endpoints_controller.go): for every Service
 * with a selector, an Endpoints object of the same name listing the matching pods. Service, pod
 * and Endpoints events only enqueue the Service's key; the sync computes the subsets from the
 * cache and writes only when they, the labels or the capacity annotation differ, so a second run
 * changes nothing. A deleted Service's Endpoints are deleted; Services without a selector are left
 * to whoever manages their Endpoints.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isNotFound } from '../../client/errors.ts';
import { formatTime, type Pod } from '../pod-util.ts';
import { newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { isHeadless, serviceSelector, servicesSelecting, type Service } from './pod-address.ts';
import { computeSubsets } from './subsets.ts';
import { LAST_CHANGE_TRIGGER_TIME, TriggerTimeTracker } from './trigger-time.ts';

export const ENDPOINTS_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** Tells the EndpointSlice mirroring controller that slices for these Endpoints exist already. */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

const COMPONENT = 'endpoint-controller';
const SERVICES = resources.services;
const ENDPOINTS = resources.endpoints;

export type EndpointsControllerDeps = WorkloadControllerDeps;

/** The labels the Endpoints carry: the Service's, plus skip-mirror and headless. */
export function managedLabels(svc: Service, extra: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), ...extra };
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  return labels;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function newEndpointsController(deps: EndpointsControllerDeps): Controller {
  const { client, queue, log } = deps;
  const services = deps.informers.informer<Service>(SERVICES);
  const pods = deps.informers.informer<Pod>(PODS);
  const endpoints = deps.informers.informer<K8sObject>(ENDPOINTS);
  const triggers = new TriggerTimeTracker();

  const enqueueFor = (pod: Pod) => {
    for (const s of servicesSelecting(services, pod)) queue.add(keyOf(s));
  };
  services.addEventHandler({
    add: (s) => queue.add(keyOf(s)),
    update: (_o, s) => queue.add(keyOf(s)),
    delete: (s) => queue.add(keyOf(s)),
  });
  pods.addEventHandler({
    add: enqueueFor,
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      // Old labels too: a pod that stopped matching leaves the old Services' endpoints.
      enqueueFor(cur);
      if (!same(old.metadata.labels, cur.metadata.labels)) enqueueFor(old);
    },
    delete: enqueueFor,
  });
  // Someone else changing or deleting the Endpoints: put them back as they should be.
  endpoints.addEventHandler({
    update: (_o, ep) => queue.add(keyOf(ep)),
    delete: (ep) => queue.add(keyOf(ep)),
  });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const svc = services.get(ns, name);
    if (!svc) {
      triggers.deleteService(key);
      // Delete unconditionally: the cache may not have seen Endpoints created by a previous leader.
      try {
        await client.delete(ENDPOINTS, ns, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const selected = pods.byIndex('namespace', ns).filter((p) => selector.matches(p.metadata.labels));
    const { subsets, truncated } = computeSubsets(svc, selected);
    const triggerTime = triggers.compute(key, svc, selected);
    const labels = managedLabels(svc, { [LABEL_SKIP_MIRROR]: 'true' });
    const current = endpoints.get(ns, name);
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    const capacityRight = truncated ? annotations[ENDPOINTS_OVER_CAPACITY] === 'truncated' : annotations[ENDPOINTS_OVER_CAPACITY] === undefined;
    if (current && same(current.subsets ?? [], subsets) && same(current.metadata.labels ?? {}, labels) && capacityRight) return;
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTime(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (truncated) annotations[ENDPOINTS_OVER_CAPACITY] = 'truncated';
    else delete annotations[ENDPOINTS_OVER_CAPACITY];
    const metadata = { ...(current?.metadata ?? { name, namespace: ns }), labels, annotations };
    const next: K8sObject = { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets };
    // A stale cache answers 409 (update) or 409 AlreadyExists (create): the retry reads again.
    if (current) await client.update(ENDPOINTS, ns, next);
    else await client.create(ENDPOINTS, ns, next);
  };

  return newQueueController({ name: COMPONENT, queue, waitFor: [services, pods, endpoints], sync, log });
}
