/**
 * What the scheduler writes about a pod it could not place (schedule_one.go
 * handleSchedulingFailure): a FailedScheduling Warning Event and the PodScheduled=False condition
 * (reason Unschedulable, or SchedulerError for an error), with nominatedNodeName when preemption
 * nominated one. Conditions are written as the whole list in a merge patch (the pod's other
 * conditions kept), which is what upstream's two-way strategic patch of the status amounts to.
 */
import { rfc3339 } from '../../api/time.ts';
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

/** A core/v1 Event about `pod`, named as client-go's recorder names them (<name>.<unix nanos in hex>). */
export function podEvent(pod: Pod, o: { type: 'Normal' | 'Warning'; reason: string; action: string; message: string; component: string; instance: string; now: number }): K8sObject {
  const ts = rfc3339(new Date(o.now));
  // The sequence keeps names unique within one millisecond.
  const nanos = BigInt(o.now) * 1_000_000n + BigInt(seq++ % 1_000_000);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${nanos.toString(16)}`, namespace: pod.metadata.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
    reason: o.reason,
    message: o.message,
    type: o.type,
    action: o.action,
    source: { component: o.component },
    reportingComponent: o.component,
    reportingInstance: o.instance,
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  };
}
