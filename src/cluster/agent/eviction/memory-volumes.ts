/**
 * What a pod's memory-backed emptyDirs (medium: Memory, a tmpfs each) hold, for ranking it under
 * memory pressure. Their pages are charged to the cgroup of the container that wrote them. A pod
 * with a cgroup of its own (pod-cgroups.ts) is measured there, as upstream, and that keeps those
 * pages (reparented there when a container's cgroup goes); a pod from before pod cgroups is
 * measured as its running containers' and sandbox's cgroups, so what an init container or an
 * exited instance wrote stayed in memory but counted for nobody: a pod could fill such a volume
 * from an init container, sleep, and have every neighbour evicted before it. This counts them.
 *
 * Only a path that is a tmpfs counts: a volume not set up yet, or unmounted since, is the node's
 * disk (or gone), not memory.
 */
import { statfs } from 'node:fs/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';

/** statfs(2) f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

/** Bytes in use in the pod's memory-backed emptyDirs; `volumePath` gives an emptyDir's host directory (mounted or not). */
export async function memoryVolumeBytes(pod: Pod, volumePath: (uid: string, name: string) => string | undefined): Promise<number> {
  const uid = pod.metadata?.uid ?? '';
  let total = 0;
  for (const v of pod.spec?.volumes ?? []) {
    if (v.emptyDir?.medium !== 'Memory') continue;
    const path = volumePath(uid, v.name);
    if (path === undefined) continue;
    const st = await statfs(path).catch(() => undefined);
    if (st?.type === TMPFS_MAGIC) total += (st.blocks - st.bfree) * st.bsize;
  }
  return total;
}
