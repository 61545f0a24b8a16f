/**
 * OCI runtime specs (config.json) for a pod's sandbox and its containers, built as the kubelet and
 * containerd's CRI plugin build them. Pure: the caller resolves the user from the image's files,
 * reads Localhost seccomp profiles, and knows the sandbox's namespace paths.
 */
import { posix } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { ALL_CAPS, ALLOWED_DEVICES, DEFAULT_CAPS, MASKED_PATHS, READONLY_PATHS, defaultMounts, type OciMount } from './oci-defaults.ts';
import { sandboxSysctls } from './sysctl-allowlist.ts';
import { containerResources, oomScoreAdj } from './cgroup-resources.ts';
import { effectiveSecurityContext, type ResolvedUser } from './image-user.ts';
import { expandEnv, processArgs, processEnv } from './process-args.ts';
import { seccompFor, type LinuxSeccomp } from './seccomp.ts';
import type { LinuxDevice } from './host-devices.ts';
import type { ContainerConfig, MountSpec, SandboxConfig, SandboxStatus } from './types.ts';

export const OCI_VERSION = '1.0.2-dev';

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: Array<{ type: string; path?: string }>;
    cgroupsPath: string;
    resources: Record<string, unknown>;
    sysctl?: Record<string, string>;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: LinuxSeccomp;
    devices?: LinuxDevice[];
  };
  annotations?: Record<string, string>;
}

/** The pod's hostname: spec.hostname or the pod name (the kubelet's GeneratePodHostNameAndDomain, truncated to 63). */
export function podHostname(name: string, spec: PodSpec): string {
  return (spec.hostname || name).slice(0, 63).replace(/[-.]+$/, '');
}

/** The pause process: new net/ipc/uts/pid namespaces unless the pod shares the host's; no capabilities. */
export function sandboxSpec(cfg: SandboxConfig, pause: { binary: string; args: string[] }, cgroupsPath: string, oomScoreAdjMin = -1000): OciSpec {
  const spec = cfg.spec;
  const namespaces: OciSpec['linux']['namespaces'] = [{ type: 'mount' }];
  if (!spec.hostPID) namespaces.push({ type: 'pid' });
  if (!spec.hostIPC) namespaces.push({ type: 'ipc' });
  if (!spec.hostNetwork) namespaces.push({ type: 'network' }, { type: 'uts' });
  const sysctl = sandboxSysctls(cfg);
  const out: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      // 65535 as the kubelet's pause image runs.
      user: { uid: 65535, gid: 65535 },
      args: pause.args,
      env: ['PATH=/'],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
      oomScoreAdj: Math.max(-998, oomScoreAdjMin),
    },
    root: { path: 'rootfs', readonly: true },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: pause.args[0] ?? '/pause', type: 'bind', source: pause.binary, options: ['rbind', 'ro', 'nosuid', 'nodev'] },
    ],
    linux: {
      namespaces,
      cgroupsPath,
      resources: { devices: ALLOWED_DEVICES, cpu: { shares: 2 } },
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
  if (!spec.hostNetwork) out.hostname = cfg.hostname ?? podHostname(cfg.pod.name, spec);
  if (Object.keys(sysctl).length > 0) out.linux.sysctl = sysctl;
  return out;
}

/** Go's filepath.Clean of an absolute path: no `.`, `..`, doubled or trailing slashes. */
function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.replace(/\/+$/, '') : n;
}

/**
 * containerd WithCapabilities: ALL first, then the individual adds and drops (CAP_ prefixed).
 * "ALL" and privileged mean every capability the agent itself has (containerd's cap.Current()).
 */
export function capabilities(c: Container, privileged: boolean, allCaps: readonly string[] = ALL_CAPS): string[] {
  if (privileged) return [...allCaps];
  const add = c.securityContext?.capabilities?.add ?? [];
  const drop = c.securityContext?.capabilities?.drop ?? [];
  const isAll = (s: string): boolean => s.toUpperCase() === 'ALL';
  let caps = new Set<string>(DEFAULT_CAPS);
  if (add.some(isAll)) caps = new Set(allCaps);
  if (drop.some(isAll)) caps = new Set();
  for (const a of add) if (!isAll(a)) caps.add(`CAP_${a.toUpperCase()}`);
  for (const d of drop) if (!isAll(d)) caps.delete(`CAP_${d.toUpperCase()}`);
  return [...caps];
}

const PROPAGATION = { None: 'rprivate', HostToContainer: 'rslave', Bidirectional: 'rshared' } as const;

function bindMount(m: MountSpec): OciMount {
  return { destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', PROPAGATION[m.propagation ?? 'None'], m.readOnly ? 'ro' : 'rw'] };
}

export interface ContainerSpecInput {
  cfg: ContainerConfig;
  sandbox: SandboxStatus;
  /** The pod's hostname (HOSTNAME env); the sandbox's UTS namespace carries it. */
  hostname: string;
  user: ResolvedUser;
  cgroupsPath: string;
  /**
   * Host files for every container of the pod (the sandbox's resolv.conf), mounted as containerd
   * mounts its sandbox files: read-only only with readOnlyRootFilesystem, not where the container
   * mounts something itself.
   */
  podFiles?: Readonly<Record<string, string>>;
  /** The pod's /dev/shm (a tmpfs of the sandbox, or the host's with hostIPC), shared by its containers. */
  shm?: string;
  /** An ephemeral container's target's host pid (ephemeral-target.ts): the container joins its PID namespace. */
  targetPid?: number;
  /** The agent's pod pids limit (--pod-max-pids), applied per container. */
  pidsLimit?: number;
  /** Node memory in bytes, for the burstable oom_score_adj. */
  memoryCapacity?: number;
  /** A Localhost seccomp profile's text, when the container asks for one and it exists. */
  seccompLocalhost?: string;
  /** The host's devices, given to a privileged container. */
  hostDevices?: readonly LinuxDevice[];
  /** The capabilities the agent holds (its bounding set): what ALL and privileged grant. */
  allCaps?: readonly string[];
  /**
   * The lowest oom_score_adj the agent may give (containerd's restrict_oom_score_adj): without
   * CAP_SYS_RESOURCE a process cannot go below its own, and runc would fail to start it.
   */
  oomScoreAdjMin?: number;
}

export function containerSpec(input: ContainerSpecInput): OciSpec {
  const { cfg, sandbox } = input;
  const c = cfg.container;
  const sc = effectiveSecurityContext(cfg.podSpec, c);
  const privileged = sc.privileged === true;
  const env = expandEnv(c, cfg.env);
  const caps = capabilities(c, privileged, input.allCaps);

  const namespaces: OciSpec['linux']['namespaces'] = [{ type: 'mount' }];
  if (cfg.podSpec.shareProcessNamespace && !cfg.podSpec.hostPID && sandbox.pid !== undefined) namespaces.push({ type: 'pid', path: `/proc/${sandbox.pid}/ns/pid` });
  else if (!cfg.podSpec.hostPID) namespaces.push(input.targetPid !== undefined ? { type: 'pid', path: `/proc/${input.targetPid}/ns/pid` } : { type: 'pid' });
  for (const [type, path] of [['ipc', sandbox.namespaces.ipc], ['uts', sandbox.namespaces.uts], ['network', sandbox.namespaces.net]] as const) {
    if (path) namespaces.push({ type, path });
  }

  const userMounts: OciMount[] = [];
  // containerd's isInCRIMounts and WithMounts compare filepath.Clean'ed paths: a volume at
  // /etc//resolv.conf replaces the sandbox's file rather than landing on top of it.
  const own = new Set(cfg.mounts.map((m) => cleanPath(m.containerPath)));
  for (const [dst, src] of Object.entries(input.podFiles ?? {})) if (!own.has(cleanPath(dst))) userMounts.push({ destination: dst, type: 'bind', source: src, options: ['rbind', 'rprivate', sc.readOnlyRootFilesystem === true ? 'ro' : 'rw'] });
  if (input.shm) userMounts.push({ destination: '/dev/shm', type: 'bind', source: input.shm, options: ['rbind', 'rprivate', 'rw'] });
  for (const m of cfg.mounts) userMounts.push(bindMount(m));
  const taken = new Set(userMounts.map((m) => cleanPath(m.destination)));
  // Parents before children, as containerd sorts them, so a volume at /a/b is not hidden by one at /a.
  const mounts = [...defaultMounts(privileged).filter((m) => !taken.has(cleanPath(m.destination))), ...userMounts.sort((a, b) => depth(a.destination) - depth(b.destination))];

  const resources: Record<string, unknown> = {
    devices: privileged ? [{ allow: true, access: 'rwm' }] : ALLOWED_DEVICES,
    ...containerResources(c, input.pidsLimit),
  };

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: c.tty === true,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args: processArgs(c, cfg.image.config, env),
      env: processEnv(cfg.image.config, input.hostname, env),
      cwd: c.workingDir || cfg.image.config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // The kubelet asks for no_new_privs only when allowPrivilegeEscalation is false.
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
    },
    root: { path: 'rootfs', readonly: sc.readOnlyRootFilesystem === true },
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      // procMount Unmasked and privileged containers get /proc as is.
      maskedPaths: privileged || sc.procMount === 'Unmasked' ? [] : [...MASKED_PATHS],
      readonlyPaths: privileged || sc.procMount === 'Unmasked' ? [] : [...READONLY_PATHS],
    },
  };
  if (privileged && input.hostDevices?.length) spec.linux.devices = [...input.hostDevices];
  if (input.memoryCapacity) spec.process.oomScoreAdj = Math.max(oomScoreAdj(cfg.podSpec, c, input.memoryCapacity), input.oomScoreAdjMin ?? -1000);
  const seccomp = seccompFor(sc.seccompProfile, privileged, caps, input.seccompLocalhost);
  if (seccomp) spec.linux.seccomp = seccomp;
  return spec;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}
