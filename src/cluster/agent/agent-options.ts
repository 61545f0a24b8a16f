/**
 * What startAgent (agent.ts) is given and what it answers: the agent's options (its identity and
 * server, runtime, network, periods, injected clock, randomness and timers) and the running
 * agent's handle. Apart from agent.ts so that the start-up sequence reads on its own and callers
 * that only pass options or hold an Agent need not read it.
 */
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Timers } from '../client/timers.ts';
import type { ApiClient, ClientConfig } from '../client/types.ts';
import type { HostInfo } from './host-info.ts';
import type { ImageGcPolicy } from './image-gc.ts';
import type { PodNetwork } from './network/routed.ts';
import type { StoredCert } from './node-certificates.ts';
import type { PodSyncer } from './pod-sync.ts';
import type { PodWorkers } from './pod-workers.ts';
import type { ContainerRuntime, ImageService } from './runtime/types.ts';
import type { VolumeManager } from './volumes/volume-manager.ts';
import type { FsStats } from './eviction/disk-pressure.ts';
import type { NodeAllocatable } from './runtime/pods-cgroup-limits.ts';

export interface AgentLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface AgentOptions {
  nodeName: string;
  dataDir: string;
  /** The server, its CA and the bootstrap identity (token or certificate). */
  bootstrap: ClientConfig;
  runtime: ContainerRuntime;
  images: ImageService;
  /** The pod network (issue 14's routed network); without one, pods off the host network get no IP. */
  network?: PodNetwork;
  /**
   * Starts the node's pod network (pod addresses, NetworkPolicy, Services and DNS:
   * src/cluster/agent/network/node-network.ts) with the network plugin's own identity, whose client
   * resolves once its certificate is issued (network/network-identity.ts); the node's identity may
   * not list other nodes' pods.
   */
  startNetwork?: (client: Promise<ApiClient>) => Promise<{ podNetwork: PodNetwork; podFiles?: (pod: Pod) => Promise<Record<string, string>>; missingClusterDNS?: (pod: Pod) => boolean; stop(): Promise<void> }>;
  /**
   * Mount the pods' volumes under <dataDir>/pods (tmpfs and bind mounts: needs root; the runc
   * runtime). Off (the fake runtime): containers get no volumes.
   */
  podVolumes?: boolean;
  /** containerID scheme (runc, fake) and containerRuntimeVersion (runc://1.1.5). */
  runtimeScheme: string;
  runtimeVersion: string;
  makeClient?: (c: ClientConfig) => ApiClient;
  /** --node-ip */
  nodeIP?: string;
  /** The host as reported (tests); read from the machine when absent. */
  host?: HostInfo;
  leaseDurationSeconds?: number;
  leaseRenewMs?: number;
  /** NodeStatus check period (kubelet: nodeStatusUpdateFrequency, 10 s) and report period when nothing changes (nodeStatusReportFrequency, 5 min). */
  statusUpdateMs?: number;
  statusReportMs?: number;
  /** Runtime relist period (kubelet's PLEG: 1 s) and full pod resync (syncFrequency: 1 min). */
  relistMs?: number;
  resyncMs?: number;
  csrPollMs?: number;
  /** Runtime creates and starts at once across pods (default twice the CPUs, at least 8; pod-sync.ts's start gate). */
  startConcurrency?: number;
  /** Image garbage collection (when the image service can list its images): kubelet's thresholds and its 5 min period. */
  imageGcPolicy?: Partial<ImageGcPolicy>;
  imageGcPeriodMs?: number;
  /** The eviction manager's local-storage limit checks (kubelet's evictionMonitoringPeriod, 10 s). */
  evictionMonitoringMs?: number;
  /**
   * Eviction thresholds (eviction/thresholds.ts): hard ones (kubelet's evictionHard; default
   * upstream's memory.available<100Mi and nodefs/imagefs ones), soft ones with their grace periods
   * (evictionSoft, evictionSoftGracePeriod), and how long a pressure condition stays after its
   * threshold was last met (evictionPressureTransitionPeriod, 5 min).
   */
  evictionHard?: Readonly<Record<string, string>>;
  evictionSoft?: Readonly<Record<string, string>>;
  evictionSoftGracePeriod?: Readonly<Record<string, string>>;
  /** evictionMinimumReclaim: per signal, how much more than its threshold must be available before a met threshold is resolved. */
  evictionMinimumReclaim?: Readonly<Record<string, string>>;
  evictionPressureTransitionMs?: number;
  /** --eviction-max-pod-grace-period: the most grace a soft threshold's eviction gives a pod, capped by its own (default 0: the 2 s minimum). */
  evictionMaxPodGracePeriodSeconds?: number;
  /**
   * --allowed-unsafe-sysctls: sysctls, or patterns ending in *, admitted beside the safe ones; each
   * must be namespaced (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) or the agent does not start.
   */
  allowedUnsafeSysctls?: readonly string[];
  /**
   * --node-labels and --register-with-taints: set on the Node when the agent creates it (a Node that
   * exists already keeps its own). Checked as the kubelet checks them (kubelet-flags.ts): a label in
   * the kubernetes.io / k8s.io namespaces outside the kubelet's own set stops the start.
   */
  nodeLabels?: Readonly<Record<string, string>>;
  registerWithTaints?: readonly Taint[];
  /** --cluster-domain (default cluster.local): pods' /etc/hosts FQDNs (the DNS search paths and zone are the network's: network/node-network.ts). */
  clusterDomain?: string;
  /**
   * Node allocatable enforcement (--enforce-node-allocatable: runtime/pods-cgroup-limits.ts):
   * `create` makes the pods' parent cgroup with its limits if it does not exist, before the node
   * registers (an error stops the start: no pod runs without the limit); `enforce` then writes the
   * limits until a write succeeds, retried every minute with Node Events, as the kubelet does.
   * `podsMemoryBytes` is that cgroup's memory limit, which allocatableMemory.available is measured
   * against (default the memory capacity).
   */
  nodeAllocatable?: NodeAllocatable;
  /** statfs(2) of the data directory for the disk signals (default node:fs statfs; tests inject a disk's fullness). */
  statfs?: (path: string) => Promise<FsStats>;
  /** The node's memory capacity and working set for memory.available (default eviction/node-signals.ts readNodeMemory; tests inject). */
  nodeMemory?: () => Promise<{ capacity: number; workingSet: number }>;
  /** pid_max and the tasks running for pid.available (default readPids). */
  pids?: () => Promise<{ max: number; running: number } | undefined>;
  log: AgentLog;
  /**
   * Called with the serving certificate (kubelet-serving) once the agent has one (at start when
   * stored, else once approved and signed) and again on every rotation: the agent's HTTPS
   * endpoint serves with it.
   */
  onServingCertificate?: (c: StoredCert) => void;
  /** Ends a start still waiting for its certificate (the process is stopping). */
  signal?: AbortSignal;
  now?: () => number;
  random?: () => number;
  timers?: Timers;
}

export interface Agent {
  readonly nodeName: string;
  /** The node's own client (rotating identity). */
  readonly client: ApiClient;
  readonly syncer: PodSyncer;
  readonly workers: PodWorkers;
  /** The pods' volumes (with podVolumes). */
  readonly volumes?: VolumeManager;
  clientCert(): StoredCert;
  servingCert(): StoredCert | undefined;
  /** The network plugin identity's certificate (with startNetwork), once issued. */
  networkCert(): StoredCert | undefined;
  stop(): Promise<void>;
}
