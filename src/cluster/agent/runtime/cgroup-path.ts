/**
 * Where the pods' parent cgroup is (the kubelet's kubepods: every pod's cgroup is under it,
 * pod-cgroups.ts), and so where containers' memory cgroups (the OOM counters) will be.
 * - cgroup v1: a path relative to the agent's own cgroup, which runc resolves per hierarchy
 *   (<memory mount>/<our memory cgroup>/<parent>/...), so containers stay inside whatever memory
 *   limit the agent itself runs under.
 * - cgroup v2: an absolute path under the root (/<parent>/..., as containerd's /k8s.io/<id>): a
 *   v2 cgroup that holds processes (the agent's) cannot also have children with controllers.
 * The layout itself is CgroupLayout's; these are the parent's paths for its readers.
 */
import { CgroupLayout } from './pod-cgroups.ts';

/**
 * The cgroup every pod's is placed under (the kubelet's pod cgroup root, its "pods" system
 * container), as paths under the mount root for readCgroupStats: /<parent> on v2; on v1 the
 * parent under the agent's own cpuacct and memory cgroups, where runc resolves the relative path.
 */
export async function parentCgroup(parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<{ cpuacct?: string; memory?: string; unified?: string }> {
  return (await CgroupLayout.read(parent, mountRoot, procSelfCgroup)).statsPaths('');
}

/**
 * The pods' parent cgroup directories to limit (node allocatable): on v2 the one /<parent>; on v1
 * the parent under the agent's own memory, cpu and pids cgroups, where runc resolves the relative
 * path per hierarchy.
 */
export async function podsCgroupDirs(parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<{ unified: string } | { memory: string; cpu: string; pids: string }> {
  const layout = await CgroupLayout.read(parent, mountRoot, procSelfCgroup);
  if (layout.unified) return { unified: layout.dir('memory') };
  return { memory: layout.dir('memory'), cpu: layout.dir('cpu'), pids: layout.dir('pids') };
}
