/**
 * Ephemeral containers on the node (the kubelet's SyncPod step 5, computePodActions): each one in
 * the pod's spec that has never run is started in the pod's sandbox (its network, IPC and UTS
 * namespaces), before the init containers, so a pod stuck initializing can still be debugged. One
 * with a targetContainerName needs that container running (getTargetID: else
 * CreateContainerConfigError 'unable to find target container <name>', tried again at the next
 * sync) and joins its PID namespace (the runtime's ephemeral-target.ts). Ephemeral containers are
 * never restarted and never probed; they stop with the pod. Image pull, environment, mounts, create
 * and start are the regular containers' (container-runner.ts).
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRunner } from './container-runner.ts';
import type { Waiting } from './pod-status.ts';
import type { Att, SyncContext } from './pod-sync-deps.ts';
import type { SandboxStatus } from './runtime/types.ts';

/** A retry while the target container is not running (the pod worker's own resync would also come). */
const TARGET_RETRY_MS = 2_000;

/**
 * This node applies no AppArmor profile (admission rejects a pod that asks for one: pod-admission.ts
 * requiresAppArmor), but an ephemeral container comes after admission: one asking for a profile
 * fails to be created, as containerd's generateApparmorSpecOpts fails on a host without AppArmor,
 * rather than run unconfined.
 */
export const APPARMOR_NOT_SUPPORTED = 'failed to generate apparmor spec opts: apparmor is not supported';

export async function runEphemeralContainers(c: SyncContext, runner: ContainerRunner, pod: Pod, sandbox: SandboxStatus, att: ReadonlyMap<string, Att>, waiting: Map<string, Waiting>): Promise<void> {
  for (const ec of pod.spec?.ephemeralContainers ?? []) {
    const a = att.get(ec.name);
    // Run once: an instance that exists (running or exited) is left as it is; one created but not started is started.
    if (a && a.latest.state !== 'created') continue;
    const target = ec.targetContainerName;
    if (target && att.get(target)?.latest.state !== 'running') {
      const message = `unable to find target container ${target}`;
      waiting.set(ec.name, { reason: 'CreateContainerConfigError', message });
      c.event(pod, ec as Container, 'Warning', 'Failed', `Error: ${message}`);
      c.d.requeueAfter(pod.metadata?.uid ?? '', TARGET_RETRY_MS);
      continue;
    }
    const profile = ec.securityContext?.appArmorProfile ?? pod.spec?.securityContext?.appArmorProfile;
    if (profile && profile.type !== 'Unconfined') {
      waiting.set(ec.name, { reason: 'CreateContainerError', message: APPARMOR_NOT_SUPPORTED });
      c.event(pod, ec as Container, 'Warning', 'Failed', `Error: ${APPARMOR_NOT_SUPPORTED}`);
      continue;
    }
    await runner.run(pod, sandbox, ec as Container, a, waiting, false);
  }
}
