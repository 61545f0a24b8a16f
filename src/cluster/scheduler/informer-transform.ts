/**
 * What the scheduler's informers keep of each object (client-go's SetTransform): upstream's
 * kube-scheduler drops only managedFields; here, for memory (issue 12: the scheduler's heap at
 * 150,000 bound pods), a pod keeps only what the scheduler reads, and every object's repeated
 * parts are shared between objects (src/util/shared-values.ts). Decisions are the same: what is
 * dropped is read by no plugin, the queue, the cache or the events (the test runs the same pods
 * with and without it). A plugin that starts reading another pod field must add it here.
 */
import type { K8sObject } from '../client/types.ts';
import { stripManagedFields } from '../client/informer.ts';
import { createSharedValues, type SharedValues } from '../../util/shared-values.ts';
import { resizeStatusView } from './resize-requests.ts';

/**
 * Pod fields read by the scheduler, by part of the pod. metadata: name, namespace (keys, events,
 * bindings), uid (bindings, events), resourceVersion (events, the informer), labels (affinity,
 * spreading), creation and deletion timestamps (preemption's ordering and terminating victims).
 * Not kept: annotations, ownerReferences, finalizers, generateName, managedFields.
 */
const POD_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'labels', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
/** Of each container: requests (NodeResourcesFit), host ports (NodePorts), sidecars' restartPolicy (PodRequests). */
const CONTAINER = ['name', 'resources', 'ports', 'restartPolicy'];
/**
 * status: phase (terminal pods hold nothing), conditions (written back whole with PodScheduled
 * or DisruptionTarget changed, so all of them are kept), nominatedNodeName (preemption),
 * startTime (preemption's ordering); container statuses only as resize-requests.ts needs them
 * (the resources of those that change the pod's requests after an in-place resize). Not kept:
 * other container statuses, IPs, qosClass, messages.
 */
const POD_STATUS = ['phase', 'conditions', 'nominatedNodeName', 'startTime'];

function pick(o: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> | undefined {
  if (!o) return o;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** A pod with only what the scheduler reads; spec whole but its containers' images, commands, env, probes, mounts. */
export function schedulerPodView(pod: K8sObject): K8sObject {
  const spec: Record<string, unknown> = { ...pod.spec };
  for (const k of ['containers', 'initContainers']) {
    const list = spec[k] as Array<Record<string, unknown>> | undefined;
    if (list) spec[k] = list.map((c) => pick(c, CONTAINER));
  }
  // Ephemeral containers request nothing and are not scheduled.
  delete spec.ephemeralContainers;
  const out: K8sObject = { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pick(pod.metadata, POD_METADATA) as K8sObject['metadata'], spec };
  if (pod.status) {
    out.status = pick(pod.status, POD_STATUS);
    const resized = resizeStatusView(pod);
    if (resized) out.status!.containerStatuses = resized;
  }
  return out;
}

/**
 * The transform for the scheduler's informer factory: pods as schedulerPodView, other objects
 * (a few thousand nodes, volumes, namespaces) without managedFields; then their parts shared
 * between objects (an object and its metadata are unique by name, so only their members are
 * looked up: nodes share their condition messages, capacities, node info).
 */
export function schedulerTransform(values: SharedValues = createSharedValues()): (obj: K8sObject) => K8sObject {
  return (obj) => {
    const { metadata, ...rest } = obj.kind === 'Pod' ? schedulerPodView(obj) : stripManagedFields(obj);
    return { ...values.shareMembers(rest), metadata: values.shareMembers(metadata) };
  };
}
