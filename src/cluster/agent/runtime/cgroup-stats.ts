/**
 * CPU and memory usage read from cgroups, as cadvisor reads them for the kubelet's resource
 * metrics: cumulative CPU time (v1 cpuacct.usage in ns; v2 cpu.stat usage_usec) and the memory
 * working set, which is usage minus the inactive file cache (v1 memory.usage_in_bytes minus
 * memory.stat total_inactive_file; v2 memory.current minus memory.stat inactive_file), floored at
 * zero. A process's cgroups are found from /proc/<pid>/cgroup, so the runtime needs no record of
 * where runc put them (v1 resolves a relative cgroupsPath per hierarchy). The node's own totals
 * come from /proc/stat and /proc/meminfo, which are there on v1 and v2 alike.
 */
import { access, readFile, stat } from 'node:fs/promises';

/** Usage at one instant (the read time goes with it: rates are computed between two reads). */
export interface UsageStats {
  /** Cumulative CPU time in nanoseconds. */
  readonly cpuUsageNanos: number;
  readonly memoryWorkingSetBytes: number;
  readonly timestamp: Date;
  /** All memory in use, caches included (v1 memory.usage_in_bytes, v2 memory.current). */
  readonly memoryUsageBytes?: number;
  /** Anonymous and swap cache memory (v1 total_rss, v2 anon). */
  readonly memoryRssBytes?: number;
  readonly pageFaults?: number;
  readonly majorPageFaults?: number;
  /** The memory limit, absent when there is none (the kubelet's isMemoryUnlimited: above 2^62). */
  readonly memoryLimitBytes?: number;
  /** Processes in the cgroup itself (its cgroup.procs; not its children's): the summary's ProcessStats, PID-pressure ranking. */
  readonly processCount?: number;
}

/** cgroup.procs: one pid a line. */
const countProcs = (text: string | undefined): number | undefined => (text === undefined ? undefined : text.split('\n').filter((l) => l.trim() !== '').length);

/** The object without its undefined fields (a stat a kernel does not write is left out, not undefined). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/** A limit file's value (v1 a number, huge when unset; v2 "max"), undefined when unlimited. */
export function memoryLimit(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (t === undefined || !/^\d+$/.test(t)) return undefined;
  const v = Number(t);
  return v > 2 ** 62 ? undefined : v;
}

/** A field of a flat-keyed file (memory.stat, cpu.stat): `key value` per line. */
export function statField(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

function integer(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`${what}: not a number: ${JSON.stringify(t.slice(0, 40))}`);
  return Number(t);
}

/** cadvisor's working set: usage less inactive file pages, never below zero. */
export function workingSet(usage: number, inactiveFile: number | undefined): number {
  return Math.max(0, usage - (inactiveFile ?? 0));
}

/** cgroup v1: cpuacct.usage (ns), memory.usage_in_bytes, memory.stat (and memory.limit_in_bytes). */
export function parseV1Stats(files: { cpuacctUsage: string; memoryUsage: string; memoryStat: string; memoryLimit?: string; procs?: string }, timestamp: Date): UsageStats {
  const usage = integer(files.memoryUsage, 'memory.usage_in_bytes');
  return defined({
    cpuUsageNanos: integer(files.cpuacctUsage, 'cpuacct.usage'),
    memoryWorkingSetBytes: workingSet(usage, statField(files.memoryStat, 'total_inactive_file')),
    timestamp,
    memoryUsageBytes: usage,
    memoryRssBytes: statField(files.memoryStat, 'total_rss'),
    pageFaults: statField(files.memoryStat, 'total_pgfault'),
    majorPageFaults: statField(files.memoryStat, 'total_pgmajfault'),
    memoryLimitBytes: memoryLimit(files.memoryLimit),
    processCount: countProcs(files.procs),
  });
}

/** cgroup v2: cpu.stat (usage_usec), memory.current, memory.stat (and memory.max). */
export function parseV2Stats(files: { cpuStat: string; memoryCurrent: string; memoryStat: string; memoryMax?: string; procs?: string }, timestamp: Date): UsageStats {
  const usec = statField(files.cpuStat, 'usage_usec');
  if (usec === undefined) throw new Error('cpu.stat: no usage_usec');
  const usage = integer(files.memoryCurrent, 'memory.current');
  return defined({
    cpuUsageNanos: usec * 1000,
    memoryWorkingSetBytes: workingSet(usage, statField(files.memoryStat, 'inactive_file')),
    timestamp,
    memoryUsageBytes: usage,
    memoryRssBytes: statField(files.memoryStat, 'anon'),
    pageFaults: statField(files.memoryStat, 'pgfault'),
    majorPageFaults: statField(files.memoryStat, 'pgmajfault'),
    memoryLimitBytes: memoryLimit(files.memoryMax),
    processCount: countProcs(files.procs),
  });
}

/** /proc/<pid>/cgroup → the v1 cpuacct and memory paths, and the unified (v2) path. */
export function parseProcCgroup(text: string): { cpuacct?: string; memory?: string; unified?: string } {
  const out: { cpuacct?: string; memory?: string; unified?: string } = {};
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    const names = controllers!.split(',');
    if (controllers === '') out.unified = path;
    if (names.includes('cpuacct')) out.cpuacct = path;
    if (names.includes('memory')) out.memory = path;
  }
  return out;
}

const join = (...parts: string[]): string => parts.join('/').replace(/\/+/g, '/');

async function unified(mountRoot: string): Promise<boolean> {
  return access(join(mountRoot, 'cgroup.controllers')).then(() => true, () => false);
}

/** Usage of the cgroups process `pid` is in; undefined once the process (or its cgroup) is gone. */
export async function readProcessStats(pid: number, opts: { mountRoot?: string; proc?: string; now?: () => Date } = {}): Promise<UsageStats | undefined> {
  let cg: ReturnType<typeof parseProcCgroup>;
  try {
    cg = parseProcCgroup(await readFile(join(opts.proc ?? '/proc', String(pid), 'cgroup'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
  return readCgroupStats(cg, opts);
}

/**
 * Usage of one cgroup, given as its paths under the mount root (the unified path on v2; the
 * cpuacct and memory hierarchies' paths on v1); undefined when it is not there.
 */
export async function readCgroupStats(cg: { cpuacct?: string; memory?: string; unified?: string }, opts: { mountRoot?: string; now?: () => Date } = {}): Promise<UsageStats | undefined> {
  const root = opts.mountRoot ?? '/sys/fs/cgroup';
  const read = (p: string) => readFile(p, 'utf8');
  // The limit is optional: a missing file only leaves availableBytes out.
  const maybe = (p: string) => readFile(p, 'utf8').catch(() => undefined);
  try {
    const now = opts.now?.() ?? new Date();
    if (await unified(root)) {
      if (cg.unified === undefined) return undefined;
      const dir = join(root, cg.unified);
      const [cpuStat, memoryCurrent, memoryStat, memoryMax, procs] = await Promise.all([read(join(dir, 'cpu.stat')), read(join(dir, 'memory.current')), read(join(dir, 'memory.stat')), maybe(join(dir, 'memory.max')), maybe(join(dir, 'cgroup.procs'))]);
      return parseV2Stats({ cpuStat, memoryCurrent, memoryStat, memoryMax, procs }, now);
    }
    if (cg.cpuacct === undefined || cg.memory === undefined) return undefined;
    const cpu = join(root, 'cpuacct', cg.cpuacct);
    const mem = join(root, 'memory', cg.memory);
    const [cpuacctUsage, memoryUsage, memoryStat, memoryLimit, procs] = await Promise.all([read(join(cpu, 'cpuacct.usage')), read(join(mem, 'memory.usage_in_bytes')), read(join(mem, 'memory.stat')), maybe(join(mem, 'memory.limit_in_bytes')), maybe(join(mem, 'cgroup.procs'))]);
    return parseV1Stats({ cpuacctUsage, memoryUsage, memoryStat, memoryLimit, procs }, now);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
}

/**
 * When a cgroup was made, as cadvisor dates a raw container: the oldest modification time of its
 * directories (a cgroup directory's entries are the kernel's files, never added to later).
 */
export async function cgroupMadeAt(cg: { cpuacct?: string; memory?: string; unified?: string }, mountRoot = '/sys/fs/cgroup'): Promise<Date | undefined> {
  const dirs = [cg.unified !== undefined ? join(mountRoot, cg.unified) : undefined, cg.cpuacct !== undefined ? join(mountRoot, 'cpuacct', cg.cpuacct) : undefined, cg.memory !== undefined ? join(mountRoot, 'memory', cg.memory) : undefined];
  const times = (await Promise.all(dirs.map((d) => (d === undefined ? undefined : stat(d).then((s) => s.mtimeMs, () => undefined))))).filter((t) => t !== undefined);
  return times.length ? new Date(Math.min(...times)) : undefined;
}

/** A /proc/meminfo field in bytes ("MemTotal:  24683784 kB"). */
export function meminfoBytes(meminfo: string, key: string): number {
  const m = new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+)\\s*kB`, 'm').exec(meminfo);
  if (!m) throw new Error(`/proc/meminfo: no ${key}`);
  return Number(m[1]) * 1024;
}

/** Jiffies per second of /proc/stat (USER_HZ, 100 on every Linux architecture the kubelet runs on). */
const USER_HZ = 100;

/**
 * The node: busy CPU time from /proc/stat's first line (user, nice, system, irq, softirq and steal;
 * idle and iowait are not usage) and memory in use (MemTotal - MemFree) less Inactive(file), the
 * root cgroup's working set by other means.
 */
export function parseNodeStats(procStat: string, meminfo: string, timestamp: Date): UsageStats {
  const cpu = /^cpu\s+(.*)$/m.exec(procStat)?.[1]?.trim().split(/\s+/).map(Number);
  if (!cpu || cpu.length < 8 || cpu.some((n) => !Number.isFinite(n))) throw new Error('/proc/stat: no cpu line');
  const [user, nice, system, , , irq, softirq, steal] = cpu as [number, number, number, number, number, number, number, number];
  const kb = (key: string): number => meminfoBytes(meminfo, key);
  const inUse = kb('MemTotal') - kb('MemFree');
  return {
    cpuUsageNanos: (user + nice + system + irq + softirq + steal) * (1e9 / USER_HZ),
    memoryWorkingSetBytes: workingSet(inUse, kb('Inactive(file)')),
    timestamp,
    memoryUsageBytes: inUse,
    // The node's limit is its memory (availableBytes = capacity - working set, as the kubelet's root container).
    memoryLimitBytes: kb('MemTotal'),
  };
}

export async function readNodeStats(opts: { proc?: string; now?: () => Date } = {}): Promise<UsageStats> {
  const proc = opts.proc ?? '/proc';
  const [stat, meminfo] = await Promise.all([readFile(join(proc, 'stat'), 'utf8'), readFile(join(proc, 'meminfo'), 'utf8')]);
  return parseNodeStats(stat, meminfo, opts.now?.() ?? new Date());
}
