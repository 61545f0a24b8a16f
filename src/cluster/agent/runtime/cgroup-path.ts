/**
 * Where a container's memory cgroup will be. runc places a relative cgroupsPath under the cgroup
 * of the process that runs it (the shim, which has the agent's), per hierarchy; so on cgroup v1 the
 * memory directory is <memory mount>/<our memory cgroup>/<cgroupsPath>, on v2 the unified one.
 */
import { readFile } from 'node:fs/promises';

export function parseOwnCgroup(procSelfCgroup: string): { v1Memory?: string; unified?: string } {
  const out: { v1Memory?: string; unified?: string } = {};
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') out.unified = path;
    else if (controllers?.split(',').includes('memory')) out.v1Memory = path;
  }
  return out;
}

export async function memoryCgroupDir(cgroupsPath: string, mountRoot = '/sys/fs/cgroup'): Promise<string> {
  const own = parseOwnCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
  if (own.v1Memory !== undefined) return join(mountRoot, 'memory', own.v1Memory, cgroupsPath);
  return join(mountRoot, own.unified ?? '/', cgroupsPath);
}
