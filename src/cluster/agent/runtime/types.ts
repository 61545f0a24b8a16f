/**
 * The node agent's container runtime boundary (the kubelet's CRI, cut down to what the agent uses).
 * runc.ts implements it on Debian's runc; fake.ts implements it in memory for tests and the
 * simulator. The agent owns policy (restart counts, backoff, probes, volume set-up, valueFrom
 * resolution); the runtime owns processes, namespaces, cgroups, rootfs and log files.
 *
 * Everything here must survive an agent restart: the runtime keeps its state on disk under its
 * state root, so a new instance's list() finds the sandboxes and containers an old one started, and
 * their logs keep flowing while no agent runs.
 */
import type { ImagePullManager } from './image-pull-manager.ts';
import type { Readable, Writable } from 'node:stream';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { UsageStats } from './cgroup-stats.ts';
import type { CgroupResources } from './cgroup-resources.ts';

/** Labels the runtime stores with every sandbox and container, so list() can map them back to pods. */
export interface PodRef {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * One sandbox per pod: a pause-like process holding the pod's network, IPC and UTS namespaces
 * (each one the host's instead when spec.hostNetwork / hostIPC; hostPID makes containers share the
 * host PID namespace). The pod's containers join the sandbox's namespaces by path.
 */
export interface SandboxConfig {
  readonly pod: PodRef;
  /** The whole pod: hostNetwork/hostPID/hostIPC, hostname/subdomain, securityContext.sysctls. */
  readonly spec: PodSpec;
  /**
   * Extra files bind-mounted into every container of the pod (read-only with readOnlyRootFilesystem,
   * as containerd mounts its sandbox files), e.g. /etc/resolv.conf that the agent writes. Key: path
   * in the container; value: host path.
   */
  readonly podFiles?: Readonly<Record<string, string>>;
  /**
   * The hostname of the pod's UTS namespace as the agent computed it (CRI PodSandboxConfig.hostname:
   * the FQDN with setHostnameAsFQDN). Absent: spec.hostname or the pod name (podHostname).
   */
  readonly hostname?: string;
  /**
   * The pod's sysctls by dotted name, as the agent's allowlist admitted them (CRI's
   * LinuxPodSandboxConfig.sysctls); the runtime still refuses one that is not namespaced. Absent:
   * the pod's own, against the safe list only.
   */
  readonly sysctls?: Readonly<Record<string, string>>;
}

export type SandboxState = 'ready' | 'notready';

export interface SandboxStatus {
  readonly id: string;
  readonly pod: PodRef;
  readonly state: SandboxState;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Host pid of the sandbox's pause process while it runs. */
  readonly pid?: number;
  /**
   * Namespace paths (e.g. /proc/<pid>/ns/net) the network plugin configures; absent for a namespace
   * the pod shares with the host (hostNetwork: no net path).
   */
  readonly namespaces: { readonly net?: string; readonly ipc?: string; readonly uts?: string };
  /**
   * The pod runs in the host's network namespace (spec.hostNetwork, as CRI's NamespaceMode NODE),
   * from the sandbox's own record: a missing net path alone does not say so.
   */
  readonly hostNetwork?: boolean;
}

/** What an image tells the runtime (OCI image config), after the image service has unpacked it. */
export interface ImageConfig {
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Env?: readonly string[] | null;
  readonly WorkingDir?: string;
  /** "uid", "uid:gid", "name" or "name:group"; empty means root. */
  readonly User?: string;
  /** The signal that asks the process to stop ("SIGQUIT", "3"); SIGTERM when unset. */
  readonly StopSignal?: string;
}

/** An image present on the node: content-addressed, its rootfs unpacked read-only. */
export interface ImageInfo {
  /** The reference the pod asked for (as in containerStatuses[].image). */
  readonly ref: string;
  /** sha256:... of the manifest (containerStatuses[].imageID is `<repo>@<digest>`). */
  readonly digest: string;
  readonly config: ImageConfig;
  /** Host path of the unpacked root filesystem; never written to (containers get their own copy). */
  readonly rootfs: string;
}

/** A volume or file the agent prepared on the host, mounted into one container. */
export interface MountSpec {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readOnly: boolean;
  /** mountPropagation: None (default) → rprivate, HostToContainer → rslave, Bidirectional → rshared. */
  readonly propagation?: 'None' | 'HostToContainer' | 'Bidirectional';
}

export interface ContainerConfig {
  readonly pod: PodRef;
  /** The whole pod spec: securityContext (pod level), hostPID, shareProcessNamespace. */
  readonly podSpec: PodSpec;
  /** The container as in the pod spec (command/args/securityContext/resources/workingDir/tty/stdin). */
  readonly container: Container;
  /** Restart attempt (the agent's restartCount at creation): names the log file <name>/<attempt>.log. */
  readonly attempt: number;
  readonly image: ImageInfo;
  /**
   * The container's environment in order, valueFrom/envFrom already resolved by the agent; the
   * runtime expands $(VAR) references in env values, command and args as upstream does.
   */
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly mounts: readonly MountSpec[];
}

/**
 * containerd's CRI exit reasons: Completed (0), Error, OOMKilled (the memory cgroup killed a process
 * of the container), StartError (the process never ran; exit code 128), Unknown (the exit status
 * was lost). The agent decides the rest (CrashLoopBackOff and the waiting reasons).
 */
export type ExitReason = 'Completed' | 'Error' | 'OOMKilled' | 'StartError' | 'Unknown';

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly pod: PodRef;
  readonly name: string;
  readonly attempt: number;
  readonly imageRef: string;
  readonly imageDigest: string;
  readonly state: ContainerState;
  /** ISO 8601 with nanoseconds where known (upstream's RFC3339 is seconds; the agent truncates). */
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Set once exited: the process's status, or 128+signal when a signal ended it. */
  readonly exitCode?: number;
  /** Set once exited: OOMKilled when the memory cgroup killed it, else Completed (0), Error or StartError. */
  readonly reason?: ExitReason;
  readonly message?: string;
  /** Host pid of the container's process while running. */
  readonly pid?: number;
  /** CRI log file: lines `<RFC3339Nano> stdout|stderr F|P <text>`, as `kubectl logs` reads. */
  readonly logPath: string;
}

/** A terminal's size in character cells (remotecommand's TerminalSize). */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

export interface ExecOptions {
  readonly argv: readonly string[];
  readonly tty: boolean;
  /** With tty: the client's terminal sizes (an object-mode stream of TerminalSize), applied as they come. */
  readonly resize?: Readable;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Ignored with tty (the terminal merges stderr into stdout, as upstream). */
  readonly stderr?: Writable;
  /** Ends the exec (SIGKILL to the exec'd process). */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly exitCode: number;
}

/** `kubectl attach`: the container's own process's streams, from now on. */
export interface AttachOptions {
  readonly tty: boolean;
  /** With tty: the client's terminal sizes (an object-mode stream of TerminalSize). */
  readonly resize?: Readable;
  /** Reaches the process's stdin when the container has one (spec stdin or tty); dropped otherwise. */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Ignored with tty (the terminal merges stderr into stdout). */
  readonly stderr?: Writable;
  /** Ends the attach (the client went away); the container keeps running. */
  readonly signal?: AbortSignal;
}

export interface ContainerRuntime {
  /** Starts the sandbox's pause process; returns its id (stable for the pod's life). */
  createSandbox(cfg: SandboxConfig): Promise<SandboxStatus>;
  /** Kills the pause process and every container of the sandbox still running (SIGKILL). Idempotent. */
  stopSandbox(id: string): Promise<void>;
  /** Removes a stopped sandbox's state; its containers must be removed first. Idempotent. */
  removeSandbox(id: string): Promise<void>;
  sandboxStatus(id: string): Promise<SandboxStatus | undefined>;

  /** Prepares the container (rootfs copy, OCI spec, log file) without starting it. */
  createContainer(sandboxId: string, cfg: ContainerConfig): Promise<ContainerStatus>;
  /** Starts a created container; resolves once its process runs. */
  startContainer(id: string): Promise<void>;
  /**
   * The image's StopSignal (SIGTERM when unset), then SIGKILL after gracePeriodSeconds; resolves
   * once the process has exited. 0 kills at once. Idempotent on an exited container.
   */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Removes an exited container: its process state, writable rootfs and log file. Idempotent. */
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;

  /**
   * The cpu and memory cgroup settings a container runs with now (CRI ContainerStatus.resources):
   * those it was created with, or the last update's; undefined for a container the runtime does not have.
   */
  containerResources(id: string): Promise<CgroupResources | undefined>;
  /** CRI UpdateContainerResources (in-place pod resize): new settings for a running container's own cgroup, no restart. */
  updateContainerResources(id: string, resources: CgroupResources): Promise<void>;
  /**
   * In-place pod resize: the pod's own cgroup (if the runtime makes one) limited for `spec`'s
   * resources, as the kubelet's SetPodCgroupConfig; nothing for a runtime without pod cgroups.
   */
  updatePodResources(sandboxId: string, spec: PodSpec): Promise<void>;

  /** Runs a process in a running container, as `kubectl exec`. */
  exec(id: string, opts: ExecOptions): Promise<ExecResult>;

  /** Joins a running container's stdio; resolves once its process has exited or the signal ended the attach. */
  attach(id: string, opts: AttachOptions): Promise<void>;

  /**
   * CPU and memory usage of a running container or sandbox (by id) from its cgroups, with the read
   * time; undefined when it does not run (the kubelet's resource metrics report running ones only).
   */
  usageStats(id: string): Promise<UsageStats | undefined>;

  /**
   * CPU and memory of the cgroup every container is placed under (the kubelet's "pods" system
   * container of /stats/summary) and when that cgroup was made; undefined when it is not there (yet).
   */
  podsUsageStats(): Promise<{ usage: UsageStats; startTime: Date } | undefined>;

  /**
   * CPU and memory of the pod's own cgroup (runc: pod-cgroups.ts), where everything the pod ran is
   * counted, exited containers and the pages they left included, as cadvisor reads a pod for the
   * kubelet; undefined when the pod has none (a sandbox from before pod cgroups, or a runtime without them).
   */
  podUsageStats?(uid: string): Promise<UsageStats | undefined>;

  /**
   * Where a container's writable layer is on the host (/stats/summary's container rootfs): the
   * overlay's upper directory, or the whole copy when the rootfs was copied; undefined for a
   * container the runtime does not have.
   */
  writableLayer(id: string): Promise<string | undefined>;

  /** Everything the runtime knows about on this node, for re-adoption after an agent restart. */
  list(): Promise<{ sandboxes: SandboxStatus[]; containers: ContainerStatus[] }>;
}

/** Pull policy and credentials come from the pod; the image service resolves and unpacks. */
export interface ImageService {
  /** The image if it is on the node already (by reference or digest), without any network access. */
  imageStatus(ref: string): Promise<ImageInfo | undefined>;
  /** Pulls (or finds) the image, verifying every blob against its digest; concurrent pulls share one. */
  pullImage(ref: string, auth?: { username: string; password: string }): Promise<ImageInfo>;
  /** Removes an image no container uses. */
  removeImage(digest: string): Promise<void>;
  /** KEP-2535's records of who pulled each image (image-pull-manager.ts); absent: every pod may use every image on the node. */
  pullManager?(): Promise<ImagePullManager>;
}
