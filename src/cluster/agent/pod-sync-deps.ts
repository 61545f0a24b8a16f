/**
 * What the pieces of a pod sync (pod-sync.ts and the files it is split into: pod-admitter.ts,
 * container-runner.ts, pod-teardown.ts, pod-status-writer.ts) are given and share: the agent's
 * dependencies, the context one PodSyncer builds for its parts, and the small helpers they all use.
 */
import type { Container, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient, K8sObject } from '../client/types.ts';
import type { EventRecorder } from '../controllers/events.ts';
import type { PodView, StatusInputs } from './pod-status.ts';
import type { PodStatusWriter } from './pod-status-writer.ts';
import type { RuntimeIndex } from './runtime-index.ts';
import type { ContainerRuntime, ContainerStatus, ImageService, PodRef, SandboxStatus } from './runtime/types.ts';
import type { PodNetwork } from './network/routed.ts';
import type { VolumeManager } from './volumes/volume-manager.ts';
import type { ProbeManager } from './probes/probe-manager.ts';
import type { ProbeRunner } from './probes/run-probe.ts';
import type { ContainerLifecycle } from './probes/container-lifecycle.ts';
import type { SysctlAllowlist } from './runtime/sysctl-allowlist.ts';
import type { Timers } from '../client/timers.ts';
import type { PodManagedFiles } from './pod-managed-files.ts';
import type { AllocationCheckpoint } from './allocation-checkpoint.ts';

export interface PodSyncDeps {
  runtime: ContainerRuntime;
  images: ImageService;
  /** Gives each pod off the host network its address (none: such pods get no IP). */
  network?: PodNetwork;
  /** Sets up the pods' volumes and gives containers their mounts (none: containers get no volumes). */
  volumes?: VolumeManager;
  /** Files for every container of a pod (/etc/resolv.conf for its dnsPolicy), written by the network. */
  podFiles?: (pod: Pod) => Promise<Record<string, string>>;
  /** Whether the pod asks for the cluster DNS the node has none of: MissingClusterDNS events (the network's). */
  missingClusterDNS?: (pod: Pod) => boolean;
  /** The pods' allocated resources on disk (the kubelet's allocation checkpoint; none: kept in memory only). */
  allocations?: AllocationCheckpoint;
  /** /etc/hosts, /etc/hostname and termination message files, the sandbox's hostname and the containers' termination messages (none: none of them). */
  managedFiles?: PodManagedFiles;
  client: ApiClient;
  hostIP: string;
  allocatable: Readonly<Record<string, string>>;
  /** The agent's Node (labels, taints) for admission; without it only resources are checked. */
  node?: () => K8sObject;
  /** The Node read from the API now: when only NodeAffinity failed, the kubelet looks again before rejecting. */
  fetchNode?: () => Promise<K8sObject>;
  /** containerID scheme (runc, fake). */
  scheme: string;
  now: () => number;
  /** The kubelet's events (Created, Started, Killing, BackOff, Pulled, Failed), best effort. */
  recorder?: EventRecorder;
  /** The Services the agent caches (for the Service environment variables). */
  services?: () => readonly Service[];
  /** The pods bound to the node as the agent last saw them (admission counts those it admitted). */
  pods(): readonly Pod[];
  /** Sync this pod again after `ms` (a backoff running out). */
  requeueAfter(uid: string, ms: number): void;
  /** Sync this pod now (a pod preempted for a critical one; default requeueAfter 0). */
  wake?(uid: string): void;
  /** The sysctl allowlist: the safe sysctls and --allowed-unsafe-sysctls (default the safe ones). */
  sysctls?: SysctlAllowlist;
  /** For the bound on waiting for preempted pods to be killed (default Node's, unref'd). */
  timers?: Timers;
  /** Runtime creates and starts at once (default twice the CPUs, at least 8): a burst of pods starts in admission order (start-gate.ts). */
  startConcurrency?: number;
  /** The eviction manager's message for a pod it judged over a local-storage limit (eviction/local-storage-eviction.ts). */
  evictionVerdict?: (uid: string) => string | undefined;
  /** The eviction manager's node conditions (['DiskPressure'] under disk pressure): new pods are refused while any holds. */
  nodePressure?: () => readonly string[];
  /** The eviction manager's message for a pod it evicts to relieve node pressure (eviction/node-pressure-eviction.ts): killed as above, plus a DisruptionTarget condition. */
  pressureVerdict?: (uid: string) => string | undefined;
  /** The grace period of that eviction (1 s for a hard threshold; a soft one's min(--eviction-max-pod-grace-period, the pod's own)), at least 2 s when applied. */
  pressureGrace?: (uid: string) => number | undefined;
  /** Runs one probe (default: exec/httpGet/tcpSocket/grpc against the runtime and the pod IP). */
  runProbe?: ProbeRunner;
  log: { warn(o: object, m: string): void; info(o: object, m: string): void };
}

/** A pod's sandboxes and containers as the runtime reports them now, the ready sandbox first choice. */
export type SyncView = PodView & { sandboxes: SandboxStatus[] };

/** What a PodSyncer shares with its parts. */
export interface SyncContext {
  d: PodSyncDeps;
  index: RuntimeIndex;
  probes: ProbeManager;
  life: ContainerLifecycle;
  status: PodStatusWriter;
  view(uid: string): Promise<SyncView>;
  /** An event about one of the pod's containers (involvedObject.fieldPath spec.containers{name}). */
  event(pod: Pod, c: Container, type: 'Normal' | 'Warning', reason: string, message: string): void;
  podIPs(pod: Pod): string[] | undefined;
  /** The prober's started/ready for the status. */
  verdict(uid: string): StatusInputs['probes'];
}

/** The newest instance of a container and the one before it (for lastState). */
export type Att = { latest: ContainerStatus; previous?: ContainerStatus };

export const refOf = (pod: Pod): PodRef => ({ uid: pod.metadata?.uid ?? '', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' });
export const isDone = (phase: unknown): boolean => phase === 'Succeeded' || phase === 'Failed';

/** The grace period a deletion gets (calculateEffectiveGracePeriod). */
export function gracePeriodOf(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, g);
}

/** A pod start given up in the start gate: the pod was deleted while it waited. */
export class StartAbandoned extends Error {
  constructor() {
    super('pod deleted while waiting to start: no sandbox or container created');
  }
}
