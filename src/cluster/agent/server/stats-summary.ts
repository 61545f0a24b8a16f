/**
 * The kubelet's GET /stats/summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1 Summary), fields in
 * upstream's order: the node (startTime = boot, cpu, memory, network, fs = the agent's data
 * directory's file system, runtime.imageFs, rlimit) and every pod with a sandbox here (podRef,
 * startTime = sandbox creation, its running containers with cpu, memory and logs, the pod's cpu and
 * memory, the network of its namespace, the volumes under its pod directory, ephemeral-storage).
 * usageNanoCores is the rate between this read and the one before, as the kubelet's CRI stats
 * provider computes it (absent on the first read); the cache keeps only what is still there.
 * A volume's use is walked at most once a minute, as the kubelet's volumeStatsAggPeriod caches it.
 * Pods have no cgroup of their own here, so a pod's cpu and memory are its sandbox's plus its
 * running containers' (as /metrics/resource). `only_cpu_and_memory=true` leaves the rest out.
 * Not reported: systemContainers, container rootfs (the runtime's overlay), accelerators, user
 * defined metrics, a PVC's pvcRef (volumes used in place from a PV are outside the pod directory).
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rfc3339 } from '../../../api/time.ts';
import { du } from '../disk-usage.ts';
import type { UsageStats } from '../runtime/cgroup-stats.ts';
import type { ContainerRuntime, PodRef } from '../runtime/types.ts';
import { bootTime, fsStats, networkStats, readNetDev, rlimitStats, type FsStats } from './host-stats.ts';

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
  /** The host's /proc (tests give a tree of their own). */
  proc?: string;
  now?: () => Date;
}

type Json = Record<string, unknown>;

const omitUndefined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export class StatsSummary {
  readonly #o: StatsSummaryOptions;
  /** Last CPU reading per container, sandbox pod and the node, for usageNanoCores (only ids seen in the last read are kept). */
  #lastCpu = new Map<string, { nanos: number; at: number }>();
  /** A volume's last du (walking a volume on every request would let a pod's files cost the agent each scrape); only volumes still there are kept. */
  #volumeUse = new Map<string, { at: number; used: { bytes: number; inodes: number; dev?: number } }>();

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

  async summary(onlyCpuAndMemory = false): Promise<Json> {
    const o = this.#o;
    const now = o.now?.() ?? new Date();
    const seen = new Set<string>();
    const nodeUsage = await o.nodeStats();
    const node: Json = { nodeName: o.nodeName, startTime: rfc3339((await bootTime(o.proc)) ?? now), cpu: this.#cpu('node', nodeUsage, seen), memory: this.#memory(nodeUsage) };
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
    for (const k of [...this.#volumeUse.keys()]) if (!seen.has(k)) this.#volumeUse.delete(k);
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
    if (sum) {
      const u: UsageStats = { cpuUsageNanos: sum.nanos, memoryWorkingSetBytes: sum.ws, memoryUsageBytes: sum.usage, memoryRssBytes: sum.rss, timestamp: new Date(sum.at) };
      pod.cpu = this.#cpu(`pod/${ref.uid}`, u, seen);
      pod.memory = this.#memory(u);
    }
    if (only) return pod;
    const ifs = netPid !== undefined ? await readNetDev(netPid, o.proc) : undefined;
    if (ifs) pod.network = networkStats(ifs, now);
    const volumes = await this.#volumes(ref.uid, now, seen);
    if (volumes.length) pod.volume = volumes.map((v) => v.stats);
    // Ephemeral storage: logs and the volumes on the node's file system (emptyDir and configMap on disk; tmpfs ones are memory).
    for (const v of volumes) if (nodeDev !== undefined && v.dev === nodeDev) ephemeral = { bytes: ephemeral.bytes + v.used.bytes, inodes: ephemeral.inodes + v.used.inodes };
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
        seen.add(path);
        let use = this.#volumeUse.get(path);
        if (!use || now.getTime() - use.at >= (this.#o.volumeStatsPeriodMs ?? 60_000)) this.#volumeUse.set(path, (use = { at: now.getTime(), used: await du(path) }));
        const used = use.used;
        const fs = await fsStats(path, now, used);
        if (fs) out.push({ stats: { ...fs, name }, used, dev: used.dev });
      }
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
