/**
 * The pod sync's admission step (the kubelet's HandlePodAdditions → canAdmitPod → rejectPod).
 * Every pod that is not terminal is judged once by this agent, including the pods it finds already
 * running at start: a pod admitted by an older agent but refused by today's rules (hostUsers:
 * false, an AppArmor profile, a RuntimeClass handler other than runc, resources that no longer
 * fit) is rejected and its containers are stopped, as a restarted kubelet does.
 *
 * Pods are judged in creation order, so earlier pods keep their place: a pod's first sync judges
 * every pod not judged yet that was created before it, then the pod itself, each against the pods
 * admitted so far (admitPod in pod-admission.ts, then its RuntimeClass). Upstream sorts a batch of
 * additions by creationTimestamp (sliceutils.PodsByCreationTime); timestamps have one-second
 * resolution, and ties here go by namespace/name so the outcome does not depend on which pod's
 * worker runs first. Judging is serialized: concurrent workers cannot both take the last place.
 *
 * A rejected pod gets one Warning event and phase Failed with the reason and "Pod was rejected: …"
 * as message; its containers, if any, are killed (Killing events, the 1 s override raised to 2 s
 * as upstream's clean-up of pods it does not run). The admission order is also the start gate's
 * priority (earlier pods start first).
 *
 * A critical pod refused only for resources preempts pods (preemption.ts, upstream's
 * CriticalPodAdmissionHandler): each victim's verdict becomes Preempting, its worker is woken to
 * kill it (its own grace period) and write Failed with a DisruptionTarget condition, and the
 * critical pod's admission waits for that, at most max(10 s, 1.5 × the grace period) per victim as
 * upstream's killPodNow, before it is admitted. No set of pods freeing enough: rejected with
 * UnexpectedAdmissionError.
 *
 * Not as upstream: a pod already running whose RuntimeClass is gone keeps running (upstream reads
 * the class only to create a sandbox; this agent's RuntimeClass check is an admission check).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { rfc3339 } from '../sim/node-template.ts';
import { admitPod, type Rejection } from './pod-admission.ts';
import { gracePeriodOf, isDone, type SyncContext, type SyncView } from './pod-sync-deps.ts';
import { PREEMPTION_CONDITION_MESSAGE, PREEMPTION_MESSAGE, PREEMPTION_REASON, podsToPreempt, requirementsText, type Requirement } from './preemption.ts';
import { withDisruptionTarget } from './pod-teardown.ts';
import { realTimers } from '../client/timers.ts';
import { runtimeClassRejection } from './runtime-class.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';

/**
 * Admitted with its admission order, or rejected (reported once the event went out); a preempted
 * pod's rejection carries its DisruptionTarget message and the wait of the pod it made room for.
 */
type Verdict = { order: number } | { rejection: Rejection; reported: boolean; disruption?: string; killed?: () => void };

/** The longest delay setTimeout keeps: a longer one (a victim's grace past ~16 days) would fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const uidOf = (p: Pod): string => p.metadata?.uid ?? '';

/** Creation order: creationTimestamp, then namespace/name (upstream leaves ties unordered). */
export function byCreation(a: Pod, b: Pod): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  // The server writes one format (RFC 3339, seconds, Z): then the text orders as the time does.
  const byTime = ta.length === tb.length && ta.endsWith('Z') && tb.endsWith('Z') ? (ta < tb ? -1 : ta > tb ? 1 : 0) : (Date.parse(ta) || 0) - (Date.parse(tb) || 0);
  if (byTime !== 0) return byTime;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export class PodAdmitter {
  readonly #c: SyncContext;
  /** Kills the containers of a rejected pod: its status then (terminated container statuses). */
  readonly #kill: (pod: Pod, grace?: number) => Promise<Record<string, unknown>>;
  /** Each pod's verdict (bounded by the pods on the node; dropped with the pod). */
  #verdicts = new Map<string, Verdict>();
  #admissions = 0;
  /** The judging in progress: one at a time. */
  #judging: Promise<void> = Promise.resolve();

  /** A pod as the node runs it (its allocated resources after an in-place resize: pod-resize.ts). */
  readonly #allocated: (pod: Pod) => Pod;

  constructor(c: SyncContext, kill: (pod: Pod, grace?: number) => Promise<Record<string, unknown>>, allocated: (pod: Pod) => Pod = (p) => p) {
    this.#c = c;
    this.#kill = kill;
    this.#allocated = allocated;
  }

  /** The pod's place in the start gate: its admission order (a pod not admitted goes last). */
  order(uid: string): number {
    const v = this.#verdicts.get(uid);
    return v && 'order' in v ? v.order : this.#admissions;
  }

  /** True when the pod may run; false when it was rejected: its Failed status written and its containers killed. */
  async admit(pod: Pod, view: SyncView): Promise<boolean> {
    const uid = uidOf(pod);
    if (!this.#verdicts.has(uid)) {
      const turn = this.#judging.then(() => this.#judgeUpTo(pod));
      this.#judging = turn.catch(() => {});
      await turn;
    }
    const v = this.#verdicts.get(uid)!;
    if ('order' in v) return true;
    const d = this.#c.d;
    if (!v.reported) {
      d.log.info({ pod: podDesc(pod), reason: v.rejection.reason }, 'pod rejected');
      d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', v.rejection.reason, v.rejection.message.replace(/^Pod was rejected: /, ''));
      v.reported = true;
    }
    this.#c.probes.forget(uid);
    try {
      // A pod that runs here (an older agent admitted it, or it was preempted) is killed first, so its status says how its containers ended.
      const known = view.sandboxes.length > 0 || view.containers.length > 0;
      const status = known ? await this.#kill(pod, v.disruption ? gracePeriodOf(pod) : undefined) : { startTime: pod.status?.startTime ?? rfc3339(d.now()) };
      const conditions = v.disruption ? withDisruptionTarget(status.conditions, v.disruption, rfc3339(d.now())) : status.conditions;
      await this.#c.status.write(pod, { ...status, phase: 'Failed', reason: v.rejection.reason, message: v.rejection.message, ...(conditions ? { conditions } : {}) });
    } finally {
      v.killed?.();
    }
    return false;
  }

  /** Judges, in creation order, every pod not judged yet that was created no later than `pod`, then `pod`. */
  async #judgeUpTo(pod: Pod): Promise<void> {
    const uid = uidOf(pod);
    if (this.#verdicts.has(uid)) return;
    const earlier = this.#c.d.pods().filter((p) => uidOf(p) !== uid && !this.#verdicts.has(uidOf(p)) && !isDone(p.status?.phase) && !p.metadata?.deletionTimestamp && byCreation(p, pod) < 0);
    for (const p of [...earlier.sort(byCreation), pod]) {
      if (this.#verdicts.has(uidOf(p))) continue;
      const rejection = await this.#judge(p);
      this.#verdicts.set(uidOf(p), rejection ? { rejection, reported: false } : { order: this.#admissions++ });
    }
  }

  /** canAdmitPod: the rejection of `pod` beside the pods admitted so far, if any. */
  async #judge(pod: Pod): Promise<Rejection | undefined> {
    const d = this.#c.d;
    const uid = uidOf(pod);
    // The admitted pods count at their allocations: a resize not admitted yet (Deferred) takes no room.
    const admitted = d.pods().filter((p) => uidOf(p) !== uid && 'order' in (this.#verdicts.get(uidOf(p)) ?? {}) && !isDone(p.status?.phase)).map(this.#allocated);
    let rejection = admitPod(this.#allocated(pod), admitted, d.allocatable, d.node?.(), d.nodePressure?.(), d.sysctls);
    if (rejection?.reason === 'NodeAffinity' && d.fetchNode) {
      const fresh = await d.fetchNode().catch(() => undefined);
      if (fresh) rejection = admitPod(this.#allocated(pod), admitted, d.allocatable, fresh, d.nodePressure?.(), d.sysctls);
    }
    if (rejection && !rejection.insufficient) return rejection;
    const short = rejection?.insufficient;
    rejection = await runtimeClassRejection(d.client, pod);
    if (rejection?.reason === 'RuntimeClassNotFound') {
      const own = await this.#c.view(uid);
      if (own.sandboxes.length > 0 || own.containers.length > 0) return undefined;
    }
    if (rejection || !short) return rejection;
    return this.#preemptFor(pod, admitted, short);
  }

  /** HandleAdmissionFailure for a critical pod short of `short`: its victims killed (waited for), or the rejection when there are none enough. */
  async #preemptFor(pod: Pod, admitted: readonly Pod[], short: readonly Requirement[]): Promise<Rejection | undefined> {
    const d = this.#c.d;
    let victims: Pod[];
    try {
      // Pods already being deleted or evicted are not active (filterOutInactivePods): not victims.
      const active = admitted.filter((p) => !p.metadata?.deletionTimestamp && !d.evictionVerdict?.(uidOf(p)) && !d.pressureVerdict?.(uidOf(p)));
      victims = podsToPreempt(pod, active, short);
    } catch (err) {
      d.log.info({ pod: podDesc(pod), err: (err as Error).message }, 'critical pod not admitted: no pods to preempt');
      return { reason: 'UnexpectedAdmissionError', message: `Pod was rejected: Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: ${(err as Error).message}` };
    }
    const timers = d.timers ?? realTimers;
    await Promise.all(victims.map((victim) => {
      const uid = uidOf(victim);
      d.log.info({ pod: podDesc(victim), requestingPod: podDesc(pod), insufficientResources: requirementsText(short) }, 'Preempting pod to free up resources');
      d.recorder?.event(victim as K8sObject, resources.pods, 'Warning', PREEMPTION_REASON, PREEMPTION_MESSAGE);
      const grace = gracePeriodOf(victim);
      return new Promise<void>((resolve) => {
        const timer = timers.setTimeout(() => {
          d.log.warn({ pod: podDesc(victim) }, 'timeout waiting to kill pod');
          d.recorder?.event(victim as K8sObject, resources.pods, 'Warning', 'ExceededGracePeriod', 'Container runtime did not kill the pod within specified grace period.');
          resolve();
        }, Math.min(Math.max(10, grace + Math.floor(grace / 2)) * 1000, MAX_TIMER_MS));
        const killed = () => {
          timers.clearTimeout(timer);
          resolve();
        };
        this.#verdicts.set(uid, { rejection: { reason: PREEMPTION_REASON, message: PREEMPTION_MESSAGE }, reported: true, disruption: PREEMPTION_CONDITION_MESSAGE, killed });
        (d.wake ?? ((u: string) => d.requeueAfter(u, 0)))(uid);
      });
    }));
    return undefined;
  }

  forget(uid: string): void {
    this.#verdicts.delete(uid);
  }
}
