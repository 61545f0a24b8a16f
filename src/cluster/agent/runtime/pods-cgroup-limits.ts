/**
 * Writes node allocatable to the pods' parent cgroup (the kubelet's kubepods cgroup): memory limit,
 * cpu shares (v1) or weight (v2) and the PID limit. Without a memory limit there, memory-backed
 * emptyDirs of several pods can take the node's RAM, and tmpfs pages are not something the OOM
 * killer frees. As the kubelet's setupNode (pkg/kubelet/cm, 1.33):
 * - createNodeAllocatableCgroups: at start, a pods' cgroup that does not exist yet is made with its
 *   limits, and an error there stops the agent from starting (fails closed);
 * - enforceNodeAllocatableCgroups: then the limits are written again in the background until a
 *   write succeeds (Normal NodeAllocatableEnforced "Updated Node Allocatable limit across pods"),
 *   each failure a Warning FailedNodeAllocatableEnforcement Event and another try a minute later:
 *   a lower memory limit than the pods use now (cgroup v1 answers EBUSY) holds once eviction has
 *   brought the usage down. Neither re-writes the limits after a success, and nor does the kubelet.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Timers } from '../../client/timers.ts';
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

/** cgroupManager.Exists: every directory the limits go to is there (v1: memory, cpu and pids). */
async function podsCgroupExists(parent: string, mountRoot: string, procSelfCgroup: string | undefined): Promise<boolean> {
  const dirs = await podsCgroupDirs(parent, mountRoot, procSelfCgroup);
  const all = 'unified' in dirs ? [dirs.unified] : [dirs.memory, dirs.cpu, dirs.pids];
  for (const d of all) {
    if (!(await access(d).then(() => true, () => false))) return false;
  }
  return true;
}

/** createNodeAllocatableCgroups: makes the pods' cgroup with its limits unless it exists already. */
export async function createPodsCgroup(limits: ResourceAmounts, parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<void> {
  if (await podsCgroupExists(parent, mountRoot, procSelfCgroup)) return;
  await enforcePodsCgroupLimits(limits, parent, mountRoot, procSelfCgroup);
}

/** AgentOptions.nodeAllocatable: the pods' cgroup limits and how the agent sets them. */
export interface NodeAllocatable {
  /** The pods' cgroup memory limit, for allocatableMemory.available. */
  podsMemoryBytes?: number;
  /** At start, before anything runs (createNodeAllocatableCgroups); an error stops the agent. */
  create?(): Promise<void>;
  /** One write of the limits (the Update enforceNodeAllocatableCgroups repeats until it succeeds). */
  enforce(): Promise<void>;
  /** The cgroup's name in Events (cm.cgroupRoot, a CgroupName printed with %q). */
  cgroupName?: string;
}

/**
 * An agent's nodeAllocatable option for a node of this capacity: the pods' cgroup limits (capacity
 * less the reservations, or capacity with "none") on cgroup `parent`.
 */
export async function nodeAllocatableOption(o: { capacity: Readonly<Record<string, string>>; systemReserved?: ResourceAmounts; kubeReserved?: ResourceAmounts; enforcement?: Enforcement; parent: string }): Promise<NodeAllocatable> {
  const limits = podsCgroupAmounts({ capacity: capacityAmounts(o.capacity, await readPidCapacity()), systemReserved: o.systemReserved, kubeReserved: o.kubeReserved }, o.enforcement);
  return {
    podsMemoryBytes: Number(limits.memory ?? 0n) || undefined,
    create: () => createPodsCgroup(limits, o.parent),
    enforce: () => enforcePodsCgroupLimits(limits, o.parent),
    cgroupName: o.parent,
  };
}

/** The kubelet's retry interval after a failed update of the pods' cgroup (time.Sleep(time.Minute)). */
export const ENFORCE_RETRY_MS = 60_000;

/** Go's %q of a CgroupName ([]string): ["kubepods"], components split at '/'. */
function goCgroupName(name: string): string {
  return `[${name.split('/').filter(Boolean).map((c) => JSON.stringify(c)).join(' ')}]`;
}

/**
 * enforceNodeAllocatableCgroups' update goroutine: writes the limits until a write succeeds, with an
 * Event for every failure and one for the success. stop() ends it (the agent stopping).
 */
export function startNodeAllocatableEnforcement(o: {
  nodeAllocatable: NodeAllocatable;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  timers: Timers;
  retryMs?: number;
}): { stop(): void } {
  let stopped = false;
  let retry: unknown;
  const attempt = async (): Promise<void> => {
    retry = undefined;
    try {
      await o.nodeAllocatable.enforce();
    } catch (err) {
      if (stopped) return;
      o.event('Warning', 'FailedNodeAllocatableEnforcement', `Failed to update Node Allocatable Limits ${goCgroupName(o.nodeAllocatable.cgroupName ?? '')}: ${(err as Error).message}`);
      retry = o.timers.setTimeout(() => void attempt(), o.retryMs ?? ENFORCE_RETRY_MS);
      return;
    }
    if (!stopped) o.event('Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
  };
  void attempt();
  return {
    stop() {
      stopped = true;
      if (retry !== undefined) o.timers.clearTimeout(retry);
    },
  };
}
