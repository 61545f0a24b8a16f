/**
 * Finds what a streaming request names (namespace, pod, container) in the runtime, as the kubelet
 * finds it in its pod cache: the container with the highest restart attempt is the current one,
 * the next lower attempt the previous one (`kubectl logs --previous`). Errors carry the kubelet's
 * texts; the server answers them as 400s, which the API server hands on as BadRequest Statuses.
 */
import type { ContainerRuntime, ContainerStatus, SandboxStatus } from '../runtime/types.ts';

export class StreamTargetError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export async function findContainer(runtime: ContainerRuntime, namespace: string, pod: string, container: string, previous = false): Promise<ContainerStatus> {
  const { containers } = await runtime.list();
  const attempts = containers
    .filter((c) => c.pod.namespace === namespace && c.pod.name === pod && c.name === container)
    .sort((a, b) => b.attempt - a.attempt);
  if (previous) {
    const prev = attempts[1];
    if (!prev) throw new StreamTargetError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    return prev;
  }
  const current = attempts[0];
  if (!current) throw new StreamTargetError(400, `container "${container}" in pod "${pod}" is not available`);
  return current;
}

/** The running container for exec and attach (the kubelet: `container not found ("<name>")`). */
export async function findRunningContainer(runtime: ContainerRuntime, namespace: string, pod: string, container: string): Promise<ContainerStatus> {
  const c = await findContainer(runtime, namespace, pod, container).catch(() => undefined);
  if (!c || c.state !== 'running') throw new StreamTargetError(404, `container not found ("${container}")`);
  return c;
}

/** The pod's ready sandbox, for port forwarding into its network namespace. */
export async function findSandbox(runtime: ContainerRuntime, namespace: string, pod: string): Promise<SandboxStatus> {
  const { sandboxes } = await runtime.list();
  const s = sandboxes.find((x) => x.pod.namespace === namespace && x.pod.name === pod && x.state === 'ready');
  if (!s) throw new StreamTargetError(404, `pod not found ("${pod}_${namespace}")`);
  return s;
}
