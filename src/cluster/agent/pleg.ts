/**
 * The agent's pod lifecycle event generator (the kubelet's GenericPLEG, pkg/kubelet/pleg/generic.go):
 * each relist of the runtime is reduced to one signature per pod (its sandboxes' and containers'
 * IDs and states), and the pods whose signature changed since the last relist are woken. Apart
 * from agent.ts because it is the agent's one piece of state-diffing logic; the relist loop and
 * who is woken stay with the agent.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, ContainerStatus, SandboxStatus } from './runtime/types.ts';

export class Pleg {
  /** The last signature seen per pod uid. */
  private readonly seen = new Map<string, string>();

  /**
   * Calls wake(uid) for each pod whose runtime state changed since the last relist. A uid for which
   * defer(uid) is true is not marked seen, so the next relist looks at it again (before the first
   * pod list an unknown uid may yet be a pod of ours). Pods gone from the runtime are forgotten.
   */
  relist(state: { sandboxes: SandboxStatus[]; containers: ContainerStatus[] }, defer: (uid: string) => boolean, wake: (uid: string) => void): void {
    const sig = new Map<string, string[]>();
    for (const s of state.sandboxes) (sig.get(s.pod.uid) ?? sig.set(s.pod.uid, []).get(s.pod.uid)!).push(`s:${s.id}:${s.state}`);
    for (const c of state.containers) (sig.get(c.pod.uid) ?? sig.set(c.pod.uid, []).get(c.pod.uid)!).push(`c:${c.id}:${c.state}`);
    for (const [uid, parts] of sig) {
      const s = parts.sort().join(',');
      if (this.seen.get(uid) === s) continue;
      if (defer(uid)) continue;
      this.seen.set(uid, s);
      wake(uid);
    }
    for (const uid of [...this.seen.keys()]) if (!sig.has(uid)) this.seen.delete(uid);
  }
}

/** A pod the API no longer has (or never had), as far as the runtime remembers it. */
export async function orphanPod(runtime: ContainerRuntime, uid: string): Promise<Pod> {
  const { sandboxes, containers } = await runtime.list();
  const ref = sandboxes.find((s) => s.pod.uid === uid)?.pod ?? containers.find((c) => c.pod.uid === uid)?.pod;
  return { metadata: { uid, name: ref?.name ?? '', namespace: ref?.namespace ?? '' }, spec: { containers: [] } };
}
