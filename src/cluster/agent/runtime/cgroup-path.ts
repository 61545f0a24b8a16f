/**
 * Where a container's cgroups go, and so where its memory cgroup (the OOM counters) will be.
 * - cgroup v1: a path relative to the agent's own cgroup, which runc resolves per hierarchy
 *   (<memory mount>/<our memory cgroup>/<parent>/<id>), so containers stay inside whatever memory
 *   limit the agent itself runs under.
 * - cgroup v2: an absolute path under the root (/<parent>/<id>, as containerd's /k8s.io/<id>): a
 *   v2 cgroup that holds processes (the agent's) cannot also have children with controllers.
 */
import { access, readFile } from 'node:fs/promises';
import { parseProcCgroup } from './cgroup-stats.ts';

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

const join = (...parts: string[]): string => parts.join('/').replace(/\/+/g, '/');

async function isUnified(mountRoot: string): Promise<boolean> {
  try {
    await access(join(mountRoot, 'cgroup.controllers'));
    return true;
  } catch {
    return false;
  }
}

export type CgroupPlacer = (id: string) => { cgroupsPath: string; memcg: string };

/**
 * Places containers under parent: the host's cgroup layout and our own cgroup are read once here
 * (a runtime keeps the placer), not again for every container.
 */
export async function cgroupPlacer(parent: string, mountRoot = '/sys/fs/cgroup'): Promise<CgroupPlacer> {
  if (await isUnified(mountRoot)) {
    return (id) => {
      const cgroupsPath = join('/', parent, id);
      return { cgroupsPath, memcg: join(mountRoot, cgroupsPath) };
    };
  }
  const own = parseOwnCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  return (id) => {
    const cgroupsPath = `${parent}/${id}`;
    return { cgroupsPath, memcg: join(mountRoot, 'memory', own.v1Memory ?? '/', cgroupsPath) };
  };
}

/** The OCI cgroupsPath for a container and its memory cgroup directory on the host. */
export async function cgroupPlacement(parent: string, id: string, mountRoot = '/sys/fs/cgroup'): Promise<{ cgroupsPath: string; memcg: string }> {
  return (await cgroupPlacer(parent, mountRoot))(id);
}

/**
 * The cgroup every container is placed under (the kubelet's pod cgroup root, its "pods" system
 * container), as paths under the mount root for readCgroupStats: /<parent> on v2; on v1 the
 * parent under the agent's own cpuacct and memory cgroups, where runc resolves the relative path.
 */
export async function parentCgroup(parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<{ cpuacct?: string; memory?: string; unified?: string }> {
  if (await isUnified(mountRoot)) return { unified: join('/', parent) };
  const own = parseProcCgroup(procSelfCgroup ?? (await readFile('/proc/self/cgroup', 'utf8')));
  return { cpuacct: join(own.cpuacct ?? '/', parent), memory: join(own.memory ?? '/', parent) };
}

/**
 * The pods' parent cgroup directories to limit (node allocatable): on v2 the one /<parent>; on v1
 * the parent under the agent's own memory, cpu and pids cgroups, where runc resolves the relative
 * path per hierarchy (a controller's mount directory, e.g. cpu, may be a link to cpu,cpuacct).
 */
export async function podsCgroupDirs(parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<{ unified: string } | { memory: string; cpu: string; pids: string }> {
  if (await isUnified(mountRoot)) return { unified: join(mountRoot, parent) };
  const own: Record<string, string> = {};
  for (const line of (procSelfCgroup ?? (await readFile('/proc/self/cgroup', 'utf8'))).split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path !== undefined) for (const c of controllers!.split(',')) own[c] = path;
  }
  const dir = (c: string) => join(mountRoot, c, own[c] ?? '/', parent);
  return { memory: dir('memory'), cpu: dir('cpu'), pids: dir('pids') };
}
