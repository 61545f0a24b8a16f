/**
 * What a real node reports about its host (kubelet's nodestatus setters): capacity from the CPUs,
 * the memory (the smaller of the machine's and this process's memory cgroup limit, cgroup v1 or
 * v2), pods=110 and the data directory's file system; allocatable as capacity minus upstream's
 * default hard eviction thresholds (memory.available<100Mi, nodefs.available<10%; no kube- or
 * system-reserved); addresses InternalIP and Hostname; nodeInfo from /etc/machine-id,
 * /proc/sys/kernel/random/boot_id and /etc/os-release. Read once at start: none of it is on a
 * request path.
 */
import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../server/version.ts';
import { allocatableAmounts, capacityAmounts, format, type ResourceAmounts } from './runtime/node-allocatable.ts';
import { DEFAULT_EVICTION_HARD } from './eviction/thresholds.ts';

export interface HostInfo {
  hostname: string;
  internalIP: string;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  nodeInfo: Record<string, string>;
}

/** Default maxPods (KubeletConfiguration). */
export const DEFAULT_MAX_PODS = 110;

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** This process's memory cgroup limit in bytes, if one is set (v1 memory.limit_in_bytes or v2 memory.max). */
export function cgroupMemoryLimit(procSelfCgroup: string, read: (p: string) => string = readTrim): bigint | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = line.split(':', 3) as [string, string | undefined, string | undefined];
    if (path === undefined) continue;
    const file = controllers === 'memory' ? `/sys/fs/cgroup/memory${path}/memory.limit_in_bytes` : controllers === '' ? `/sys/fs/cgroup${path}/memory.max` : undefined;
    if (!file) continue;
    const v = read(file);
    // "max", or v1's "no limit" (a page-rounded 2^63-1), means none.
    if (/^\d+$/.test(v) && BigInt(v) < 1n << 62n) return BigInt(v);
  }
  return undefined;
}

/** The first non-internal IPv4 address, else the first IPv6 one, else 127.0.0.1. */
function primaryAddress(): string {
  const all = Object.values(os.networkInterfaces()).flat().filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal);
  return all.find((a) => a.family === 'IPv4')?.address ?? all.find((a) => a.family === 'IPv6')?.address ?? '127.0.0.1';
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readTrim('/etc/os-release'));
  return m?.[1] ?? 'Linux';
}

/** The host name as a node name (an RFC 1123 subdomain, lower case), as the kubelet's default. */
export function localNodeName(): string {
  const n = os.hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return n.slice(0, 253) || 'localhost';
}

export interface HostInfoOptions {
  /** --node-ip: the InternalIP to report instead of the first address found. */
  nodeIP?: string;
  /** The file system the agent keeps its data on (ephemeral-storage). */
  dataDir: string;
  maxPods?: number;
  /** containerRuntimeVersion, e.g. runc://1.1.5. */
  runtimeVersion: string;
  /** --system-reserved, --kube-reserved and --eviction-hard (default upstream's), kept from allocatable. */
  systemReserved?: ResourceAmounts;
  kubeReserved?: ResourceAmounts;
  evictionHard?: Readonly<Record<string, string>>;
}

export function readHostInfo(o: HostInfoOptions): HostInfo {
  const cpus = os.availableParallelism();
  let memory = BigInt(os.totalmem());
  const limit = cgroupMemoryLimit(readTrim('/proc/self/cgroup'));
  if (limit !== undefined && limit < memory) memory = limit;
  let storage = 0n;
  try {
    const s = statfsSync(o.dataDir, { bigint: true });
    storage = s.blocks * s.bsize;
  } catch {
    // An unreadable file system reports no ephemeral storage rather than a made-up figure.
  }
  const pods = String(o.maxPods ?? DEFAULT_MAX_PODS);
  // Quantity.String() of the bytes (BinarySI), as the kubelet's NewQuantity(capacity, BinarySI).
  const capacity = { cpu: String(cpus), memory: format('memory', memory), pods, 'ephemeral-storage': format('ephemeral-storage', storage) };
  const left = allocatableAmounts({ capacity: capacityAmounts(capacity), systemReserved: o.systemReserved, kubeReserved: o.kubeReserved, evictionHard: o.evictionHard ?? DEFAULT_EVICTION_HARD });
  const allocatable = { cpu: format('cpu', left.cpu ?? 0n), memory: format('memory', left.memory ?? 0n), pods, 'ephemeral-storage': format('ephemeral-storage', left['ephemeral-storage'] ?? 0n) };
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    hostname: os.hostname().toLowerCase(),
    internalIP: o.nodeIP ?? primaryAddress(),
    capacity,
    allocatable,
    nodeInfo: {
      machineID: readTrim('/etc/machine-id'),
      systemUUID: readTrim('/sys/class/dmi/id/product_uuid'),
      bootID: readTrim('/proc/sys/kernel/random/boot_id'),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: o.runtimeVersion,
      kubeletVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0+portcullis`,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch,
    },
  };
}
