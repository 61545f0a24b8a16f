/**
 * An in-memory ContainerRuntime and ImageService for the agent's tests (and a simulator that wants
 * real pod workers): containers "run" a program chosen per container (run until stopped, exit
 * with a code after a while, be OOM-killed, ignore SIGTERM), stops honour the grace period on the
 * injected clock, and the whole state can be kept in a JSON file so a new instance re-adopts what
 * an old one started, as the runc runtime does from its state root. Every call is counted, so a
 * test can show that an agent restart started nothing again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../../pki/write-file-atomic.ts';
import { realTimers, type Timers } from '../../client/timers.ts';
import type {
  AttachOptions, ContainerConfig, ContainerRuntime, ContainerStatus, ExecOptions, ExecResult, ExitReason, ImageInfo, ImageService, SandboxConfig, SandboxStatus,
} from './types.ts';
import type { UsageStats } from './cgroup-stats.ts';
import { containerResources, type CgroupResources } from './cgroup-resources.ts';
import type { PodSpec } from 'kubernetes-types/core/v1.js';

/** What a fake container does once started. */
export interface FakeProgram {
  /** Exit by itself after this long (default: run until stopped). */
  exitAfterMs?: number;
  exitCode?: number;
  reason?: ExitReason;
  /** Trap SIGTERM: only the SIGKILL after the grace period ends it. */
  ignoreTerm?: boolean;
}

export interface FakeRuntimeOptions {
  /** Keep the state in this file (re-adoption by a new instance). */
  statePath?: string;
  program?: (cfg: ContainerConfig) => FakeProgram;
  timers?: Timers;
  now?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface State {
  sandboxes: Array<Mutable<SandboxStatus>>;
  containers: Array<Mutable<ContainerStatus> & { program: FakeProgram; env: Array<{ name: string; value: string }>; cgroup?: CgroupResources }>;
}

export class FakeRuntime implements ContainerRuntime {
  readonly calls: Array<{ op: string; id: string; grace?: number; at: number }> = [];
  #state: State = { sandboxes: [], containers: [] };
  #o: FakeRuntimeOptions;
  #timers: Timers;
  #now: () => number;
  #exitTimers = new Map<string, unknown>();
  #usage = new Map<string, UsageStats>();
  #writableLayers = new Map<string, string>();

  constructor(o: FakeRuntimeOptions = {}) {
    this.#o = o;
    this.#timers = o.timers ?? realTimers;
    this.#now = o.now ?? Date.now;
    if (o.statePath && existsSync(o.statePath)) this.#state = JSON.parse(readFileSync(o.statePath, 'utf8')) as State;
  }

  /** Starts of containers so far (by this instance). */
  get starts(): number {
    return this.calls.filter((c) => c.op === 'start').length;
  }

  /** The env a container was created with (for tests of valueFrom resolution). */
  envOf(id: string): Array<{ name: string; value: string }> | undefined {
    return this.#state.containers.find((c) => c.id === id)?.env;
  }

  #save(): void {
    if (!this.#o.statePath) return;
    mkdirSync(dirname(this.#o.statePath), { recursive: true });
    writeFileAtomic(this.#o.statePath, JSON.stringify(this.#state), 0o600);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  #record(op: string, id: string, grace?: number): void {
    this.calls.push({ op, id, at: this.#now(), ...(grace !== undefined ? { grace } : {}) });
    // Bounded: tests look at recent calls only.
    if (this.calls.length > 10_000) this.calls.splice(0, 1_000);
  }

  async createSandbox(cfg: SandboxConfig): Promise<SandboxStatus> {
    const existing = this.#state.sandboxes.find((s) => s.pod.uid === cfg.pod.uid && s.state === 'ready');
    if (existing) return { ...existing };
    const s: Mutable<SandboxStatus> = { id: randomUUID(), pod: { ...cfg.pod }, state: 'ready', createdAt: this.#iso(), pid: 1, namespaces: cfg.spec.hostNetwork ? {} : { net: '/proc/1/ns/net', ipc: '/proc/1/ns/ipc', uts: '/proc/1/ns/uts' }, hostNetwork: cfg.spec.hostNetwork === true };
    this.#state.sandboxes.push(s);
    this.#record('createSandbox', s.id);
    this.#save();
    return { ...s };
  }

  async stopSandbox(id: string): Promise<void> {
    const s = this.#state.sandboxes.find((x) => x.id === id);
    if (!s) return;
    for (const c of this.#state.containers) if (c.sandboxId === id && c.state === 'running') this.#exit(c.id, 137, 'Error');
    s.state = 'notready';
    delete s.pid;
    this.#record('stopSandbox', id);
    this.#save();
  }

  async removeSandbox(id: string): Promise<void> {
    if (this.#state.containers.some((c) => c.sandboxId === id)) throw new Error(`sandbox ${id} still has containers`);
    this.#state.sandboxes = this.#state.sandboxes.filter((s) => s.id !== id);
    this.#usage.delete(id);
    this.#record('removeSandbox', id);
    this.#save();
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    const s = this.#state.sandboxes.find((x) => x.id === id);
    return s && { ...s };
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<ContainerStatus> {
    if (!this.#state.sandboxes.some((s) => s.id === sandboxId && s.state === 'ready')) throw new Error(`sandbox ${sandboxId} is not ready`);
    const id = createHash('sha256').update(randomUUID()).digest('hex');
    const c = {
      id, sandboxId, pod: { ...cfg.pod }, name: cfg.container.name, attempt: cfg.attempt, imageRef: cfg.image.ref, imageDigest: cfg.image.digest,
      state: 'created' as const, createdAt: this.#iso(), logPath: `/fake/logs/${cfg.pod.uid}/${cfg.container.name}/${cfg.attempt}.log`,
      program: this.#o.program?.(cfg) ?? {}, env: cfg.env.map((e) => ({ ...e })), cgroup: containerResources(cfg.container),
    };
    this.#state.containers.push(c);
    this.#record('create', id);
    this.#save();
    return this.#public(c);
  }

  async startContainer(id: string): Promise<void> {
    const c = this.#find(id);
    if (c.state !== 'created') throw new Error(`container ${id} is ${c.state}, not created`);
    c.state = 'running';
    c.startedAt = this.#iso();
    c.pid = 100 + this.#state.containers.length;
    this.#record('start', id);
    const p = c.program;
    if (p.exitAfterMs !== undefined) {
      this.#exitTimers.set(id, this.#timers.setTimeout(() => this.#exit(id, p.exitCode ?? 0, p.reason ?? (p.exitCode ? 'Error' : 'Completed')), p.exitAfterMs));
    }
    this.#save();
  }

  async containerResources(id: string): Promise<CgroupResources | undefined> {
    return this.#state.containers.find((c) => c.id === id)?.cgroup;
  }

  /** Records the new settings (a test reads them back with containerResources and calls 'update'). */
  async updateContainerResources(id: string, resources: CgroupResources): Promise<void> {
    const c = this.#find(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    c.cgroup = resources;
    this.#record('update', id);
    this.#save();
  }

  /** The pod specs pod cgroups were last limited for, by sandbox (tests). */
  readonly podResources = new Map<string, PodSpec>();

  async updatePodResources(sandboxId: string, spec: PodSpec): Promise<void> {
    this.podResources.set(sandboxId, spec);
    this.#record('updatePod', sandboxId);
  }

  /** Ends a running container as if its process exited (tests). */
  exitContainer(id: string, exitCode: number, reason?: ExitReason): void {
    this.#exit(id, exitCode, reason ?? (exitCode === 0 ? 'Completed' : 'Error'));
  }

  #exit(id: string, exitCode: number, reason: ExitReason): void {
    const c = this.#state.containers.find((x) => x.id === id);
    if (!c || c.state !== 'running') return;
    const t = this.#exitTimers.get(id);
    if (t !== undefined) this.#timers.clearTimeout(t);
    this.#exitTimers.delete(id);
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = reason;
    c.finishedAt = this.#iso();
    delete c.pid;
    this.#save();
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const c = this.#find(id);
    this.#record('stop', id, gracePeriodSeconds);
    if (c.state === 'created') {
      c.state = 'exited';
      c.exitCode = 0;
      c.reason = 'Completed';
      c.finishedAt = this.#iso();
      this.#save();
      return;
    }
    if (c.state !== 'running') return;
    if (c.program.ignoreTerm && gracePeriodSeconds > 0) {
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, gracePeriodSeconds * 1000));
      this.#exit(id, 137, 'Error');
    } else {
      this.#exit(id, gracePeriodSeconds > 0 ? 143 : 137, 'Error');
    }
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.#state.containers.find((x) => x.id === id);
    if (!c) return;
    if (c.state === 'running') throw new Error(`container ${id} is running`);
    this.#state.containers = this.#state.containers.filter((x) => x.id !== id);
    this.#usage.delete(id);
    this.#writableLayers.delete(id);
    this.#record('remove', id);
    this.#save();
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const c = this.#state.containers.find((x) => x.id === id);
    return c && this.#public(c);
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    const c = this.#find(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    opts.stdout?.end();
    return { exitCode: 0 };
  }

  /** No output: the fake's programs print nothing. Ends with the container or the signal. */
  async attach(id: string, opts: AttachOptions): Promise<void> {
    if (this.#find(id).state !== 'running') throw new Error(`container ${id} is not running`);
    opts.stdin?.resume();
    await new Promise<void>((resolve) => {
      const check = () => (opts.signal?.aborted || this.#state.containers.find((x) => x.id === id)?.state !== 'running' ? resolve() : void this.#timers.setTimeout(check, 50));
      check();
    });
  }

  /** What usageStats reports for a container or sandbox while it runs (tests set it). */
  setUsage(id: string, usage: UsageStats): void {
    this.#usage.set(id, usage);
  }

  async usageStats(id: string): Promise<UsageStats | undefined> {
    const running = this.#state.containers.some((c) => c.id === id && c.state === 'running') || this.#state.sandboxes.some((s) => s.id === id && s.state === 'ready');
    return running ? this.#usage.get(id) : undefined;
  }

  /** As a parent cgroup counts its children: the sum of what usageStats reports for everything running. */
  async podsUsageStats(): Promise<{ usage: UsageStats; startTime: Date } | undefined> {
    const running = [...this.#state.sandboxes.filter((s) => s.state === 'ready'), ...this.#state.containers.filter((c) => c.state === 'running')];
    const all = running.map((x) => this.#usage.get(x.id)).filter((u) => u !== undefined);
    if (!all.length) return undefined;
    const usage = {
      cpuUsageNanos: all.reduce((n, u) => n + u.cpuUsageNanos, 0),
      memoryWorkingSetBytes: all.reduce((n, u) => n + u.memoryWorkingSetBytes, 0),
      memoryUsageBytes: all.reduce((n, u) => n + (u.memoryUsageBytes ?? u.memoryWorkingSetBytes), 0),
      timestamp: new Date(Math.max(...all.map((u) => u.timestamp.getTime()))),
    };
    // The parent cgroup is made with the first sandbox.
    return { usage, startTime: new Date(Math.min(...running.map((x) => Date.parse(x.createdAt)))) };
  }

  /** Where writableLayer says a container's writable layer is (tests make the directory). */
  setWritableLayer(id: string, path: string): void {
    this.#writableLayers.set(id, path);
  }

  async writableLayer(id: string): Promise<string | undefined> {
    return this.#state.containers.some((c) => c.id === id) ? this.#writableLayers.get(id) : undefined;
  }

  async list(): Promise<{ sandboxes: SandboxStatus[]; containers: ContainerStatus[] }> {
    return { sandboxes: this.#state.sandboxes.map((s) => ({ ...s })), containers: this.#state.containers.map((c) => this.#public(c)) };
  }

  #find(id: string): State['containers'][number] {
    const c = this.#state.containers.find((x) => x.id === id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }

  #public(c: State['containers'][number]): ContainerStatus {
    const { program: _p, env: _e, cgroup: _g, ...rest } = c;
    return { ...rest };
  }
}

/** Images "present" on the node without any registry: a digest made from the reference. */
export class FakeImageService implements ImageService {
  readonly pulls: string[] = [];

  #info(ref: string): ImageInfo {
    return { ref, digest: `sha256:${createHash('sha256').update(ref).digest('hex')}`, config: {}, rootfs: '/nonexistent' };
  }

  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    return this.pulls.includes(ref) ? this.#info(ref) : undefined;
  }

  async pullImage(ref: string): Promise<ImageInfo> {
    if (!this.pulls.includes(ref)) this.pulls.push(ref);
    return this.#info(ref);
  }

  async removeImage(): Promise<void> {}
}
