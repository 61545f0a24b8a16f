/**
 * The pod sync's admission step: a pod the agent has not admitted yet is judged by admitPod
 * (pod-admission.ts) against the pods it has admitted, then by its RuntimeClass; a rejected pod
 * gets an event and phase Failed with the reason and message, and is never started. The admission
 * order kept here is the start gate's priority (earlier pods start first).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { rfc3339 } from '../sim/node-template.ts';
import { admitPod } from './pod-admission.ts';
import { isDone, type SyncContext, type SyncView } from './pod-sync-deps.ts';
import { runtimeClassRejection } from './runtime-class.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';

export class PodAdmitter {
  readonly #c: SyncContext;
  /** Pods admitted to run here, with their admission order, the start gate's priority (at most allocatable pods; dropped with the pod). */
  #admitted = new Map<string, number>();
  #admissions = 0;

  constructor(c: SyncContext) {
    this.#c = c;
  }

  /** The pod's place in the start gate: its admission order (a pod not admitted goes last). */
  order(uid: string): number {
    return this.#admitted.get(uid) ?? this.#admissions;
  }

  /** True when the pod may run (admitted now or before); false when it was rejected, its Failed status written. */
  async admit(pod: Pod, view: SyncView): Promise<boolean> {
    const uid = pod.metadata?.uid ?? '';
    if (this.#admitted.has(uid)) return true;
    const d = this.#c.d;
    // Already running here (an agent restart) counts as admitted; a new pod must fit.
    const known = view.sandboxes.length > 0 || view.containers.length > 0;
    const running = d.pods().filter((p) => p.metadata?.uid !== uid && this.#admitted.has(p.metadata?.uid ?? '') && !isDone(p.status?.phase));
    let rejection = known ? undefined : admitPod(pod, running, d.allocatable, d.node?.(), d.nodePressure?.());
    if (rejection?.reason === 'NodeAffinity' && d.fetchNode) {
      const fresh = await d.fetchNode().catch(() => undefined);
      if (fresh) rejection = admitPod(pod, running, d.allocatable, fresh, d.nodePressure?.());
    }
    if (!rejection && !known) rejection = await runtimeClassRejection(d.client, pod);
    if (rejection) {
      d.log.info({ pod: podDesc(pod), reason: rejection.reason }, 'pod rejected');
      d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', rejection.reason, rejection.message.replace(/^Pod was rejected: /, ''));
      await this.#c.status.write(pod, { phase: 'Failed', reason: rejection.reason, message: rejection.message, startTime: pod.status?.startTime ?? rfc3339(d.now()) });
      return false;
    }
    this.#admitted.set(uid, this.#admissions++);
    return true;
  }

  forget(uid: string): void {
    this.#admitted.delete(uid);
  }
}
