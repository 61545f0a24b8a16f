/**
 * postStart and preStop handlers (pkg/kubelet/lifecycle handlerRunner): exec in the container,
 * httpGet to the pod IP (any answer counts, as upstream: only a failed request fails the hook), or
 * sleep. Returns undefined when the hook succeeded, else upstream's message for the
 * FailedPostStartHook / FailedPreStopHook event. The deadline (a preStop hook's share of the grace
 * period) ends an exec by killing it and a sleep early.
 */
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/types.ts';
import { execInContainer } from './exec-probe.ts';
import { httpGet, httpGetRequest } from './http-get.ts';

export interface HookContext {
  readonly runtime: ContainerRuntime;
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  /** The pod's address for httpGet without a host (the host's for hostNetwork). */
  readonly podIP?: string;
  /** Ends the hook early (0 or absent: no deadline for exec/sleep; httpGet uses 10 s). */
  readonly timeoutMs?: number;
}

/** format.Pod: name_namespace(uid). */
export const podDesc = (pod: Pod): string => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

/** How Go prints a []string with %v: [a b c]. */
const goSlice = (xs: readonly string[]): string => `[${xs.join(' ')}]`;

const HTTP_HOOK_TIMEOUT_MS = 10_000;

export async function runLifecycleHook(ctx: HookContext, handler: LifecycleHandler): Promise<string | undefined> {
  const where = `for Container ${JSON.stringify(ctx.container.name)} in Pod ${JSON.stringify(podDesc(ctx.pod))}`;
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    let err: string | undefined;
    let output = '';
    try {
      const run = await execInContainer(ctx.runtime, ctx.containerId, cmd, ctx.timeoutMs ?? 0);
      output = run.output;
      if (run.timedOut) err = `command ${JSON.stringify(cmd.join(' '))} timed out`;
      else if (run.exitCode !== 0) err = `command '${cmd.join(' ')}' exited with ${run.exitCode}: ${run.output}`;
    } catch (e) {
      err = (e as Error).message;
    }
    return err === undefined ? undefined : `Exec lifecycle hook (${goSlice(cmd)}) ${where} failed - error: ${err}, message: ${JSON.stringify(output)}`;
  }
  if (handler.httpGet) {
    try {
      const req = httpGetRequest(handler.httpGet, ctx.container, ctx.podIP, 'lifecycle');
      await httpGet(req, ctx.timeoutMs && ctx.timeoutMs > 0 ? Math.min(ctx.timeoutMs, HTTP_HOOK_TIMEOUT_MS) : HTTP_HOOK_TIMEOUT_MS);
      return undefined;
    } catch (e) {
      return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${(e as Error).message}`;
    }
  }
  if (handler.sleep) {
    const ms = (handler.sleep.seconds ?? 0) * 1000;
    const cut = ctx.timeoutMs !== undefined && ctx.timeoutMs > 0 && ctx.timeoutMs < ms;
    await new Promise((r) => setTimeout(r, cut ? ctx.timeoutMs : ms));
    return cut ? `Sleep lifecycle hook (${handler.sleep.seconds}) ${where} failed - error: container terminated before sleep hook finished` : undefined;
  }
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}
