/**
 * The EndpointSlice controller (pkg/controller/endpointslice/endpointslice_controller.go): for
 * every Service with a selector, discovery.k8s.io/v1 EndpointSlices per address type holding the
 * matching pods, labelled kubernetes.io/service-name and managed-by this controller, owned by the
 * Service (the garbage collector removes them with it). Service, pod, node and slice events
 * enqueue the Service's key; the sync reconciles with minimal churn (reconcile.ts).
 *
 * Slices this controller wrote are awaited in the informer before the next sync of that Service
 * (upstream's endpointSliceTracker): acting on a cache without them would create duplicates.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isNotFound } from '../../client/errors.ts';
import { newControllerRef } from '../controller-ref.ts';
import { EXPECTATIONS_TIMEOUT_MS } from '../expectations.ts';
import { formatTime, type Pod } from '../pod-util.ts';
import { newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { managedLabels } from '../endpoints/controller.ts';
import { serviceFamilies, serviceSelector, servicesSelecting, type Service } from '../endpoints/pod-address.ts';
import { LAST_CHANGE_TRIGGER_TIME, TriggerTimeTracker } from '../endpoints/trigger-time.ts';
import { desiredEndpoints } from './desired.ts';
import { reconcileSlices } from './reconcile.ts';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

const COMPONENT = 'endpointslice-controller';
const SERVICES = resources.services;
const SLICES = resources.endpointslices;
const NODES = resources.nodes;

export interface EndpointSliceControllerDeps extends WorkloadControllerDeps {
  /** --max-endpoints-per-slice (default 100, at most 1000). */
  maxEndpointsPerSlice?: number;
}

/** Revision this controller last wrote per slice name (undefined: deleted), and when. */
type Written = Map<string, { rv: string | undefined; at: number }>;

function caughtUp(cached: K8sObject | undefined, rv: string | undefined): boolean {
  if (rv === undefined) return cached === undefined;
  const have = cached?.metadata.resourceVersion;
  if (have === undefined) return false;
  // Revisions are this server's global counter: a later one includes our write.
  return have === rv || (/^\d+$/.test(have) && /^\d+$/.test(rv) && BigInt(have) > BigInt(rv));
}

export function newEndpointSliceController(deps: EndpointSliceControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const maxPerSlice = Math.min(1000, Math.max(1, deps.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE));
  const services = deps.informers.informer<Service>(SERVICES);
  const pods = deps.informers.informer<Pod>(PODS);
  const nodes = deps.informers.informer<K8sObject>(NODES);
  const slices = deps.informers.informer<K8sObject>(SLICES);
  slices.addIndexers({ service: (s) => (s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME && s.metadata.labels?.[LABEL_SERVICE_NAME] ? [`${s.metadata.namespace}/${s.metadata.labels[LABEL_SERVICE_NAME]}`] : []) });
  const triggers = new TriggerTimeTracker();
  const written = new Map<string, Written>();

  const enqueueFor = (pod: Pod) => {
    for (const s of servicesSelecting(services, pod)) queue.add(keyOf(s));
  };
  const enqueueSlice = (s: K8sObject) => {
    const name = s.metadata.labels?.[LABEL_SERVICE_NAME];
    if (name && s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME) queue.add(`${s.metadata.namespace}/${name}`);
  };
  services.addEventHandler({ add: (s) => queue.add(keyOf(s)), update: (_o, s) => queue.add(keyOf(s)), delete: (s) => queue.add(keyOf(s)) });
  pods.addEventHandler({
    add: enqueueFor,
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      enqueueFor(cur);
      if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) enqueueFor(old);
    },
    delete: enqueueFor,
  });
  slices.addEventHandler({ add: enqueueSlice, update: (_o, s) => enqueueSlice(s), delete: enqueueSlice });
  // A node's zone label is part of its pods' endpoints.
  nodes.addEventHandler({
    update(old, cur) {
      if (old.metadata.labels?.['topology.kubernetes.io/zone'] === cur.metadata.labels?.['topology.kubernetes.io/zone']) return;
      for (const p of pods.list()) if (p.spec?.nodeName === cur.metadata.name) enqueueFor(p);
    },
  });

  /** Whether the cache shows every slice write of this Service (expired waits count as shown). */
  const cacheCurrent = (key: string, ns: string): boolean => {
    const w = written.get(key);
    if (!w) return true;
    for (const [name, { rv, at }] of w) {
      if (caughtUp(slices.get(ns, name), rv) || now() - at > EXPECTATIONS_TIMEOUT_MS) w.delete(name);
    }
    if (w.size === 0) written.delete(key);
    return w.size === 0;
  };
  const remember = (key: string, name: string, rv: string | undefined) => {
    let w = written.get(key);
    if (!w) written.set(key, (w = new Map()));
    w.set(name, { rv, at: now() });
  };

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const svc = services.get(ns, name);
    if (!svc) {
      // The slices go with their owner through the garbage collector.
      triggers.deleteService(key);
      written.delete(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    // Until the informer shows our last writes the next decision would rest on a stale list;
    // the slice events that bring them enqueue this Service again.
    if (!cacheCurrent(key, ns)) return;
    const selected = pods.byIndex('namespace', ns).filter((p) => selector.matches(p.metadata.labels));
    const triggerTime = triggers.compute(key, svc, selected);
    const labels = managedLabels(svc, { [LABEL_SERVICE_NAME]: name, [LABEL_MANAGED_BY]: CONTROLLER_NAME });
    const ownerRef = newControllerRef(svc, SERVICES);
    const mine = slices.byIndex('service', key);
    const families = serviceFamilies(svc);
    const writes = { create: [] as K8sObject[], update: [] as K8sObject[], delete: [] as K8sObject[] };
    // Slices of an earlier Service of this name, or of an address type no longer served, go.
    writes.delete.push(...mine.filter((s) => s.metadata.ownerReferences?.[0]?.uid !== svc.metadata.uid || !families.includes(s.addressType)));
    for (const addressType of families) {
      const w = reconcileSlices({
        addressType,
        groups: desiredEndpoints(svc, selected, nodes, addressType),
        existing: mine.filter((s) => s.addressType === addressType && !writes.delete.includes(s)),
        maxEndpointsPerSlice: maxPerSlice,
        labels,
        newSlice: () => ({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: `${name}-`, namespace: ns, labels, ownerReferences: [ownerRef] },
          addressType,
        }),
      });
      writes.create.push(...w.create);
      writes.update.push(...w.update);
      writes.delete.push(...w.delete);
    }
    const annotate = (s: K8sObject): K8sObject => {
      const annotations = { ...(s.metadata.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTime(triggerTime);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME];
      return { ...s, metadata: { ...s.metadata, annotations } };
    };
    const errors: unknown[] = [];
    // Creates and updates before deletes: endpoints moving between slices are never missing.
    for (const s of writes.create) {
      try {
        const made = await client.create(SLICES, ns, annotate(s));
        remember(key, made.metadata.name!, made.metadata.resourceVersion);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const s of writes.update) {
      try {
        const made = await client.update(SLICES, ns, annotate(s));
        remember(key, made.metadata.name!, made.metadata.resourceVersion);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const s of writes.delete) {
      try {
        await client.delete(SLICES, ns, s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
        remember(key, s.metadata.name!, undefined);
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  };

  return newQueueController({ name: COMPONENT, queue, waitFor: [services, pods, nodes, slices], sync, log });
}
