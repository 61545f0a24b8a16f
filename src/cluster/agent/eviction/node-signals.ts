/**
 * Where the memory and PID signals come from (makeSignalObservations, makeMemoryAvailableSignalObservation):
 * - memory.available: the node's memory capacity less its working set, as the summary's node memory
 *   (cadvisor's root container): on cgroup v1 the root memory cgroup's usage_in_bytes less
 *   total_inactive_file, on v2 (no memory.current at the root) /proc/meminfo's MemTotal - MemFree
 *   less Inactive(file), as runc's root stats; the capacity is MemTotal. No swap is counted.
 * - allocatableMemory.available: the pods' cgroup (every container's parent) against the limit
 *   upstream puts on kubepods: capacity less system- and kube-reserved (Node allocatable without
 *   the eviction threshold); with no reservations here, the node's memory capacity.
 * - pid.available: pid_max less the tasks there are (the summary's rlimit).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { meminfoBytes, statField, workingSet } from '../runtime/cgroup-stats.ts';
import { rlimitStats } from '../server/host-stats.ts';
import type { Observation } from './thresholds.ts';

/** An observation from a capacity and what is in use (available floored at zero, capacity = available + used, as upstream). */
export function observation(capacity: number, used: number): Observation {
  const available = Math.max(0, capacity - used);
  return { available, capacity: available + used };
}

/** The node's memory capacity and working set (see above); `mountRoot` and `proc` for tests. */
export async function readNodeMemory(opts: { mountRoot?: string; proc?: string } = {}): Promise<{ capacity: number; workingSet: number }> {
  const root = opts.mountRoot ?? '/sys/fs/cgroup';
  const meminfo = await readFile(join(opts.proc ?? '/proc', 'meminfo'), 'utf8');
  const capacity = meminfoBytes(meminfo, 'MemTotal');
  const v1 = join(root, 'memory');
  const [usage, stat] = await Promise.all([readFile(join(v1, 'memory.usage_in_bytes'), 'utf8').catch(() => undefined), readFile(join(v1, 'memory.stat'), 'utf8').catch(() => undefined)]);
  if (usage !== undefined && stat !== undefined && /^\d+$/.test(usage.trim())) {
    return { capacity, workingSet: workingSet(Number(usage.trim()), statField(stat, 'total_inactive_file')) };
  }
  return { capacity, workingSet: workingSet(capacity - meminfoBytes(meminfo, 'MemFree'), meminfoBytes(meminfo, 'Inactive(file)')) };
}

/** pid_max and the tasks running; undefined when /proc does not say. */
export async function readPids(proc = '/proc'): Promise<{ max: number; running: number } | undefined> {
  const r = (await rlimitStats(new Date(), proc)) as { maxpid?: number; curproc?: number };
  return r.maxpid !== undefined && r.curproc !== undefined ? { max: r.maxpid, running: r.curproc } : undefined;
}
