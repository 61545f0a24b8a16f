/**
 * Writes node allocatable to the pods' parent cgroup at agent start (the kubelet's
 * enforceNodeAllocatableCgroups on its kubepods cgroup): memory limit, cpu shares (v1) or weight (v2)
 * and the PID limit. Without a memory limit there, memory-backed emptyDirs of several pods can take
 * the node's RAM, and tmpfs pages are not something the OOM killer frees. Fails closed: an error
 * here stops the agent from starting, rather than running pods under a limit it only claims.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { podsCgroupDirs } from './cgroup-path.ts';
import { capacityAmounts, milliCpuToShares, podsCgroupAmounts, sharesToWeight, type Enforcement, type ResourceAmounts } from './node-allocatable.ts';

async function set(dir: string, file: string, value: string): Promise<void> {
  try {
    await writeFile(join(dir, file), value);
  } catch (err) {
    throw new Error(`cannot enforce node allocatable: writing ${value} to ${join(dir, file)}: ${(err as Error).message}`);
  }
}

/** The node's PID capacity (pidlimit.Stats: the smaller of kernel.pid_max and kernel.threads-max). */
export async function readPidCapacity(proc = '/proc'): Promise<bigint | undefined> {
  const read = (f: string) => readFile(join(proc, 'sys/kernel', f), 'utf8').then((t) => BigInt(t.trim()), () => undefined);
  const [max, threads] = await Promise.all([read('pid_max'), read('threads-max')]);
  if (max === undefined) return threads;
  return threads !== undefined && threads < max ? threads : max;
}

/**
 * Limits cgroup `parent` (as the runtime places containers: cgroup-path.ts) to `limits`: memory in
 * bytes, cpu in millicores, pid as a count; an absent amount is left as it is.
 */
export async function enforcePodsCgroupLimits(limits: ResourceAmounts, parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<void> {
  const dirs = await podsCgroupDirs(parent, mountRoot, procSelfCgroup);
  const shares = limits.cpu === undefined ? undefined : milliCpuToShares(limits.cpu);
  if ('unified' in dirs) {
    // A v2 child has only the controllers its parent delegates: the root's subtree_control must name them.
    await set(mountRoot, 'cgroup.subtree_control', '+memory +cpu +pids');
    await mkdir(dirs.unified, { recursive: true });
    if (limits.memory !== undefined) await set(dirs.unified, 'memory.max', String(limits.memory));
    if (shares !== undefined) await set(dirs.unified, 'cpu.weight', String(sharesToWeight(shares)));
    if (limits.pid !== undefined) await set(dirs.unified, 'pids.max', String(limits.pid));
    return;
  }
  if (limits.memory !== undefined) {
    await mkdir(dirs.memory, { recursive: true });
    await set(dirs.memory, 'memory.limit_in_bytes', String(limits.memory));
  }
  if (shares !== undefined) {
    await mkdir(dirs.cpu, { recursive: true });
    await set(dirs.cpu, 'cpu.shares', String(shares));
  }
  if (limits.pid !== undefined) {
    await mkdir(dirs.pids, { recursive: true });
    await set(dirs.pids, 'pids.max', String(limits.pid));
  }
}

/**
 * An agent's nodeAllocatable option (AgentOptions) for a node of this capacity: the pods' cgroup
 * limits (capacity less the reservations, or capacity with "none"), its memory limit for
 * allocatableMemory.available, and the step that writes them to cgroup `parent`.
 */
export async function nodeAllocatableOption(o: { capacity: Readonly<Record<string, string>>; systemReserved?: ResourceAmounts; kubeReserved?: ResourceAmounts; enforcement?: Enforcement; parent: string }): Promise<{ podsMemoryBytes?: number; enforce(): Promise<void> }> {
  const limits = podsCgroupAmounts({ capacity: capacityAmounts(o.capacity, await readPidCapacity()), systemReserved: o.systemReserved, kubeReserved: o.kubeReserved }, o.enforcement);
  return { podsMemoryBytes: Number(limits.memory ?? 0n) || undefined, enforce: () => enforcePodsCgroupLimits(limits, o.parent) };
}
