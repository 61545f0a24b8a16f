/**
 * A small event recorder: core/v1 Events about an object, written through the controller's own
 * client (what `kubectl describe` shows). Recording is best effort, as upstream's broadcaster:
 * a failed write is logged, never fails the sync.
 */
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import { EVENTS, apiVersionOf } from './resources.ts';
import { formatTime } from './pod-util.ts';
import { newSpamFilter } from './event-spam-filter.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** `fieldPath` names a part of the object (a pod's container: spec.containers{name}), as the kubelet's events do. */
  event(obj: K8sObject, resource: ResourceRef, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

export interface RecorderDeps {
  client: ApiClient;
  /** source.component, e.g. replicaset-controller. */
  component: string;
  /** source.host: the node a kubelet's events come from. */
  host?: string;
  now: () => number;
  /** Random suffix for the event name (upstream: the time in hex nanoseconds). */
  suffix: () => string;
  log: { error(obj: unknown, msg?: string): void };
}

/** The Event an occurrence becomes (count 1, first and last time now). */
export function buildEvent(d: RecorderDeps, obj: K8sObject, resource: ResourceRef, type: EventType, reason: string, message: string, fieldPath?: string): K8sObject {
  const ns = obj.metadata.namespace || 'default';
  const t = formatTime(d.now());
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata.name}.${d.suffix()}`, namespace: ns },
    involvedObject: {
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      ...(fieldPath ? { fieldPath } : {}),
    },
    reason,
    message,
    type,
    source: { component: d.component, ...(d.host ? { host: d.host } : {}) },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    reportingComponent: d.component,
    reportingInstance: d.host ?? '',
  };
}

/** Events written as they come, past the spam filter (upstream's EventSourceObjectSpamFilter). */
export function newEventRecorder(d: RecorderDeps): EventRecorder {
  const spam = newSpamFilter(d.now);
  return {
    event(obj, resource, type, reason, message, fieldPath) {
      const ev = buildEvent(d, obj, resource, type, reason, message, fieldPath);
      if (spam(ev)) return;
      d.client.create(EVENTS, ev.metadata.namespace ?? 'default', ev).catch((err) => d.log.error({ err, reason }, `${d.component}: could not record event`));
    },
  };
}
