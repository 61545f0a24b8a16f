/**
 * What the scheduler writes about a pod it could not place (schedule_one.go
 * handleSchedulingFailure): a FailedScheduling Warning Event and the PodScheduled=False condition
 * (reason Unschedulable, or SchedulerError for an error), with nominatedNodeName when preemption
 * nominated one. Conditions are written as the whole list in a merge patch (the pod's other
 * conditions kept), which is what upstream's two-way strategic patch of the status amounts to.
 */
import { rfc3339, rfc3339Micro } from '../../api/time.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import type { Pod } from './resources.ts';

interface Condition { type: string; status: string; reason?: string; message?: string; lastProbeTime?: string | null; lastTransitionTime?: string }

/** podutil.UpdatePodCondition: replace the condition of that type; keep the transition time when the status is unchanged. */
export function withCondition(conditions: readonly Condition[] | undefined, c: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, c];
  const old = list[i]!;
  list[i] = { ...c, lastTransitionTime: old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : c.lastTransitionTime };
  return list;
}

export async function setPodCondition(client: ApiClient, pod: Pod, c: Omit<Condition, 'lastTransitionTime'>, now: number, extra: Record<string, unknown> = {}): Promise<void> {
  // podConditionHaveUpdate: an unchanged condition (and nomination) is not written again.
  const old = (pod.status?.conditions as Condition[] | undefined)?.find((x) => x.type === c.type);
  const nominationSame = Object.entries(extra).every(([k, v]) => (pod.status?.[k] ?? null) === v);
  if (old && old.status === c.status && old.reason === c.reason && old.message === c.message && nominationSame) return;
  const conditions = withCondition(pod.status?.conditions, { lastProbeTime: null, ...c, lastTransitionTime: rfc3339(new Date(now)) });
  await client.patch(resources.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '', 'merge', { status: { conditions, ...extra } }, 'status');
}

let seq = 0;

/** validation.NoteLengthLimit: an events.k8s.io Event's note holds at most this many bytes. */
export const NOTE_LENGTH_LIMIT = 1024;

/** schedule_one.go truncateMessage: a note past the limit keeps its head and ends in " ...". */
export function truncateNote(message: string): string {
  if (Buffer.byteLength(message) <= NOTE_LENGTH_LIMIT) return message;
  const suffix = ' ...';
  // Cut at a character boundary at or below the byte budget (Go slices bytes; a split character would not be valid UTF-8).
  let head = Buffer.from(message).subarray(0, NOTE_LENGTH_LIMIT - suffix.length).toString();
  if (head.endsWith('\uFFFD')) head = head.slice(0, -1);
  return head + suffix;
}

/**
 * An events.k8s.io/v1 Event about `pod`, as kube-scheduler records through client-go's
 * tools/events broadcaster (its recorder's makeEvent): named <pod>.<unix nanos in hex>, eventTime
 * now (MicroTime), reportingController the profile's schedulerName, reportingInstance
 * <controller>-<hostname>, the action and reason, regarding the pod's reference, the message as
 * the note (truncated to the 1 KiB limit), no series (a first occurrence). It is stored as the
 * core/v1 Event with the same content (involvedObject, message, reportingComponent, eventTime),
 * which `kubectl describe` lists, showing reportingController as the source for lack of one.
 */
export function podEvent(pod: Pod, o: { type: 'Normal' | 'Warning'; reason: string; action: string; message: string; component: string; instance: string; now: number }): K8sObject {
  // The sequence keeps names unique within one millisecond.
  const nanos = BigInt(o.now) * 1_000_000n + BigInt(seq++ % 1_000_000);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${nanos.toString(16)}`, namespace: pod.metadata.namespace || 'default' },
    eventTime: rfc3339Micro(o.now),
    reportingController: o.component,
    reportingInstance: o.instance,
    action: o.action,
    reason: o.reason,
    regarding: { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
    note: truncateNote(o.message),
    type: o.type,
  };
}
