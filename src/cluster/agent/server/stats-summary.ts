/**
 * The kubelet's GET /stats/summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1 Summary), fields in
 * upstream's order: the node (systemContainers, startTime = boot, cpu, memory, network, fs = the
 * agent's data directory's file system, runtime.imageFs, rlimit) and every pod with a sandbox here
 * (podRef, startTime = sandbox creation, its running containers with cpu, memory, rootfs and logs,
 * the pod's cpu and memory, the network of its namespace, its volumes, ephemeral-storage).
 * systemContainers: "kubelet" is the agent process itself (self-stats.ts: its own figures, as the
 * containers' cgroups may nest under the agent's), "pods" the cgroup every container is placed
 * under; there is no "runtime": no runtime daemon runs here (runc is run per operation, and the
 * shims belong to their containers), and the kubelet leaves out a system container it has no
 * cgroup name for. A container's rootfs is its writable layer (the overlay's upper directory, or
 * the copy), du for the bytes and inodes used, statfs of its file system for the rest, as the CRI
 * stats provider fills it from the runtime's writable layer and the image file system.
 * Volumes: those under the pod's directory (du), then those from a claim bound to a local
 * PersistentVolume (used in place at the volume's path) with pvcRef {name, namespace} and statfs
 * figures, as upstream's local volume plugin measures them (MetricsStatFS of the volume's path);
 * a claim on a hostPath PersistentVolume is left out as upstream's hostPath plugin has no metrics.
 * usageNanoCores is the rate between this read and the one before, as the kubelet's CRI stats
 * provider computes it (absent on the first read); the cache keeps only what is still there.
 * A volume's use is walked at most once a minute, as the kubelet's volumeStatsAggPeriod caches it.
 * A pod's cpu and memory are its own cgroup's (pod-cgroups.ts), as cadvisor reads the pod for the
 * kubelet; a pod from before pod cgroups has none, and gets its sandbox's plus its running
 * containers' (as /metrics/resource). `only_cpu_and_memory=true` leaves the rest out.
 * Ephemeral storage: the containers' writable layers and logs, the pod directory's volumes on
 * the node's file system and the files there its containers can write (/etc/hosts, /etc/hostname, termination messages). Not reported: accelerators, user defined metrics, swap, process_stats.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rfc3339 } from '../../../api/time.ts';
import { du } from '../disk-usage.ts';
import { WRITABLE_FILES } from '../pod-managed-files.ts';
import type { UsageStats } from '../runtime/cgroup-stats.ts';
import type { ContainerRuntime, PodRef } from '../runtime/types.ts';
import { bootTime, fsStats, networkStats, readNetDev, rlimitStats, type FsStats } from './host-stats.ts';
import { readSelfStats } from './self-stats.ts';

/** A pod's volume from a PersistentVolumeClaim, where the volume manager set it up. */
export interface ClaimVolume {
  /** The volume's name in the pod spec. */
  readonly name: string;
  readonly claimName: string;
  readonly path: string;
  /** The kind of PersistentVolume bound to the claim. */
  readonly source: 'local' | 'hostPath';
}

export interface StatsSummaryOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  nodeStats(): Promise<UsageStats>;
  /** The agent's data directory: the node file system, and the pods' volumes under <dataDir>/pods. */
  dataDir?: string;
  /** Bytes the images take (runtime.imageFs.usedBytes). */
  imagesUsage?: () => Promise<number>;
  /** How long a volume's du is reused (the kubelet's volumeStatsAggPeriod, default 1 min). */
  volumeStatsPeriodMs?: number;
  /** The pod's volumes from claims (the volume manager's; none: no claim volumes are reported). */
  claimVolumes?: (podUid: string) => readonly ClaimVolume[];
  /** The host's /proc (tests give a tree of their own). */
  proc?: string;
  /** The agent's own process in `proc` (the "kubelet" system container). Default self. */
  selfPid?: number;
  now?: () => Date;
}

type Json = Record<string, unknown>;

const omitUndefined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export class StatsSummary {
  readonly #o: StatsSummaryOptions;
  /** Last CPU reading per container, sandbox pod and the node, for usageNanoCores (only ids seen in the last read are kept). */
  #lastCpu = new Map<string, { nanos: number; at: number }>();
  /** A volume's or writable layer's last du (walking it on every request would let a pod's files cost the agent each scrape); only those still there are kept. */
  #duCache = new Map<string, { at: number; used: { bytes: number; inodes: number; dev?: number } }>();

  constructor(o: StatsSummaryOptions) {
    this.#o = o;
  }

  /** CPUStats, with usageNanoCores from the previous reading of `key`. */
  #cpu(key: string, u: UsageStats, seen: Set<string>): Json {
    seen.add(key);
    const prev = this.#lastCpu.get(key);
    const at = u.timestamp.getTime();
    let rate: number | undefined;
    if (prev && at > prev.at && u.cpuUsageNanos >= prev.nanos) rate = Math.round(((u.cpuUsageNanos - prev.nanos) / (at - prev.at)) * 1000);
    if (!prev || at > prev.at) this.#lastCpu.set(key, { nanos: u.cpuUsageNanos, at });
    return omitUndefined({ time: rfc3339(u.timestamp), usageNanoCores: rate, usageCoreNanoSeconds: Math.round(u.cpuUsageNanos) });
  }

  /** MemoryStats; availableBytes only under a limit (limit - working set, never below zero). */
  #memory(u: UsageStats): Json {
    const available = u.memoryLimitBytes !== undefined ? Math.max(0, u.memoryLimitBytes - u.memoryWorkingSetBytes) : undefined;
    return omitUndefined({
      time: rfc3339(u.timestamp), availableBytes: available, usageBytes: u.memoryUsageBytes, workingSetBytes: u.memoryWorkingSetBytes,
      rssBytes: u.memoryRssBytes, pageFaults: u.pageFaults, majorPageFaults: u.majorPageFaults,
    });
  }

  /** du of path, walked again only after volumeStatsAggPeriod. */
  async #used(path: string, now: Date, seen: Set<string>): Promise<{ bytes: number; inodes: number; dev?: number }> {
    seen.add(path);
    let use = this.#duCache.get(path);
    if (!use || now.getTime() - use.at >= (this.#o.volumeStatsPeriodMs ?? 60_000)) this.#duCache.set(path, (use = { at: now.getTime(), used: await du(path) }));
    return use.used;
  }

  /** The "kubelet" and "pods" system containers (name, startTime, cpu, memory), those that can be read. */
  async #systemContainers(now: Date, seen: Set<string>): Promise<Json[]> {
    const out: Json[] = [];
    const self = await readSelfStats(now, this.#o.proc, this.#o.selfPid);
    if (self) out.push({ name: 'kubelet', startTime: rfc3339(self.startTime), cpu: this.#cpu('system/kubelet', self.usage, seen), memory: this.#memory(self.usage) });
    const pods = await this.#o.runtime.podsUsageStats().catch(() => undefined);
    if (pods) out.push({ name: 'pods', startTime: rfc3339(pods.startTime), cpu: this.#cpu('system/pods', pods.usage, seen), memory: this.#memory(pods.usage) });
    return out;
  }

  async summary(onlyCpuAndMemory = false): Promise<Json> {
    const o = this.#o;
    const now = o.now?.() ?? new Date();
    const seen = new Set<string>();
    const nodeUsage = await o.nodeStats();
    const system = await this.#systemContainers(now, seen);
    const node: Json = { nodeName: o.nodeName, ...(system.length ? { systemContainers: system } : {}), startTime: rfc3339((await bootTime(o.proc)) ?? now), cpu: this.#cpu('node', nodeUsage, seen), memory: this.#memory(nodeUsage) };
    const nodeFs = o.dataDir ? await fsStats(o.dataDir, now) : undefined;
    const nodeDev = o.dataDir ? (await stat(o.dataDir).catch(() => undefined))?.dev : undefined;
    if (!onlyCpuAndMemory) {
      const ifs = await readNetDev(undefined, o.proc);
      if (ifs) node.network = networkStats(ifs, now);
      if (nodeFs) node.fs = nodeFs;
      if (nodeFs && o.dataDir) node.runtime = { imageFs: o.imagesUsage ? { ...nodeFs, usedBytes: await o.imagesUsage() } : nodeFs };
      node.rlimit = await rlimitStats(now, o.proc);
    }

    const { sandboxes, containers } = await o.runtime.list();
    const pods: Json[] = [];
    for (const sb of sandboxes.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      // The newest ready sandbox of a pod stands for it (older, stopped ones are not reported).
      if (sb.state !== 'ready' || pods.some((p) => (p.podRef as PodRef).uid === sb.pod.uid)) continue;
      const running = containers.filter((c) => c.pod.uid === sb.pod.uid && c.sandboxId === sb.id && c.state === 'running');
      // Any process in the pod's network namespace shows its interfaces: the sandbox's, else a container's.
      const netPid = sb.namespaces.net ? (sb.pid ?? running.find((c) => c.pid !== undefined)?.pid) : undefined;
      pods.push(await this.#pod(sb.pod, sb.id, sb.createdAt, netPid, running, seen, onlyCpuAndMemory, now, nodeFs, nodeDev));
    }
    for (const k of [...this.#lastCpu.keys()]) if (!seen.has(k)) this.#lastCpu.delete(k);
    for (const k of [...this.#duCache.keys()]) if (!seen.has(k)) this.#duCache.delete(k);
    return { node, pods };
  }

  async #pod(ref: PodRef, sandboxId: string, createdAt: string, netPid: number | undefined, running: Awaited<ReturnType<ContainerRuntime['list']>>['containers'], seen: Set<string>, only: boolean, now: Date, nodeFs: FsStats | undefined, nodeDev: number | undefined): Promise<Json> {
    const o = this.#o;
    const cs: Json[] = [];
    let total: { nanos: number; ws: number; usage: number; rss: number; at: number } | undefined;
    const add = (u: UsageStats) => {
      total ??= { nanos: 0, ws: 0, usage: 0, rss: 0, at: 0 };
      total.nanos += u.cpuUsageNanos;
      total.ws += u.memoryWorkingSetBytes;
      total.usage += u.memoryUsageBytes ?? u.memoryWorkingSetBytes;
      total.rss += u.memoryRssBytes ?? 0;
      total.at = Math.max(total.at, u.timestamp.getTime());
    };
    const sandboxUsage = await o.runtime.usageStats(sandboxId).catch(() => undefined);
    if (sandboxUsage) add(sandboxUsage);
    let ephemeral = { bytes: 0, inodes: 0 };
    for (const c of running.sort((a, b) => a.name.localeCompare(b.name))) {
      const u = await o.runtime.usageStats(c.id).catch(() => undefined);
      const entry: Json = { name: c.name, startTime: rfc3339(new Date(c.createdAt)) };
      if (u) {
        entry.cpu = this.#cpu(c.id, u, seen);
        entry.memory = this.#memory(u);
        add(u);
      }
      const layer = only ? undefined : await o.runtime.writableLayer(c.id).catch(() => undefined);
      if (layer) {
        const used = await this.#used(layer, now, seen);
        const rootfs = await fsStats(layer, now, used);
        if (rootfs) entry.rootfs = rootfs;
        ephemeral = { bytes: ephemeral.bytes + used.bytes, inodes: ephemeral.inodes + used.inodes };
      }
      if (!only && c.logPath) {
        const used = await du(dirname(c.logPath));
        const logs = await fsStats(dirname(c.logPath), now, used);
        if (logs) entry.logs = logs;
        ephemeral = { bytes: ephemeral.bytes + used.bytes, inodes: ephemeral.inodes + used.inodes };
      }
      cs.push(entry);
    }
    const pod: Json = { podRef: { name: ref.name, namespace: ref.namespace, uid: ref.uid }, startTime: rfc3339(new Date(createdAt)), containers: cs };
    const sum = total as { nanos: number; ws: number; usage: number; rss: number; at: number } | undefined;
    const own = await o.runtime.podUsageStats?.(ref.uid).catch(() => undefined);
    if (own || sum) {
      const u: UsageStats = own ?? { cpuUsageNanos: sum!.nanos, memoryWorkingSetBytes: sum!.ws, memoryUsageBytes: sum!.usage, memoryRssBytes: sum!.rss, timestamp: new Date(sum!.at) };
      pod.cpu = this.#cpu(`pod/${ref.uid}`, u, seen);
      pod.memory = this.#memory(u);
    }
    if (only) return pod;
    const ifs = netPid !== undefined ? await readNetDev(netPid, o.proc) : undefined;
    if (ifs) pod.network = networkStats(ifs, now);
    const volumes = await this.#volumes(ref.uid, now, seen);
    const claimed = await this.#claimVolumes(ref, now);
    if (volumes.length || claimed.length) pod.volume = [...volumes.map((v) => v.stats), ...claimed];
    // Ephemeral storage: logs and the volumes on the node's file system (emptyDir and configMap on disk; tmpfs ones are memory).
    for (const v of volumes) if (nodeDev !== undefined && v.dev === nodeDev) ephemeral = { bytes: ephemeral.bytes + v.used.bytes, inodes: ephemeral.inodes + v.used.inodes };
    // And the files of the pod's directory its containers may write (/etc/hosts as upstream's
    // etcHostsStats; /etc/hostname and the termination message files too, as the eviction pass counts them).
    if (o.dataDir && /^[A-Za-z0-9-]{1,64}$/.test(ref.uid)) {
      for (const f of WRITABLE_FILES) {
        const used = await this.#used(join(o.dataDir, 'pods', ref.uid, f), now, seen);
        ephemeral = { bytes: ephemeral.bytes + used.bytes, inodes: ephemeral.inodes + used.inodes };
      }
    }
    if (nodeFs) pod['ephemeral-storage'] = { ...nodeFs, time: rfc3339(now), usedBytes: ephemeral.bytes, inodesUsed: ephemeral.inodes };
    return pod;
  }

  /** Every volume under <dataDir>/pods/<uid>/volumes/<plugin>/<name>: du for use, statfs for the rest. */
  async #volumes(uid: string, now: Date, seen: Set<string>): Promise<Array<{ stats: Json; used: { bytes: number; inodes: number }; dev?: number }>> {
    if (!this.#o.dataDir) return [];
    const root = join(this.#o.dataDir, 'pods', uid, 'volumes');
    const out: Array<{ stats: Json; used: { bytes: number; inodes: number }; dev?: number }> = [];
    const plugins = await readdir(root).catch(() => [] as string[]);
    for (const plugin of plugins.sort()) {
      for (const name of (await readdir(join(root, plugin)).catch(() => [] as string[])).sort()) {
        const path = join(root, plugin, name);
        const used = await this.#used(path, now, seen);
        const fs = await fsStats(path, now, used);
        if (fs) out.push({ stats: { ...fs, name }, used, dev: used.dev });
      }
    }
    return out;
  }

  /** The pod's volumes from claims on local PersistentVolumes: statfs of the volume's path, with pvcRef. */
  async #claimVolumes(ref: PodRef, now: Date): Promise<Json[]> {
    const out: Json[] = [];
    for (const v of this.#o.claimVolumes?.(ref.uid) ?? []) {
      if (v.source !== 'local') continue;
      const fs = await fsStats(v.path, now);
      if (fs) out.push({ ...fs, name: v.name, pvcRef: { name: v.claimName, namespace: ref.namespace } });
    }
    return out;
  }
}

/** runtime.imageFs.usedBytes from an image service that lists its images with their sizes (none otherwise). */
export function imagesUsage(images: object): (() => Promise<number>) | undefined {
  if (!('listImages' in images) || typeof images.listImages !== 'function') return undefined;
  const list = images.listImages.bind(images) as () => Promise<Array<{ sizeBytes: number }>>;
  return async () => (await list()).reduce((n, i) => n + i.sizeBytes, 0);
}
