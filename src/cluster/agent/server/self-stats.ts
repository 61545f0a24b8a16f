/**
 * The "kubelet" system container of /stats/summary: the agent process's own CPU and memory. The
 * kubelet reads its cgroup (--kubelet-cgroups); here the containers' cgroups may nest under the
 * agent's (cgroup v1 places them relative to it), so the agent's cgroup totals would count every
 * pod as the kubelet's. The process's own figures are read instead, from /proc/<pid>/stat (CPU
 * time in clock ticks, page faults, start time) and /proc/<pid>/status (resident memory). Where
 * the agent shares its process with other components (an all-in-one server), those count too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UsageStats } from '../runtime/cgroup-stats.ts';
import { bootTime } from './host-stats.ts';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux architecture the kubelet runs on). */
const USER_HZ = 100;

/** /proc/<pid>/stat and /proc/<pid>/status → usage; the start time in ticks after boot. */
export function parseSelfStats(stat: string, status: string, timestamp: Date): { usage: UsageStats; startTicks: number } {
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // Field n of proc(5) is f[n - 3]: minflt 10, majflt 12, utime 14, stime 15, starttime 22.
  const n = (field: number): number => {
    const v = Number(f[field - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/<pid>/stat: field ${field} is not a number`);
    return v;
  };
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS') ?? 0;
  const usage: UsageStats = {
    cpuUsageNanos: (n(14) + n(15)) * (1e9 / USER_HZ),
    // A process has no page cache of its own to leave out: its resident memory is its working set.
    memoryWorkingSetBytes: rss,
    timestamp,
    memoryUsageBytes: rss,
    ...(kb('RssAnon') !== undefined ? { memoryRssBytes: kb('RssAnon') } : {}),
    pageFaults: n(10),
    majorPageFaults: n(12),
  };
  return { usage, startTicks: n(22) };
}

/** The process's usage and start time; undefined when /proc cannot tell. */
export async function readSelfStats(at: Date, proc = '/proc', pid: number | 'self' = 'self'): Promise<{ usage: UsageStats; startTime: Date } | undefined> {
  try {
    const [stat, status, boot] = await Promise.all([readFile(join(proc, String(pid), 'stat'), 'utf8'), readFile(join(proc, String(pid), 'status'), 'utf8'), bootTime(proc)]);
    const { usage, startTicks } = parseSelfStats(stat, status, at);
    return { usage, startTime: boot ? new Date(boot.getTime() + (startTicks / USER_HZ) * 1000) : at };
  } catch {
    return undefined;
  }
}
