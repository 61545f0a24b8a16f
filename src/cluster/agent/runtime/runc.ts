/**
 * ContainerRuntime on Debian's runc. Layout under the state root:
 *   runc/                       runc's own state (--root), apart from any other runc user
 *   sandboxes/<id>/             meta.json, shm/ (the pod's /dev/shm); with a pause container
 *                               (shareProcessNamespace) bundle/ and shim files
 * and the pod's namespaces bind-mounted on {net,ipc,uts} in <podNamespaceRoot>/<id>/, below one
 * shared mount for the node (pod-namespaces.ts), unless a pause container holds them.
 *   containers/<id>/            meta.json, bundle/ (config.json, overlay rootfs), upper/, work/,
 *                               stdout + stderr FIFOs, shim files (shim.pid, pid, exit, oom, runc.log)
 *   logs/<ns>_<pod>_<uid>/<container>/<attempt>.log   CRI-format logs (the kubelet's layout)
 * Every process runs under a detached shim (shim.ts), so containers and their logs outlive the
 * agent; list() on a new instance finds them and re-attaches the log relays.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { containerSpec, podHostname, sandboxSpec } from './oci-spec.ts';
import { sandboxSysctls } from './sysctl-allowlist.ts';
import { effectiveSecurityContext, imageUser, resolveUser, verifyRunAsNonRoot } from './image-user.ts';
import { hostDevices } from './host-devices.ts';
import { capsFromMask } from './oci-defaults.ts';
import { openLogRelay, type LogRelay, type LogRotation } from './log-relay.ts';
import { LogDrain } from './log-drain.ts';
import { prepareRootfs, releaseRootfs, rootfsKind } from './rootfs.ts';
import { createPodNamespaces, ensureSharedRoot, legacySandboxMounts, POD_NAMESPACE_ROOT, podNamespaceFiles, podNamespacesHeld, sandboxMounts, unmountAll, unmountByTable } from './pod-namespaces.ts';
import { isSignal, runcDelete, runcKill, type RuncCli } from './runc-cli.ts';
import { exists, spawnShim, waitExited, waitStarted } from './shim.ts';
import { Launcher } from './launcher.ts';
import { containerStatusFromFiles, readMeta, readPid, readText, runcLogError, writeJsonAtomic, type ContainerMeta, type SandboxMeta } from './state-files.ts';
import { runcExec } from './runc-exec.ts';
import { attachStreams } from './runc-attach.ts';
import { closeStdinOnce, markStdinOnce, stdinOnceClosed } from './stdin-once.ts';
import { ephemeralTargetPid } from './ephemeral-target.ts';
import { parentCgroup } from './cgroup-path.ts';
import { CgroupLayout, podCgroupConfig, podCgroupPath, removeCgroup, updateQosCgroups, applyCgroupConfig } from './pod-cgroups.ts';
import { cgroupMadeAt, readCgroupStats, readProcessStats, type UsageStats } from './cgroup-stats.ts';
import type { AttachOptions, ContainerConfig, ContainerRuntime, ContainerStatus, ExecOptions, ExecResult, SandboxConfig, SandboxStatus } from './types.ts';
import type { CgroupResources } from './cgroup-resources.ts';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { readContainerResources, updateContainerResources } from './runc-update.ts';

/** The cgroup containers are placed under by default (cgroup-path.ts): the kubelet's kubepods. */
export const DEFAULT_CGROUP_PARENT = 'portcullis';

export interface RuncRuntimeOptions {
  stateRoot: string;
  /** Default: runc on PATH or in /usr/sbin. */
  runcBinary?: string;
  /** A static binary that can `sleep` (busybox); bind-mounted into each sandbox. Default /bin/busybox. */
  pauseBinary?: string;
  /** Container cgroups go under this path, relative to the agent's own cgroup. Default "portcullis". */
  cgroupParent?: string;
  /** Directory of Localhost seccomp profiles (the kubelet's <root-dir>/seccomp). */
  seccompRoot?: string;
  /** --pod-max-pids, applied per container and to the pod's cgroup. */
  pidsLimit?: number;
  /** Node memory in bytes, for oom_score_adj by QoS. */
  memoryCapacity?: number;
  now?: () => Date;
  randomId?: () => string;
  /** How long runc may take to start a process. Default 30 s. */
  startTimeoutMs?: number;
  /** Container log rotation; default the kubelet's 10 MiB x 5 files. */
  logRotation?: LogRotation;
  /** The shared mount below which the pods' namespace files are (pod-namespaces.ts). Default POD_NAMESPACE_ROOT. */
  podNamespaceRoot?: string;
  /** How long an exited container's status waits for its output to reach the log (log-drain.ts). Default 2 s. */
  logDrainTimeoutMs?: number;
}

export class RuncRuntime implements ContainerRuntime {
  private readonly cli: RuncCli;
  private readonly root: string;
  private readonly pause: string;
  private readonly cgroupParent: string;
  private readonly now: () => Date;
  private readonly randomId: () => string;
  private readonly relays = new Map<string, Promise<LogRelay>>();
  private readonly drain: LogDrain;
  private readonly metas = new Map<string, SandboxMeta | ContainerMeta>();
  /** Starts shims and rootfs preparation from a small process (a spawn from the agent forks all of it). */
  private readonly launcher = new Launcher();
  private readonly opts: RuncRuntimeOptions;
  /** What the agent process itself is (its cgroup, capabilities, oom_score_adj floor): read once, not per container. */
  private layout?: Promise<CgroupLayout>;
  /** QoS cgroup updates, one after another (each writes the sum it read). */
  private qosUpdate?: Promise<void>;
  private self?: { caps: string[]; oomFloor: number };
  /** The shared mount of the namespace files, made (or found) once per runtime: at the first sandbox that needs it. */
  private sharedRoot?: Promise<void>;
  /** Where the containers' parent cgroup is (read once). */
  private podsCgroup?: Promise<{ cpuacct?: string; memory?: string; unified?: string }>;

  constructor(opts: RuncRuntimeOptions) {
    this.opts = opts;
    this.drain = new LogDrain(opts.logDrainTimeoutMs);
    this.root = resolve(opts.stateRoot);
    this.cli = { binary: opts.runcBinary ?? 'runc', root: join(this.root, 'runc'), launcher: this.launcher };
    // Started with the runtime: the first pod does not wait for it.
    this.launcher.start();
    this.pause = opts.pauseBinary ?? '/bin/busybox';
    this.cgroupParent = opts.cgroupParent ?? DEFAULT_CGROUP_PARENT;
    this.now = opts.now ?? (() => new Date());
    this.randomId = opts.randomId ?? (() => randomBytes(16).toString('hex'));
  }

  /**
   * A sandbox's or container's meta.json, written once at creation and never changed: kept per
   * directory after the first read (a status then costs one check that it is still there instead
   * of reading and parsing it: the relist reads every status each second). Dropped with the
   * directory; bounded by the sandboxes and containers on disk.
   */
  private async meta<T extends SandboxMeta | ContainerMeta>(dir: string): Promise<T | undefined> {
    const known = this.metas.get(dir);
    if (known) {
      if (await exists(join(dir, 'meta.json'))) return known as T;
      this.metas.delete(dir);
      return undefined;
    }
    const meta = await readMeta<T>(dir);
    if (meta) this.metas.set(dir, meta);
    return meta;
  }

  private sandboxDir(id: string): string {
    return join(this.root, 'sandboxes', safeId(id));
  }

  /** Where a files sandbox's namespace files are: below the shared root, or (made before it) in its own ns/. */
  private nsDir(dir: string, meta: SandboxMeta): string {
    return meta.namespaceDir ?? join(dir, 'ns');
  }

  /** The shared root, once; a failure is not kept (the next sandbox tries again). */
  private ensureSharedRoot(root: string): Promise<void> {
    this.sharedRoot ??= ensureSharedRoot(this.launcher, root).catch((err: unknown) => {
      this.sharedRoot = undefined;
      throw err;
    });
    return this.sharedRoot;
  }

  private containerDir(id: string): string {
    return join(this.root, 'containers', safeId(id));
  }

  async createSandbox(cfg: SandboxConfig): Promise<SandboxStatus> {
    const id = this.randomId();
    const dir = this.sandboxDir(id);
    // Only a shared PID namespace needs a process to hold it (its init): the pause container.
    const pause = cfg.spec.shareProcessNamespace === true && cfg.spec.hostPID !== true;
    const sysctls = sandboxSysctls(cfg);
    mkdirSync(pause ? join(dir, 'bundle', 'rootfs') : dir, { recursive: true });
    mkdirSync(this.cli.root, { recursive: true });
    const nsRoot = this.opts.podNamespaceRoot ?? POD_NAMESPACE_ROOT;
    try {
      const podCgroup = await this.ensurePodCgroup(cfg);
      const meta: SandboxMeta = {
        kind: 'sandbox', id, pod: cfg.pod, createdAt: this.now().toISOString(), hostname: cfg.hostname ?? podHostname(cfg.pod.name, cfg.spec),
        hostNetwork: cfg.spec.hostNetwork === true, hostIPC: cfg.spec.hostIPC === true, podFiles: { ...(cfg.podFiles ?? {}) },
        shm: cfg.spec.hostIPC ? '/dev/shm' : join(dir, 'shm'),
        ...(pause ? {} : { holder: 'files' as const, namespaceDir: join(nsRoot, safeId(id)) }),
        podCgroup,
      };
      await writeJsonAtomic(join(dir, 'meta.json'), meta);
      // One /dev/shm per pod, as its IPC namespace is one: containerd's sandbox shm (64 MiB tmpfs).
      const shm = cfg.spec.hostIPC ? undefined : meta.shm;
      if (pause) {
        const { cgroupsPath } = await this.cgroupPlacement(podCgroup.path, id);
        const spec = sandboxSpec(cfg, { binary: this.pause, args: ['/busybox', 'sleep', '2147483647'] }, cgroupsPath, this.selfProcess().oomFloor);
        writeFileSync(join(dir, 'bundle', 'config.json'), JSON.stringify(spec));
        await this.launch(dir, id, '', { stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null', ...(shm ? { shm } : {}) });
      } else {
        const files = podNamespaceFiles(this.nsDir(dir, meta), meta.hostNetwork, meta.hostIPC);
        if (Object.keys(files).length > 0) await this.ensureSharedRoot(nsRoot);
        await createPodNamespaces(this.launcher, { files, hostname: meta.hostname, sysctls, ...(shm ? { shm } : {}) });
      }
      const status = await this.sandboxStatus(id);
      if (!status) throw new Error(`sandbox ${id} vanished while starting`);
      return status;
    } catch (err) {
      if (pause) await runcDelete(this.cli, id).catch(() => undefined);
      const meta = await this.meta<SandboxMeta>(dir);
      await this.releaseSandboxMounts(dir, meta).catch(() => undefined);
      this.metas.delete(dir);
      await rm(dir, { recursive: true, force: true });
      // Also one half made (a limit that could not be written), unless another sandbox of the pod has it.
      const { qos } = podCgroupConfig(cfg.spec);
      await this.releasePodCgroup(cfg.pod.uid, meta?.podCgroup?.path ?? podCgroupPath(qos, cfg.pod.uid)).catch(() => undefined);
      // Counted in burstable's shares when its cgroup was made: no longer.
      if (qos === 'Burstable') await this.updateQosCgroups();
      throw err;
    }
  }

  /**
   * Unmounts the pod's namespace files and its /dev/shm tmpfs (never the host's /dev/shm), known
   * mounted by their devices, and removes the files' directory. A sandbox made before the shared
   * root (or without a meta.json) also had its ns/ bound on itself, which only the mount table shows.
   */
  private async releaseSandboxMounts(dir: string, meta: SandboxMeta | undefined): Promise<void> {
    if (meta?.namespaceDir) {
      await unmountAll(this.launcher, sandboxMounts(dir, meta.namespaceDir));
      await rm(meta.namespaceDir, { recursive: true, force: true });
    } else if (meta && meta.holder !== 'files') {
      await unmountAll(this.launcher, [join(dir, 'shm')]);
    } else {
      await unmountByTable(this.launcher, legacySandboxMounts(dir));
    }
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    const dir = this.sandboxDir(id);
    const meta = await this.meta<SandboxMeta>(dir);
    if (!meta) return undefined;
    if (meta.holder === 'files') {
      const files = podNamespaceFiles(this.nsDir(dir, meta), meta.hostNetwork, meta.hostIPC);
      const ready = !(await exists(join(dir, 'exit'))) && podNamespacesHeld(files);
      return { id, pod: meta.pod, state: ready ? 'ready' : 'notready', createdAt: meta.createdAt, namespaces: ready ? files : {}, hostNetwork: meta.hostNetwork };
    }
    const pid = await readPid(dir);
    const ready = pid !== undefined && !(await exists(join(dir, 'exit')));
    const ns = (kind: string) => (ready ? `/proc/${pid}/ns/${kind}` : undefined);
    return {
      id, pod: meta.pod, state: ready ? 'ready' : 'notready', createdAt: meta.createdAt,
      ...(ready ? { pid } : {}),
      namespaces: {
        ...(meta.hostNetwork ? {} : { net: ns('net'), uts: ns('uts') }),
        ...(meta.hostIPC ? {} : { ipc: ns('ipc') }),
      },
      hostNetwork: meta.hostNetwork,
    };
  }

  async stopSandbox(id: string): Promise<void> {
    for (const c of await this.containersOf(id)) await this.stopContainer(c, 0);
    const dir = this.sandboxDir(id);
    const meta = await this.meta<SandboxMeta>(dir);
    if (!meta) return;
    if (!(await exists(join(dir, 'exit')))) {
      if (meta.holder === 'files') {
        // The namespaces end with their mounts (no container is left in them); `exit` marks the sandbox stopped.
        await unmountAll(this.launcher, Object.values(podNamespaceFiles(this.nsDir(dir, meta), meta.hostNetwork, meta.hostIPC)));
        await writeFile(join(dir, 'exit'), '0\n');
      } else {
        await runcKill(this.cli, id, 'KILL');
        if (!(await waitExited(dir, 10_000))) throw new Error(`sandbox ${id} did not exit after SIGKILL`);
      }
    }
    // The pod's /dev/shm goes with it, as containerd's StopPodSandbox unmounts the sandbox's shm: a
    // finished or evicted pod's sandbox is kept until the pod is deleted, and its tmpfs held up to
    // 64 MiB of the node's memory that no pod's measure counts. Still mounted (busy): removal retries.
    if (!meta.hostIPC) await unmountAll(this.launcher, [join(dir, 'shm')]).catch(() => undefined);
    // A stopped pod no longer counts in burstable's shares (the kubelet's active pods).
    if (meta.podCgroup?.qos === 'Burstable') await this.updateQosCgroups();
  }

  async removeSandbox(id: string): Promise<void> {
    // Containers left behind are removed with it rather than leaked.
    for (const c of await this.containersOf(id)) await this.removeContainer(c);
    const dir = this.sandboxDir(id);
    const meta = await this.meta<SandboxMeta>(dir);
    // A files sandbox is not stopped first: that would unmount its namespace files on their own,
    // one more umount than the single one below.
    if (meta?.holder !== 'files') {
      await this.stopSandbox(id);
      await runcDelete(this.cli, id);
    }
    await this.releaseSandboxMounts(dir, meta);
    // The pod's cgroup goes with its last sandbox, before the sandbox's state: a failure leaves
    // the sandbox there for the next removal to try again.
    if (meta) await this.releasePodCgroup(meta.pod.uid, meta.podCgroup?.path, id);
    this.metas.delete(dir);
    await rm(this.sandboxDir(id), { recursive: true, force: true });
    if (meta?.podCgroup?.qos === 'Burstable') await this.updateQosCgroups();
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<ContainerStatus> {
    const sandboxMeta = await this.meta<SandboxMeta>(this.sandboxDir(sandboxId));
    const sandbox = await this.sandboxStatus(sandboxId);
    if (!sandboxMeta || !sandbox || sandbox.state !== 'ready') throw new Error(`sandbox ${sandboxId} is not ready`);
    verifyRunAsNonRoot(cfg.pod, cfg.podSpec, cfg.container, imageUser(cfg.image.config.User));
    const [passwd, group] = [readText(join(cfg.image.rootfs, 'etc/passwd')), readText(join(cfg.image.rootfs, 'etc/group'))];
    const user = resolveUser(cfg.podSpec, cfg.container, cfg.image.config.User, passwd, group);
    const seccompLocalhost = await this.localhostProfile(cfg);
    const targetPid = await ephemeralTargetPid(cfg, async () => Promise.all((await this.containersOf(sandboxId)).map((c) => this.containerStatus(c))));
    if (cfg.image.config.StopSignal !== undefined && !isSignal(cfg.image.config.StopSignal)) throw new Error(`the image's StopSignal ${JSON.stringify(cfg.image.config.StopSignal)} is not a signal`);

    const id = this.randomId();
    const dir = this.containerDir(id);
    // Under the pod's cgroup; a sandbox made before there were pod cgroups keeps its pod's containers flat under the parent.
    const { cgroupsPath, memcg } = await this.cgroupPlacement(sandboxMeta.podCgroup?.path ?? '', id);
    mkdirSync(dir, { recursive: true });
    try {
      const rootfs = await prepareRootfs(this.launcher, cfg.image.rootfs, dir, [join(dir, 'stdout'), join(dir, 'stderr'), ...(cfg.container.tty || cfg.container.stdin ? [join(dir, 'stdin')] : [])]);
      const spec = containerSpec({
        cfg, sandbox, hostname: sandboxMeta.hostname, user, cgroupsPath, podFiles: sandboxMeta.podFiles, shm: sandboxMeta.shm,
        pidsLimit: this.opts.pidsLimit, memoryCapacity: this.opts.memoryCapacity, seccompLocalhost, targetPid, oomScoreAdjMin: this.selfProcess().oomFloor,
        ...(effectiveSecurityContext(cfg.podSpec, cfg.container).privileged ? { hostDevices: await hostDevices() } : {}),
        allCaps: this.selfProcess().caps,
      });
      writeFileSync(join(dir, 'bundle', 'config.json'), JSON.stringify(spec));
      const logPath = this.logPath(cfg);
      mkdirSync(join(logPath, '..'), { recursive: true });
      const meta: ContainerMeta = {
        kind: 'container', id, sandboxId, pod: cfg.pod, name: cfg.container.name, attempt: cfg.attempt,
        imageRef: cfg.image.ref, imageDigest: cfg.image.digest, createdAt: this.now().toISOString(), logPath,
        rootfsKind: rootfs.kind, memcg, tty: cfg.container.tty === true, stdin: cfg.container.stdin === true,
        // containerd closes stdin after the first attach only without a terminal.
        ...(cfg.container.stdin === true && cfg.container.stdinOnce === true && cfg.container.tty !== true ? { stdinOnce: true } : {}),
        ...(cfg.image.config.StopSignal ? { stopSignal: cfg.image.config.StopSignal } : {}),
      };
      await writeJsonAtomic(join(dir, 'meta.json'), meta);
      return await containerStatusFromFiles(dir, meta);
    } catch (err) {
      await releaseRootfs(dir).catch(() => undefined);
      this.metas.delete(dir);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async startContainer(id: string): Promise<void> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    if (!meta) throw new Error(`container ${id} not found`);
    if ((await exists(join(dir, 'shim.pid'))) || (await exists(join(dir, 'exit')))) throw new Error(`container ${id} was already started`);
    await this.attachRelay(id, dir, meta);
    if (meta.stdinOnce) await markStdinOnce(dir);
    await this.launch(dir, id, meta.memcg, { stdin: meta.tty || meta.stdin ? join(dir, 'stdin') : '/dev/null', stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr'), terminal: meta.tty === true });
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    const status = await this.containerStatus(id);
    if (!meta || !status || status.state !== 'running') return;
    if (gracePeriodSeconds > 0) {
      await runcKill(this.cli, id, meta.stopSignal ?? 'TERM');
      if (await waitExited(dir, gracePeriodSeconds * 1000)) return;
    }
    await runcKill(this.cli, id, 'KILL');
    if (!(await waitExited(dir, 10_000))) throw new Error(`container ${id} did not exit after SIGKILL`);
  }

  async removeContainer(id: string): Promise<void> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    await this.stopContainer(id, 0);
    void this.relays.get(id)?.then((r) => r.close(), () => undefined);
    this.relays.delete(id);
    this.drain.forget(id);
    await runcDelete(this.cli, id);
    await releaseRootfs(dir);
    this.metas.delete(dir);
    await rm(dir, { recursive: true, force: true });
    if (meta) await rm(meta.logPath, { force: true });
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    if (!meta) return undefined;
    const status = await containerStatusFromFiles(dir, meta);
    // A relay that cannot open (FIFOs gone) costs the logs, not the status.
    if (status.state === 'running') await this.attachRelay(id, dir, meta).catch(() => undefined);
    // Exited: reported once its output is in the log, as containerd's task.Delete waits for the IO.
    else if (status.state === 'exited') await this.drain.wait(id, this.relays.get(id));
    return status;
  }

  async containerResources(id: string): Promise<CgroupResources | undefined> {
    return readContainerResources(this.containerDir(id));
  }

  async updatePodResources(sandboxId: string, spec: PodSpec): Promise<void> {
    const dir = this.sandboxDir(sandboxId);
    const meta = await this.meta<SandboxMeta>(dir);
    // A sandbox from before pod cgroups has its containers flat under the parent: nothing above them.
    if (!meta?.podCgroup) return;
    const { qos: _qos, cpuRequestMilli, ...limits } = podCgroupConfig(spec, this.opts.pidsLimit);
    await applyCgroupConfig(await this.cgroupLayout(), meta.podCgroup.path, limits);
    if (cpuRequestMilli === meta.podCgroup.cpuRequestMilli) return;
    // The burstable tier's shares follow the resized request (UpdateCgroups sums the pods' allocated
    // requests): kept in the meta, the one field ever rewritten, so a restarted runtime sums it too.
    const next: SandboxMeta = { ...meta, podCgroup: { ...meta.podCgroup, cpuRequestMilli } };
    await writeJsonAtomic(join(dir, 'meta.json'), next);
    this.metas.set(dir, next);
    if (next.podCgroup!.qos === 'Burstable') await this.updateQosCgroups();
  }

  async updateContainerResources(id: string, resources: CgroupResources): Promise<void> {
    const status = await this.containerStatus(id);
    if (!status || status.state !== 'running') throw new Error(`container ${id} is not running`);
    await updateContainerResources(this.cli, this.containerDir(id), id, resources);
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    const status = await this.containerStatus(id);
    if (!status || status.state !== 'running') throw new Error(`container ${id} is not running`);
    return runcExec(this.cli, id, this.containerDir(id), opts);
  }

  async attach(id: string, opts: AttachOptions): Promise<void> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    const status = await this.containerStatus(id);
    const relay = await this.relays.get(id);
    if (!meta || !status || status.state !== 'running' || !relay) throw new Error(`container ${id} is not running`);
    const shimPid = Number(readText(join(dir, 'shim.pid'))?.trim()) || undefined;
    const stdin = meta.tty || meta.stdin ? join(dir, 'stdin') : undefined;
    if (!meta.stdinOnce) return attachStreams(relay, stdin, opts, shimPid);
    // stdinOnce: the first attach with input closes the container's stdin when that input ends.
    if (await stdinOnceClosed(dir)) return attachStreams(relay, undefined, opts, shimPid);
    return attachStreams(relay, stdin, opts, shimPid, () => closeStdinOnce(dir));
  }

  async usageStats(id: string): Promise<UsageStats | undefined> {
    const c = (await this.containerStatus(id)) ?? (await this.sandboxStatus(id));
    if (!c?.pid || ('state' in c && c.state !== 'running' && c.state !== 'ready')) return undefined;
    return readProcessStats(c.pid, { now: this.now });
  }

  async podsUsageStats(): Promise<{ usage: UsageStats; startTime: Date } | undefined> {
    this.podsCgroup ??= parentCgroup(this.cgroupParent);
    const cg = await this.podsCgroup;
    const [usage, made] = await Promise.all([readCgroupStats(cg, { now: this.now }), cgroupMadeAt(cg)]);
    return usage && { usage, startTime: made ?? usage.timestamp };
  }

  async podUsageStats(uid: string): Promise<UsageStats | undefined> {
    // From the sandboxes' metas already read (each relist reads them all), not a file per sandbox
    // for every pod of a scrape; the directory only for a pod none of them is of.
    const ofPod = (metas: Iterable<SandboxMeta | ContainerMeta | undefined>) => [...metas].filter((m): m is SandboxMeta => m?.kind === 'sandbox' && m.pod.uid === uid);
    let sandboxes = ofPod(this.metas.values());
    if (!sandboxes.length) sandboxes = ofPod(await Promise.all((await listDir(join(this.root, 'sandboxes'))).map((sid) => this.meta<SandboxMeta>(this.sandboxDir(sid)).catch(() => undefined))));
    const path = sandboxes.find((m) => m.podCgroup)?.podCgroup?.path;
    return path === undefined ? undefined : readCgroupStats((await this.cgroupLayout()).statsPaths(path), { now: this.now });
  }

  async writableLayer(id: string): Promise<string | undefined> {
    const dir = this.containerDir(id);
    const meta = await this.meta<ContainerMeta>(dir);
    if (!meta) return undefined;
    // Made before the kind was recorded: an overlay is a mount of its own (another device).
    const kind = meta.rootfsKind ?? (await rootfsKind(dir));
    return kind === 'overlay' ? join(dir, 'upper') : join(dir, 'bundle', 'rootfs');
  }

  async list(): Promise<{ sandboxes: SandboxStatus[]; containers: ContainerStatus[] }> {
    // The agent's first relist is its start: the QoS cgroups are made (or brought up to date) then,
    // as the kubelet's qosContainerManager.Start, not only at the first new pod.
    if (!this.qosUpdate) await this.updateQosCgroups();
    // All at once: the reads wait on the file system's threads, not on each other.
    const [sandboxes, containers] = await Promise.all([
      listDir(join(this.root, 'sandboxes')).then((ids) => Promise.all(ids.map((id) => this.sandboxStatus(id)))),
      listDir(join(this.root, 'containers')).then((ids) => Promise.all(ids.map((id) => this.containerStatus(id)))),
    ]);
    return { sandboxes: sandboxes.filter((s) => s !== undefined), containers: containers.filter((c) => c !== undefined) };
  }

  /** Stops reading container output (the agent is exiting); containers keep running. */
  close(): void {
    for (const r of this.relays.values()) void r.then((relay) => relay.close(), () => undefined);
    this.relays.clear();
    this.launcher.close();
  }

  /**
   * The ids of a sandbox's containers, told by their meta alone (kept in memory): not the status
   * of every container on the node, which a full list() reads, for each sandbox stopped or removed.
   */
  private async containersOf(sandboxId: string): Promise<string[]> {
    const ids = await listDir(join(this.root, 'containers'));
    const metas = await Promise.all(ids.map((cid) => this.meta<ContainerMeta>(this.containerDir(cid)).catch(() => undefined)));
    return ids.filter((_, i) => metas[i]?.sandboxId === sandboxId);
  }

  private async attachRelay(id: string, dir: string, meta: ContainerMeta): Promise<void> {
    if (this.relays.has(id)) return;
    const pending = openLogRelay({ stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') }, meta.logPath, this.now, this.opts.logRotation);
    this.relays.set(id, pending);
    pending.catch(() => {
      if (this.relays.get(id) === pending) this.relays.delete(id);
    });
    const relay = await pending;
    void relay.done.then(() => {
      if (this.relays.get(id) === pending) this.relays.delete(id);
    });
  }

  private async launch(dir: string, id: string, memcg: string, io: { stdin: string; stdout: string; stderr: string; terminal?: boolean; shm?: string }): Promise<void> {
    await spawnShim(this.cli, { dir, id, memcg, ...io }, this.launcher);
    const started = await waitStarted(dir, this.opts.startTimeoutMs ?? 30_000);
    if (started === 'exited') throw new Error(`failed to start ${id}: ${(await runcLogError(dir)) ?? (await shimSetupError(dir)) ?? 'runc exited before the process ran'}`);
    if (started === 'timeout') throw new Error(`failed to start ${id}: runc did not start the process in time`);
  }

  /** kubelet: the Localhost profile path is relative to <root-dir>/seccomp and may not leave it. */
  private async localhostProfile(cfg: ContainerConfig): Promise<string | undefined> {
    const p = cfg.container.securityContext?.seccompProfile ?? cfg.podSpec.securityContext?.seccompProfile;
    if (p?.type !== 'Localhost') return undefined;
    if (!this.opts.seccompRoot || !p.localhostProfile) return undefined;
    const base = resolve(this.opts.seccompRoot);
    const file = resolve(base, p.localhostProfile);
    if (!file.startsWith(base + sep)) return undefined;
    return readText(file);
  }

  /** The host's cgroup layout around the pods' parent, read once (a failed read is not kept: the next use tries again). */
  private cgroupLayout(): Promise<CgroupLayout> {
    if (!this.layout) {
      const layout = CgroupLayout.read(this.cgroupParent);
      this.layout = layout;
      layout.catch(() => {
        if (this.layout === layout) this.layout = undefined;
      });
    }
    return this.layout;
  }

  /** A container's (or pause process's) cgroup under `podCgroup` (relative to the parent; '' for flat). */
  private async cgroupPlacement(podCgroup: string, id: string): Promise<{ cgroupsPath: string; memcg: string }> {
    return (await this.cgroupLayout()).placement(podCgroup, id);
  }

  /**
   * The pod's cgroup, made before its first container (podContainerManager.EnsureExists): under its
   * QoS tier, limited by ResourceConfigForPod and the pod PID limit. Made again (same values) for
   * another sandbox of the same pod.
   */
  private async ensurePodCgroup(cfg: SandboxConfig): Promise<NonNullable<SandboxMeta['podCgroup']>> {
    const { qos, cpuRequestMilli, ...limits } = podCgroupConfig(cfg.spec, this.opts.pidsLimit);
    const path = podCgroupPath(qos, cfg.pod.uid);
    const layout = await this.cgroupLayout();
    // The tiers first, the new pod counted (UpdateQOSCgroups before EnsureExists, active pods
    // including it); only a Burstable pod changes them, once they are made.
    if (qos === 'Burstable' || !this.qosUpdate) await this.updateQosCgroups(qos === 'Burstable' ? { uid: cfg.pod.uid, cpuRequestMilli } : undefined);
    await applyCgroupConfig(layout, path, limits);
    return { path, qos, cpuRequestMilli };
  }

  /** Removes the pod's cgroup unless another sandbox of the pod (other than `except`) still has it. */
  private async releasePodCgroup(uid: string, path: string | undefined, except?: string): Promise<void> {
    if (!path) return;
    for (const sid of await listDir(join(this.root, 'sandboxes'))) {
      if (sid === except) continue;
      const m = await this.meta<SandboxMeta>(this.sandboxDir(sid)).catch(() => undefined);
      if (m?.pod.uid === uid && m.podCgroup?.path === path) return;
    }
    await removeCgroup(await this.cgroupLayout(), path);
  }

  /**
   * burstable/ to the shares of its active pods' cpu requests and besteffort/ to 2 (the kubelet's
   * UpdateCgroups), active being a sandbox not stopped, and `starting` (a pod whose sandbox is being
   * made). Failures are not the pod's: the next update tries again (the kubelet logs them and
   * retries each minute).
   */
  private updateQosCgroups(starting?: { uid: string; cpuRequestMilli: number }): Promise<void> {
    const run = async () => {
      const requests = new Map<string, number>(starting ? [[starting.uid, starting.cpuRequestMilli]] : []);
      for (const sid of await listDir(join(this.root, 'sandboxes'))) {
        const dir = this.sandboxDir(sid);
        const m = await this.meta<SandboxMeta>(dir).catch(() => undefined);
        if (m?.podCgroup?.qos === 'Burstable' && !(await exists(join(dir, 'exit')))) requests.set(m.pod.uid, m.podCgroup.cpuRequestMilli);
      }
      await updateQosCgroups(await this.cgroupLayout(), requests.values());
    };
    const next = (this.qosUpdate ?? Promise.resolve()).then(run).catch(() => undefined);
    this.qosUpdate = next;
    return next;
  }

  private selfProcess(): { caps: string[]; oomFloor: number } {
    return (this.self ??= { caps: ownBoundingCaps(), oomFloor: oomScoreAdjFloor() });
  }

  private logPath(cfg: ContainerConfig): string {
    const podDir = `${cfg.pod.namespace}_${cfg.pod.name}_${cfg.pod.uid}`;
    return join(this.root, 'logs', safeId(podDir), safeId(cfg.container.name), `${cfg.attempt}.log`);
  }
}

/** Ids and names become path segments: refuse anything that could leave the directory. */
function safeId(id: string): string {
  if (!id || id.includes('/') || id === '.' || id === '..' || id.includes('\0')) throw new Error(`invalid id ${JSON.stringify(id)}`);
  return id;
}

/** Our bounding set: runc cannot give a container a capability the agent lacks. */
function ownBoundingCaps(): string[] {
  const status = readText('/proc/self/status') ?? '';
  return capsFromMask(/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '');
}

/** -1000 with CAP_SYS_RESOURCE; else our own oom_score_adj, below which no child may go. */
function oomScoreAdjFloor(): number {
  const status = readText('/proc/self/status') ?? '';
  const eff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  if (eff & (1n << 24n)) return -1000;
  return Number(readText('/proc/self/oom_score_adj')?.trim() ?? '0') || 0;
}

/** What the shim's own set-up (the pod's /dev/shm mount) said when it failed. */
async function shimSetupError(dir: string): Promise<string | undefined> {
  return readText(join(dir, 'setup.err'))?.trim() || undefined;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}
