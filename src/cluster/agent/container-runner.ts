/**
 * The container run loop of a pod sync (the kubelet's computePodActions / startContainer, cut
 * down): the init containers one at a time in order (sidecars started and left running), then every
 * container; an exited one restarted per restartPolicy with CrashLoopBackOff, a running one failing
 * its liveness or startup probe killed first. Image pull, environment and mounts come before the
 * runtime create; postStart runs right after a start (a failure kills the container:
 * PostStartHookError). Runtime creates and starts go through the start gate in admission order.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { CrashBackoff, goDuration } from './crash-backoff.ts';
import { containerEnv, CreateContainerConfigError } from './env.ts';
import { ensureImage, ImageWaiting } from './image-pull.ts';
import type { Waiting } from './pod-status.ts';
import { gracePeriodOf, refOf, StartAbandoned, type Att, type SyncContext } from './pod-sync-deps.ts';
import { defaultStartConcurrency, StartGate } from './start-gate.ts';
import { tracePodStart } from './pod-start-trace.ts';
import type { ContainerStatus, SandboxStatus } from './runtime/types.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';

export class ContainerRunner {
  readonly backoff: CrashBackoff;
  readonly pullBackoff: CrashBackoff;
  readonly #c: SyncContext;
  readonly #gate: StartGate;
  /** The pod's place in the start gate (its admission order). */
  readonly #order: (uid: string) => number;

  constructor(c: SyncContext, order: (uid: string) => number) {
    this.#c = c;
    this.#order = order;
    this.backoff = new CrashBackoff(c.d.now);
    this.pullBackoff = new CrashBackoff(c.d.now);
    this.#gate = new StartGate(c.d.startConcurrency ?? defaultStartConcurrency());
  }

  /** True once every init container has completed (or, a sidecar, started). */
  async runInit(pod: Pod, sandbox: SandboxStatus, att: Map<string, Att>, waiting: Map<string, Waiting>): Promise<boolean> {
    for (const c of pod.spec?.initContainers ?? []) {
      const a = att.get(c.name);
      const sidecar = c.restartPolicy === 'Always';
      if (!a || a.latest.state === 'exited' || a.latest.state === 'unknown') {
        if (a && !sidecar && a.latest.exitCode === 0) continue;
        if (a && !sidecar && (pod.spec?.restartPolicy ?? 'Always') === 'Never') return false;
        await this.run(pod, sandbox, c, a, waiting, true);
        if (!sidecar) return false;
        continue;
      }
      if (a.latest.state === 'created') await this.#start(pod, c, a.latest.id, waiting);
      // A running sidecar is probed like any container: killed and restarted when its liveness probe fails.
      else if (sidecar && a.latest.state === 'running') {
        await this.run(pod, sandbox, c, a, waiting, true);
        // The next init container waits until the sidecar's startup probe has succeeded.
        if (c.startupProbe && !this.#c.probes.startupSucceeded(a.latest.id)) return false;
      }
      if (!sidecar) return false;
    }
    return true;
  }

  /** Starts a container that has no instance, or restarts an exited one when the policy and the backoff allow. */
  async run(pod: Pod, sandbox: SandboxStatus, c: Container, a: Att | undefined, waiting: Map<string, Waiting>, isInit: boolean): Promise<void> {
    const { d, probes } = this.#c;
    let latest = a?.latest;
    const policy = isInit ? (c.restartPolicy === 'Always' ? 'Always' : 'OnFailure') : (pod.spec?.restartPolicy ?? 'Always');
    if (latest?.state === 'running') {
      // computePodActions: a container failing its liveness or startup probe is killed, then restarted per policy.
      const failed = probes.failed(latest.id);
      if (!failed) return;
      const probeGrace = probes.probeOf(pod.metadata?.uid ?? '', c.name, failed)?.terminationGracePeriodSeconds;
      await this.#c.life.kill(pod, c, latest.id, `Container ${c.name} failed ${failed} probe${policy === 'Never' ? '' : ', will be restarted'}`, probeGrace ?? gracePeriodOf(pod));
      latest = await d.runtime.containerStatus(latest.id);
      if (!latest || latest.state === 'running') return;
      a = { latest, previous: a?.previous };
    }
    if (latest?.state === 'created') return this.#start(pod, c, latest.id, waiting);
    if (latest) {
      const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
      if (!restart) return;
      const key = `${pod.metadata?.uid}/${c.name}`;
      const exitedAt = latest.finishedAt ? Date.parse(latest.finishedAt) : d.now();
      if (this.backoff.inBackoffSince(key, exitedAt)) {
        const delay = this.backoff.get(key);
        waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${podDesc(pod)}` });
        this.#c.event(pod, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podDesc(pod)}`);
        d.requeueAfter(pod.metadata?.uid ?? '', Math.max(0, exitedAt + delay - d.now()) + 50);
        return;
      }
      this.backoff.next(key, exitedAt);
      // Only the previous instance is kept (for lastState); older ones go.
      if (a?.previous) {
        await d.runtime.removeContainer(a.previous.id);
        this.#c.index.drop(a.previous.pod.uid, a.previous.id);
      }
    }
    const attempt = latest ? latest.attempt + 1 : 0;
    let created: ContainerStatus;
    try {
      tracePodStart(pod.metadata?.uid ?? '', 'image');
      const image = await ensureImage(d.images, d.client, this.pullBackoff, d.now, pod, c, (type, reason, message) => this.#c.event(pod, c, type, reason, message));
      tracePodStart(pod.metadata?.uid ?? '', 'env');
      const env = await containerEnv({ client: d.client, allocatable: d.allocatable, services: d.services }, pod, c, d.hostIP);
      const mounts = [...((await d.volumes?.mountsFor(pod, c, env)) ?? []), ...((await d.managedFiles?.mountsFor(pod, c, attempt, pod.spec?.hostNetwork ? [d.hostIP] : this.#c.podIPs(pod))) ?? [])];
      created = await this.gated(pod.metadata?.uid ?? '', 'create', () => d.runtime.createContainer(sandbox.id, { pod: refOf(pod), podSpec: pod.spec!, container: c, attempt, image, env, mounts }));
      this.#c.index.addContainer(created.pod.uid, created.id);
    } catch (err) {
      if (err instanceof StartAbandoned) throw err;
      if (err instanceof ImageWaiting) waiting.set(c.name, err.waiting);
      else {
        const reason = err instanceof CreateContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        waiting.set(c.name, { reason, message: (err as Error).message });
        this.#c.event(pod, c, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      }
      // Tried again with the pod's next sync (a backoff of its own for pulls).
      d.requeueAfter(pod.metadata?.uid ?? '', 5_000);
      return;
    }
    this.#c.event(pod, c, 'Normal', 'Created', `Created container: ${c.name}`);
    await this.#start(pod, c, created.id, waiting);
  }

  async #start(pod: Pod, c: Container, id: string, waiting: Map<string, Waiting>): Promise<void> {
    const d = this.#c.d;
    try {
      await this.gated(pod.metadata?.uid ?? '', 'start', () => d.runtime.startContainer(id));
      this.#c.event(pod, c, 'Normal', 'Started', `Started container ${c.name}`);
      const failed = await this.#c.life.postStart(pod, c, id, gracePeriodOf(pod));
      if (failed) waiting.set(c.name, { reason: 'PostStartHookError', message: failed });
    } catch (err) {
      if (err instanceof StartAbandoned) throw err;
      waiting.set(c.name, { reason: 'RunContainerError', message: (err as Error).message });
      this.#c.event(pod, c, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      d.log.warn({ pod: podDesc(pod), container: c.name, err: (err as Error).message }, 'container failed to start');
      await d.runtime.stopContainer(id, 0).catch(() => {});
    }
  }

  /**
   * A runtime create or start through the start gate, at the pod's admission order. The pod is
   * looked up again when its turn comes: one deleted meanwhile (gone from the informer, or with a
   * deletionTimestamp) gets no sandbox or container to tear down again, as the kubelet cancels a
   * pod's sync once its termination is requested.
   */
  async gated<T>(uid: string, what: string, fn: () => Promise<T>): Promise<T> {
    tracePodStart(uid, `${what}:wait`);
    const out = await this.#gate.run(this.#order(uid), () => {
      const now = this.#c.d.pods().find((p) => p.metadata?.uid === uid);
      if (!now || now.metadata?.deletionTimestamp) throw new StartAbandoned();
      tracePodStart(uid, `${what}:run`);
      return fn();
    });
    tracePodStart(uid, `${what}:done`);
    return out;
  }

  forget(uid: string): void {
    this.backoff.forget(`${uid}/`);
    this.pullBackoff.forget(`${uid}/`);
  }
}
