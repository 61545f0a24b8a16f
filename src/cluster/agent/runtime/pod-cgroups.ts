/**
 * Per-QoS and per-pod cgroups, as the kubelet makes them with --cgroups-per-qos=true (its default)
 * and the cgroupfs driver (pkg/kubelet/cm: qos_container_manager_linux.go,
 * pod_container_manager_linux.go, helpers_linux.go ResourceConfigForPod). Under the pods' parent
 * (the kubelet's kubepods, node allocatable's cgroup):
 *   <parent>/pod<uid>/                 a Guaranteed pod
 *   <parent>/burstable/pod<uid>/       a Burstable pod; burstable/ cpu.shares = its pods' cpu requests
 *   <parent>/besteffort/pod<uid>/      a BestEffort pod; besteffort/ cpu.shares = 2
 * and each container (and pause process) of a pod in <pod cgroup>/<container id>/.
 * No memory is reserved for the QoS tiers (the kubelet's --qos-reserved, alpha and off by default,
 * is not implemented), nor memory.min/memory.high (MemoryQoS, alpha), nor hugetlb limits.
 *
 * Paths are as the runtime places containers (cgroup-path.ts): on cgroup v1 relative to the
 * agent's own cgroup in each hierarchy, on v2 absolute under the mount root.
 */
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { access, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { podLimits, podRequests } from '../../../admission/quota/pod-resources.ts';
import type { ResourceList } from '../../../admission/quota/resource-list.ts';
import { parseQty, qtyInt64MilliValue, qtyInt64Value } from '../../../api/quantity.ts';
import { milliCpuToQuota, milliCpuToShares, podQos } from './cgroup-resources.ts';
import { sharesToWeight } from './node-allocatable.ts';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The kubelet's default CFS period (--cpu-cfs-quota-period), in microseconds. */
export const CPU_PERIOD = 100_000;

/** What a pod's cgroup is limited to (ResourceConfig): shares always, the rest only when set. */
export interface PodCgroupConfig {
  cpuShares: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  /** Bytes. */
  memoryLimit?: number;
  pidsLimit?: number;
}

// MilliValue / Value as the kubelet's int64 (a sum past int64 is what Go returns, never Infinity).
const milli = (rl: ResourceList, k: string): number => {
  const q = rl[k];
  return q === undefined || q.nanos <= 0n ? 0 : Number(qtyInt64MilliValue(q));
};
const value = (rl: ResourceList, k: string): number => {
  const q = rl[k];
  return q === undefined || q.nanos <= 0n ? 0 : Number(qtyInt64Value(q));
};
/** Quantity.IsZero of a container's limit (absent is zero too). */
const isZero = (q: string | number | undefined): boolean => (parseQty(q)?.nanos ?? 0n) === 0n;

/** A container whose request for cpu or memory defaults to its limit, as the API server defaults it. */
function defaulted(c: Container): Container {
  const lim = c.resources?.limits ?? {};
  const req = { ...(c.resources?.requests ?? {}) };
  for (const r of ['cpu', 'memory']) if (req[r] === undefined && lim[r] !== undefined) req[r] = lim[r];
  return { ...c, resources: { ...c.resources, requests: req } };
}

/**
 * ResourceConfigForPod (with --cpu-cfs-quota on, the default period, no MemoryQoS) plus the pod
 * PID limit (--pod-max-pids): requests and limits are PodRequests / PodLimits (the containers' sum
 * raised to the largest init container, sidecars counted, spec.overhead added; overhead raises a
 * limit only where one is set). A Guaranteed pod gets shares, quota and memory; a Burstable one
 * shares, and a quota or memory limit only when every container (init ones too) sets that limit;
 * a BestEffort one 2 shares.
 */
export function podCgroupConfig(spec: PodSpec, pidsLimit?: number): PodCgroupConfig & { qos: QosClass; cpuRequestMilli: number } {
  const qos = podQos(spec);
  const s = { ...spec, containers: spec.containers.map(defaulted), initContainers: spec.initContainers?.map(defaulted) };
  const reqs = podRequests(s, true);
  const limits = podLimits(s, true);
  const cpuRequestMilli = milli(reqs, 'cpu');
  const pids = pidsLimit !== undefined && pidsLimit > 0 ? { pidsLimit } : {};
  if (qos === 'BestEffort') return { qos, cpuRequestMilli, cpuShares: 2, ...pids };
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  const cpuDeclared = qos === 'Guaranteed' || all.every((c) => !isZero(c.resources?.limits?.cpu));
  const memoryDeclared = qos === 'Guaranteed' || all.every((c) => !isZero(c.resources?.limits?.memory));
  const out: PodCgroupConfig & { qos: QosClass; cpuRequestMilli: number } = { qos, cpuRequestMilli, cpuShares: milliCpuToShares(cpuRequestMilli), ...pids };
  if (cpuDeclared) {
    out.cpuQuota = milliCpuToQuota(milli(limits, 'cpu'), CPU_PERIOD);
    out.cpuPeriod = CPU_PERIOD;
  }
  // A limit whose Value is 0 (1e1000 overflows to it): libcontainer writes no memory.max for 0.
  const memory = memoryDeclared ? value(limits, 'memory') : 0;
  if (memory !== 0) out.memoryLimit = memory;
  return out;
}

/** The pod's cgroup relative to the pods' parent (the cgroupfs driver's names). */
export function podCgroupPath(qos: QosClass, uid: string): string {
  // A path segment made from the uid: nothing that could leave the parent.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a cgroup`);
  if (qos === 'Guaranteed') return `pod${uid}`;
  return `${qos === 'Burstable' ? 'burstable' : 'besteffort'}/pod${uid}`;
}

/** Burstable's cpu.shares: the shares of its active pods' summed cpu requests (setCPUCgroupConfig). */
export function burstableShares(cpuRequestsMilli: Iterable<number>): number {
  let sum = 0;
  for (const m of cpuRequestsMilli) sum += m;
  return milliCpuToShares(sum);
}

const join = (...parts: string[]): string => parts.join('/').replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

/** The controllers this module writes, and what v2 must delegate to the children for them. */
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'];

/**
 * Where the pods' parent is in each hierarchy on this host: read once (the host's cgroup layout
 * and the agent's own cgroup), then every path is computed.
 */
export class CgroupLayout {
  readonly parent: string;
  readonly mountRoot: string;
  readonly unified: boolean;
  /** v1: hierarchy directory under the mount root (cpu, memory, systemd, unified, ...) → our path in it. */
  private readonly own: ReadonlyMap<string, string>;
  /** v1: controller name → its directory under the mount root and our path in it (cpu/<path>). */
  private readonly byController: ReadonlyMap<string, string>;

  private constructor(parent: string, mountRoot: string, unified: boolean, own: ReadonlyMap<string, string>, byController: ReadonlyMap<string, string>) {
    this.parent = parent;
    this.mountRoot = mountRoot;
    this.unified = unified;
    this.own = own;
    this.byController = byController;
  }

  static async read(parent: string, mountRoot = '/sys/fs/cgroup', procSelfCgroup?: string): Promise<CgroupLayout> {
    const unified = await access(join(mountRoot, 'cgroup.controllers')).then(() => true, () => false);
    const own = new Map<string, string>();
    const byController = new Map<string, string>();
    if (!unified) {
      const there = (d: string) => access(join(mountRoot, d)).then(() => true, () => false);
      for (const line of (procSelfCgroup ?? (await readFile('/proc/self/cgroup', 'utf8'))).split('\n')) {
        const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
        if (path === undefined) continue;
        // v2's hierarchy beside v1's (hybrid) is mounted at unified/, a named one (name=systemd) at
        // its name, a co-mounted pair at cpu,cpuacct (with a link per controller) or at the first's name.
        const names = controllers!.split(',').filter(Boolean);
        const mount = controllers === '' ? 'unified' : controllers!.replace(/^name=/, '');
        const dir = names.length > 1 && !(await there(mount)) ? names[0]! : mount;
        own.set(dir, path);
        // A controller by its own name (the link), as runc and the kubelet look it up, where there is one.
        for (const c of names) byController.set(c, join(c === dir || (await there(c)) ? c : dir, path));
      }
    }
    return new CgroupLayout(parent, mountRoot, unified, own, byController);
  }

  /** v1: whether the hierarchy of `controller` is there (always on v2). */
  has(controller: string): boolean {
    return this.unified || this.byController.has(controller);
  }

  /** `rel` (relative to the parent) in the hierarchy of `controller` (v1) or the unified one (v2). */
  dir(controller: 'cpu' | 'memory' | 'pids' | 'cpuacct', rel = ''): string {
    if (this.unified) return join(this.mountRoot, this.parent, rel);
    return join(this.mountRoot, this.byController.get(controller) ?? controller, this.parent, rel);
  }

  /** `rel` in every hierarchy (v1: runc makes a container's ancestors in each), for processes and removal. */
  allDirs(rel = ''): string[] {
    if (this.unified) return [join(this.mountRoot, this.parent, rel)];
    return [...this.own].map(([h, path]) => join(this.mountRoot, h, path, this.parent, rel));
  }

  /** A container's OCI cgroupsPath under `rel` and its memory cgroup directory (for the OOM counters). */
  placement(rel: string, id: string): { cgroupsPath: string; memcg: string } {
    if (this.unified) {
      const cgroupsPath = join('/', this.parent, rel, id);
      return { cgroupsPath, memcg: join(this.mountRoot, cgroupsPath) };
    }
    const cgroupsPath = join(this.parent, rel, id).replace(/^\//, '');
    return { cgroupsPath, memcg: this.dir('memory', join(rel, id)) };
  }

  /** For readCgroupStats: `rel`'s paths under the mount root (v1 cpuacct and memory; v2 unified). */
  statsPaths(rel: string): { cpuacct?: string; memory?: string; unified?: string } {
    if (this.unified) return { unified: join('/', this.parent, rel) };
    // Below the controller's own directory (readCgroupStats adds cpuacct/ and memory/).
    const under = (c: 'cpuacct' | 'memory') => join('/', (this.byController.get(c) ?? c).replace(/^[^/]*/, ''), this.parent, rel);
    return { cpuacct: under('cpuacct'), memory: under('memory') };
  }
}

/*
 * A pod's cgroup is made and limited with synchronous calls (each is one quick system call on the
 * cgroup file system; asynchronous, each cost the agent a thread pool hand-off and the wake-ups
 * back, several times the call itself, for every pod start), except a memory limit: lowering one
 * makes the kernel reclaim the cgroup's memory before the write returns, which must not hold the
 * agent's event loop.
 */
async function set(dir: string, file: string, v: string): Promise<void> {
  try {
    if (file.startsWith('memory.')) await writeFile(join(dir, file), v);
    else writeFileSync(join(dir, file), v);
  } catch (err) {
    throw new Error(`cannot set up cgroup ${dir}: writing ${v} to ${file}: ${(err as Error).message}`);
  }
}

/**
 * v2: makes `rel` and its ancestors from the root down, each one delegating cpu, memory and pids to
 * its children first (a controller's files appear in a child only when its parent's
 * cgroup.subtree_control names it), as runc does for a container's ancestors.
 */
async function makeV2(layout: CgroupLayout, rel: string): Promise<string> {
  let dir = layout.mountRoot;
  for (const seg of join(layout.parent, rel).split('/').filter(Boolean)) {
    let available: string[] = [];
    try {
      available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
    } catch {
      // None delegated here: nothing to pass on.
    }
    const want = V2_CONTROLLERS.filter((c) => available.includes(c));
    if (want.length) await set(dir, 'cgroup.subtree_control', want.map((c) => `+${c}`).join(' '));
    dir = join(dir, seg);
    mkdirSync(dir, { recursive: true });
  }
  return dir;
}

/** Makes cgroup `rel` under the parent (idempotent) and writes `cfg` to it: shares, CFS quota, memory and PID limits. */
export async function applyCgroupConfig(layout: CgroupLayout, rel: string, cfg: Partial<PodCgroupConfig>): Promise<void> {
  if (layout.unified) {
    const dir = await makeV2(layout, rel);
    if (cfg.cpuShares !== undefined) await set(dir, 'cpu.weight', String(sharesToWeight(BigInt(cfg.cpuShares))));
    // libcontainer: a quota not above 0 is "max" (a cpu limit of 1e1000 has a MilliValue of 0).
    if (cfg.cpuQuota !== undefined) await set(dir, 'cpu.max', `${cfg.cpuQuota > 0 ? cfg.cpuQuota : 'max'} ${cfg.cpuPeriod ?? CPU_PERIOD}`);
    if (cfg.memoryLimit !== undefined) await set(dir, 'memory.max', String(cfg.memoryLimit));
    if (cfg.pidsLimit !== undefined) await set(dir, 'pids.max', String(cfg.pidsLimit));
    return;
  }
  const needs = { cpu: cfg.cpuShares !== undefined || cfg.cpuQuota !== undefined, memory: cfg.memoryLimit !== undefined, pids: cfg.pidsLimit !== undefined };
  for (const c of ['cpu', 'memory', 'pids'] as const) {
    if (layout.has(c)) mkdirSync(layout.dir(c, rel), { recursive: true });
    // A limit asked for and no hierarchy to write it to: refused, not silently left out.
    else if (needs[c]) throw new Error(`cannot set up cgroup ${rel}: no ${c} cgroup hierarchy is mounted`);
  }
  const cpu = layout.dir('cpu', rel);
  if (cfg.cpuShares !== undefined) await set(cpu, 'cpu.shares', String(cfg.cpuShares));
  if (cfg.cpuQuota !== undefined) {
    // The period first, as libcontainer: a quota is checked against the period in force.
    await set(cpu, 'cpu.cfs_period_us', String(cfg.cpuPeriod ?? CPU_PERIOD));
    await set(cpu, 'cpu.cfs_quota_us', String(cfg.cpuQuota > 0 ? cfg.cpuQuota : -1));
  }
  if (cfg.memoryLimit !== undefined) await set(layout.dir('memory', rel), 'memory.limit_in_bytes', String(cfg.memoryLimit));
  if (cfg.pidsLimit !== undefined) await set(layout.dir('pids', rel), 'pids.max', String(cfg.pidsLimit));
}

/**
 * The QoS tiers (qosContainerManager Start and UpdateCgroups): besteffort/ with 2 shares, and
 * burstable/ with the shares of its active pods' summed cpu requests. Guaranteed pods sit in the
 * parent itself.
 */
export async function updateQosCgroups(layout: CgroupLayout, burstableCpuRequestsMilli: Iterable<number>): Promise<void> {
  await applyCgroupConfig(layout, 'besteffort', { cpuShares: 2 });
  await applyCgroupConfig(layout, 'burstable', { cpuShares: burstableShares(burstableCpuRequestsMilli) });
}

/** Every pid in `dirs` and below (cgroupManager.Pids: all hierarchies, recursively). */
async function cgroupPids(dirs: readonly string[]): Promise<Set<number>> {
  const out = new Set<number>();
  const walk = async (dir: string): Promise<void> => {
    const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const l of procs.split('\n')) if (/^\d+$/.test(l.trim())) out.add(Number(l.trim()));
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  for (const d of dirs) await walk(d);
  return out;
}

/** A cgroup directory and its child cgroups, deepest first. */
async function removeTree(dir: string, remove: (d: string) => Promise<void>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name), remove);
  await remove(dir);
}

export interface RemoveOptions {
  /** Removes one (empty) cgroup directory; default rmdir. A fake root's directories hold files: tests remove them whole. */
  rmdir?: (dir: string) => Promise<void>;
  kill?: (pid: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Removes cgroup `rel` (a pod's) from every hierarchy, as podContainerManager.Destroy: the
 * processes still in it are killed first (tryKillingCgroupProcesses: SIGKILL, up to five rounds),
 * then the directories go, deepest first, each retried while the kernel still counts a dying
 * task in it (libcontainer's RemovePaths). Throws when something stays.
 */
export async function removeCgroup(layout: CgroupLayout, rel: string, o: RemoveOptions = {}): Promise<void> {
  if (!rel.split('/').some(Boolean)) throw new Error('refusing to remove the pods\' parent cgroup itself');
  const dirs = layout.allDirs(rel);
  const kill = o.kill ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  const sleep = o.sleep ?? sleepMs;
  const remove = o.rmdir ?? ((d: string) => rmdir(d));
  for (let round = 0; round < 5; round++) {
    const pids = await cgroupPids(dirs);
    if (pids.size === 0) break;
    for (const pid of pids) {
      try {
        kill(pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(`failed to kill all the processes attached to cgroup ${rel}: ${(err as Error).message}`);
      }
    }
    await sleep(10 * 2 ** round);
  }
  for (const d of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await removeTree(d, remove);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EBUSY' && code !== 'ENOTEMPTY') || attempt >= 5) throw new Error(`failed to remove cgroup ${d}: ${(err as Error).message}`);
        await sleep(10 * 2 ** attempt);
      }
    }
  }
}
