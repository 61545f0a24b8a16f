/**
 * The kubelet's killContainer and its postStart step for one container (kuberuntime_container.go):
 * - postStart runs right after the start; a failure is a FailedPostStartHook warning with the
 *   hook's message and the container is killed (Killing "FailedPostStartHook").
 * - A kill is the Killing event, then preStop (when the container runs and there is time) inside
 *   the grace period, which gives the container what is left (at least 2 s for kills the agent
 *   decides itself, as minimumGracePeriodInSeconds). A preStop failure is FailedPreStopHook; a hook
 *   that used up the grace period is only logged, as upstream.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/types.ts';
import { podDesc, runLifecycleHook } from './lifecycle-hooks.ts';

/** minimumGracePeriodInSeconds. */
export const MIN_GRACE_SECONDS = 2;

export interface ContainerLifecycleDeps {
  runtime: ContainerRuntime;
  now(): number;
  /** An event about the container (spec.containers{name}). */
  event(pod: Pod, c: Container, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Where an httpGet hook without a host goes: the pod IP (the node's with hostNetwork). */
  hookIP(pod: Pod): string | undefined;
  log: { info(o: object, m: string): void };
}

export class ContainerLifecycle {
  #d: ContainerLifecycleDeps;

  constructor(d: ContainerLifecycleDeps) {
    this.#d = d;
  }

  /** After a start: undefined when there is no postStart or it succeeded, else its message (the container is then killed). */
  async postStart(pod: Pod, c: Container, id: string, grace: number): Promise<string | undefined> {
    const hook = c.lifecycle?.postStart;
    if (!hook) return undefined;
    const failed = await runLifecycleHook({ runtime: this.#d.runtime, pod, container: c, containerId: id, podIP: this.#d.hookIP(pod) }, hook);
    if (!failed) return undefined;
    this.#d.event(pod, c, 'Warning', 'FailedPostStartHook', failed);
    await this.kill(pod, c, id, 'FailedPostStartHook', grace);
    return failed;
  }

  /** A kill the agent decides (a failed probe or postStart): the Killing event, preStop, then the stop. */
  async kill(pod: Pod, c: Container, id: string, message: string, grace: number): Promise<void> {
    this.#d.event(pod, c, 'Normal', 'Killing', message);
    await this.stop(pod, c, id, grace, MIN_GRACE_SECONDS);
  }

  /** preStop (when `c` has one and there is time), then the runtime's stop with what is left of the grace period. */
  async stop(pod: Pod, c: Container | undefined, id: string, grace: number, minGrace = 0): Promise<void> {
    const hook = c?.lifecycle?.preStop;
    if (c && hook && grace > 0) {
      const t0 = this.#d.now();
      const failed = await runLifecycleHook({ runtime: this.#d.runtime, pod, container: c, containerId: id, podIP: this.#d.hookIP(pod), timeoutMs: grace * 1000 }, hook);
      const spent = this.#d.now() - t0;
      if (failed && spent < grace * 1000) this.#d.event(pod, c, 'Warning', 'FailedPreStopHook', failed);
      else if (failed) this.#d.log.info({ pod: podDesc(pod), container: c.name, gracePeriod: grace }, 'PreStop hook not completed in grace period');
      grace -= Math.floor(spent / 1000);
    }
    await this.#d.runtime.stopContainer(id, Math.max(grace, minGrace));
  }
}
