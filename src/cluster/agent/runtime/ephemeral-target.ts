/**
 * An ephemeral container's targetContainerName, as the runtime resolves it: the PID namespace of
 * the pod's running container of that name (CRI's NamespaceMode TARGET, which containerd joins by
 * the target's /proc/<pid>/ns/pid). The agent checks the target runs before it creates the
 * container (the kubelet's getTargetID); the runtime checks again and refuses rather than start the
 * container in a PID namespace of its own, which would silently not be what was asked for.
 */
import type { EphemeralContainer } from 'kubernetes-types/core/v1.js';
import type { ContainerConfig, ContainerStatus } from './types.ts';

/** The host pid whose PID namespace the container joins, or undefined when it names no target (or the pod's PID namespace wins). */
export async function ephemeralTargetPid(cfg: ContainerConfig, sandboxContainers: () => Promise<ReadonlyArray<ContainerStatus | undefined>>): Promise<number | undefined> {
  const target = (cfg.container as EphemeralContainer).targetContainerName;
  // A shared PID namespace (the pod's or the host's) already holds the target: CRI's TARGET applies only to per-container ones.
  if (!target || cfg.podSpec.shareProcessNamespace === true || cfg.podSpec.hostPID === true) return undefined;
  const running = (await sandboxContainers()).filter((c): c is ContainerStatus => c !== undefined && c.pod.uid === cfg.pod.uid && c.name === target && c.state === 'running' && c.pid !== undefined);
  const latest = running.sort((a, b) => b.attempt - a.attempt)[0];
  if (!latest) throw new Error(`unable to find target container ${target}`);
  return latest.pid;
}
