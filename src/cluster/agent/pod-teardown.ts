/**
 * The kill paths of a pod sync: a pod's containers stopped (each running one's preStop first),
 * its sandbox stopped; an eviction (the eviction manager's evictPod: Failed, reason Evicted); and a
 * pod's termination for good (the kubelet's SyncTerminatingPod / SyncTerminatedPod, cut down):
 * every container stopped with the grace period at once while readiness keeps being reported, the
 * final status written, everything removed, then the pod deleted with grace 0 and a UID
 * precondition, as the kubelet's status manager does.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { rfc3339 } from '../sim/node-template.ts';
import { computePodStatus, type PodView } from './pod-status.ts';
import { gracePeriodOf, isDone, refOf, type SyncContext } from './pod-sync-deps.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';

/** The pod's conditions with DisruptionTarget True, reason TerminationByKubelet and `message` (the kubelet's evictions and preemptions). */
export function withDisruptionTarget(conditions: unknown, message: string, now: string): Array<Record<string, unknown>> {
  const others = ((conditions ?? []) as Array<Record<string, unknown>>).filter((c) => c.type !== 'DisruptionTarget');
  return [...others, { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: now, reason: 'TerminationByKubelet', message }];
}

export class PodTeardown {
  readonly #c: SyncContext;
  /** Drops everything the syncer keeps about a pod once it is gone. */
  readonly #forget: (uid: string) => void;
  /** Pods shutting down gracefully whose readiness still updates their status, with the writes in flight. */
  #terminating = new Map<string, { pod: Pod; writes: Promise<void> }>();

  constructor(c: SyncContext, forget: (uid: string) => void) {
    this.#c = c;
    this.#forget = forget;
  }

  /** A probe result changed: true when the pod is terminating and its status was queued for writing here (its worker is busy stopping it). */
  readinessChanged(uid: string): boolean {
    if (!this.#terminating.has(uid)) return false;
    this.#statusWhileTerminating(uid);
    return true;
  }

  /** A readiness change while the pod terminates: its status written now (Ready, so EndpointSlices' serving follows), in order. */
  #statusWhileTerminating(uid: string): void {
    const c = this.#c;
    const t = this.#terminating.get(uid)!;
    t.writes = t.writes
      .then(async () => {
        if (this.#terminating.get(uid) !== t) return;
        const view = await c.view(uid);
        await c.status.write(t.pod, computePodStatus(t.pod, { view, waiting: new Map(), hostIP: c.d.hostIP, now: c.d.now(), scheme: c.d.scheme, podIPs: c.podIPs(t.pod), probes: c.verdict(uid) }));
      })
      .catch((err: Error) => c.d.log.warn({ pod: podDesc(t.pod), err: err.message }, 'status of a terminating pod not written'));
  }

  /**
   * The eviction manager's evictPod for a local-storage limit: an Evicted event, the containers
   * killed (kill: immediateEvictionGracePeriodSeconds), then phase Failed, reason Evicted and the message. No DisruptionTarget condition
   * for a local-storage eviction (upstream passes none); a node-pressure one (`nodePressure`) gets
   * TerminationByKubelet.
   */
  async evict(pod: Pod, message: string, nodePressure = false, grace?: number): Promise<void> {
    const { d } = this.#c;
    const uid = pod.metadata?.uid ?? '';
    const again = this.#c.status.last(uid)?.reason === 'Evicted';
    if (!again) {
      d.log.info({ pod: podDesc(pod), reason: message }, 'evicting pod');
      d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', 'Evicted', message);
    }
    const status = this.terminalStatus(pod, await this.kill(pod, grace));
    // Node-pressure evictions say so in a DisruptionTarget condition (TerminationByKubelet), as evictPod's condition.
    const conditions = nodePressure ? withDisruptionTarget(status.conditions, message, rfc3339(d.now())) : status.conditions;
    await this.#c.status.write(pod, { ...status, phase: 'Failed', reason: 'Evicted', message, conditions });
  }

  /**
   * Kills the containers of a pod the agent will not run (evicted, or rejected at admission): a
   * Killing event for each running one, then each stopped with the 1 s override upstream's
   * eviction and clean-up of unwanted pods use, raised to killContainer's 2 s minimum (preStop
   * hooks run inside it). The sandbox is stopped; nothing is removed. `grace`: another grace period
   * (a preempted pod's own, a soft eviction's), still at least 2 s.
   */
  async kill(pod: Pod, grace = 2): Promise<PodView> {
    this.#c.probes.forget(pod.metadata?.uid ?? '');
    await this.#announceKilling(pod);
    return this.stopAll(pod.metadata?.uid ?? '', Math.max(2, grace), false, pod);
  }

  /** The status of a pod whose containers are stopped for good (`stopped`: as they are now). */
  terminalStatus(pod: Pod, stopped: PodView): Record<string, unknown> {
    const { d } = this.#c;
    return computePodStatus(pod, { view: stopped, waiting: new Map(), hostIP: d.hostIP, now: d.now(), scheme: d.scheme, terminal: true, podIPs: this.#c.podIPs(pod) });
  }

  /** A Killing event for each running container of the pod, as killContainer records before it stops one. */
  async #announceKilling(pod: Pod): Promise<void> {
    const running = new Set((await this.#c.view(pod.metadata?.uid ?? '')).containers.filter((c) => c.state === 'running').map((c) => c.name));
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (running.has(c.name)) this.#c.event(pod, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
    }
  }

  /** Stops every container of the pod (with `pod`, each running one's preStop hook first). */
  async stopAll(uid: string, grace: number, remove: boolean, pod?: Pod): Promise<PodView> {
    const { d, index, life } = this.#c;
    let view = await this.#c.view(uid);
    const specOf = (name: string) => [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].find((s) => s.name === name);
    await Promise.all(view.containers.filter((c) => c.state === 'running' || c.state === 'created').map((c) => (pod && c.state === 'running' ? life.stop(pod, specOf(c.name), c.id, grace) : d.runtime.stopContainer(c.id, grace))));
    for (const s of view.sandboxes) if (s.state === 'ready') await d.runtime.stopSandbox(s.id);
    view = await this.#c.view(uid);
    if (remove) {
      for (const c of view.containers) {
        await d.runtime.removeContainer(c.id);
        index.drop(uid, c.id);
      }
      for (const s of view.sandboxes) {
        await d.runtime.removeSandbox(s.id);
        index.drop(uid, s.id);
      }
    }
    return view;
  }

  /**
   * Shuts a pod down for good: `pod` is the last known object. With `deleteFromApi` (the pod is
   * being deleted), the final status is written and the pod deleted with grace 0 once its
   * containers are gone; otherwise (the pod is already gone from the API) only the runtime state.
   */
  async terminate(pod: Pod, deleteFromApi: boolean, graceOverride?: number): Promise<void> {
    const { d, probes } = this.#c;
    const uid = pod.metadata?.uid ?? '';
    const grace = graceOverride ?? gracePeriodOf(pod);
    // Readiness keeps being probed and reported while the containers stop, as upstream.
    const term = deleteFromApi && !isDone(pod.status?.phase) ? { pod, writes: Promise.resolve() } : undefined;
    if (term) {
      this.#terminating.set(uid, term);
      probes.terminating(uid);
    } else probes.forget(uid);
    await this.#announceKilling(pod);
    let stopped: PodView;
    try {
      stopped = await this.stopAll(uid, grace, false, pod);
    } finally {
      if (term) {
        this.#terminating.delete(uid);
        await term.writes;
      }
      probes.forget(uid);
    }
    // A pod already terminal in the API (finished, or rejected) keeps the status it has.
    if (deleteFromApi && !isDone(pod.status?.phase)) {
      try {
        await this.#c.status.write(pod, this.terminalStatus(pod, stopped));
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    await this.stopAll(uid, 0, true);
    await d.volumes?.tearDown(uid);
    await d.network?.tearDown(refOf(pod));
    this.#forget(uid);
    if (!deleteFromApi) return;
    try {
      await d.client.delete(resources.pods, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      // Gone already, or a different pod now holds the name: nothing of ours to delete.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  forget(uid: string): void {
    this.#terminating.delete(uid);
  }
}
