/**
 * What the kubelet's /stats/summary takes from the host beside cgroups, read as cadvisor and the
 * kubelet read it: interface counters from /proc/net/dev (the node's, or a pod's through its
 * sandbox process: /proc/<pid>/net/dev is that process's network namespace), file system size and
 * use from statfs(2), the boot time (the root container's
 * start) from /proc/stat's btime, and the process limits (/proc/sys/kernel/pid_max, and the tasks
 * running from /proc/loadavg, what sysinfo(2) reports as procs).
 */
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { rfc3339 } from '../../../api/time.ts';

export interface InterfaceStats {
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

/** FsStats as the summary writes it (field order as upstream's struct). */
export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

/** cadvisor's isIgnoredDevice: loopback, veths and docker bridges are not the node's interfaces. */
const IGNORED = /^(lo$|veth|docker|nerdctl)/;

/** /proc/net/dev: receive bytes/errs are the 1st/3rd counters, transmit bytes/errs the 9th/11th. */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 16 || f.some((n) => !Number.isFinite(n))) continue;
    if (IGNORED.test(m[1]!)) continue;
    out.push({ name: m[1]!, rxBytes: f[0]!, rxErrors: f[2]!, txBytes: f[8]!, txErrors: f[10]! });
  }
  return out;
}

/** The interfaces of the host (no pid) or of the network namespace process `pid` is in; undefined when it is gone. */
export async function readNetDev(pid?: number, proc = '/proc'): Promise<InterfaceStats[] | undefined> {
  try {
    return parseNetDev(await readFile(join(proc, pid === undefined ? 'net/dev' : `${pid}/net/dev`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** NetworkStats: the default interface (eth0, as the kubelet's) inline, every interface listed. */
export function networkStats(interfaces: InterfaceStats[], at: Date): Record<string, unknown> {
  const eth0 = interfaces.find((i) => i.name === 'eth0');
  return { time: rfc3339(at), ...(eth0 ?? {}), interfaces };
}

/** The file system `path` is on, with `used` (bytes, inodes) when given, else what the file system has in use. */
export async function fsStats(path: string, at: Date, used?: { bytes: number; inodes: number }): Promise<FsStats | undefined> {
  try {
    const s = await statfs(path);
    return {
      time: rfc3339(at),
      availableBytes: s.bavail * s.bsize,
      capacityBytes: s.blocks * s.bsize,
      usedBytes: used ? used.bytes : (s.blocks - s.bfree) * s.bsize,
      inodesFree: s.ffree,
      inodes: s.files,
      inodesUsed: used ? used.inodes : s.files - s.ffree,
    };
  } catch {
    return undefined;
  }
}

/** The boot time from /proc/stat (btime, seconds since the epoch). */
export async function bootTime(proc = '/proc'): Promise<Date | undefined> {
  const m = /^btime\s+(\d+)$/m.exec(await readFile(join(proc, 'stat'), 'utf8').catch(() => ''));
  return m ? new Date(Number(m[1]) * 1000) : undefined;
}

/** RlimitStats: pid_max and the tasks there are now. */
export async function rlimitStats(at: Date, proc = '/proc'): Promise<Record<string, unknown>> {
  const [pidMax, loadavg] = await Promise.all([readFile(join(proc, 'sys/kernel/pid_max'), 'utf8').catch(() => ''), readFile(join(proc, 'loadavg'), 'utf8').catch(() => '')]);
  const max = /^\d+/.exec(pidMax.trim())?.[0];
  const cur = /\s\d+\/(\d+)\s/.exec(loadavg)?.[1];
  return { time: rfc3339(at), ...(max ? { maxpid: Number(max) } : {}), ...(cur ? { curproc: Number(cur) } : {}) };
}
