/**
 * What the runtime keeps on disk per sandbox and container (meta.json, written once at creation)
 * and how a status is read back from the files the shim writes (pid, exit, oom, runc.log). Nothing
 * lives only in memory, so a new runtime instance after an agent restart sees the same state.
 *
 * The reads are synchronous: they are a few bytes from the agent's own local state directory, and
 * the relist reads every container's and sandbox's files each second. A promise read of a small
 * file costs ~100 µs of CPU (open, fstat, read, close, each a thread-pool round trip), a
 * synchronous one ~6 µs, and blocks the event loop for no longer than that.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oomKills } from './shim.ts';
import type { ContainerStatus, PodRef } from './types.ts';

export interface SandboxMeta {
  kind: 'sandbox';
  id: string;
  pod: PodRef;
  createdAt: string;
  hostname: string;
  hostNetwork: boolean;
  hostIPC: boolean;
  podFiles: Record<string, string>;
  /** The pod's /dev/shm on the host: the sandbox's own tmpfs, or /dev/shm with hostIPC. */
  shm: string;
  /**
   * 'files': the pod's namespaces are bind-mounted files (pod-namespaces.ts). Absent: a
   * pause container holds them (shareProcessNamespace, or a sandbox made before there were files).
   */
  holder?: 'files';
  /**
   * With 'files': the directory of the namespace files, below the node's shared mount of them.
   * Absent: the sandbox's own ns/ (made before there was one shared mount).
   */
  namespaceDir?: string;
  /**
   * The pod's cgroup (pod-cgroups.ts), relative to the pods' parent, with what the QoS tier's shares
   * need (cpuRequestMilli follows an in-place resize: the only field of a meta.json ever rewritten).
   * Absent: made before there were pod cgroups, the pod's containers flat under the parent.
   */
  podCgroup?: { path: string; qos: 'Guaranteed' | 'Burstable' | 'BestEffort'; cpuRequestMilli: number };
}

export interface ContainerMeta {
  kind: 'container';
  id: string;
  sandboxId: string;
  pod: PodRef;
  name: string;
  attempt: number;
  imageRef: string;
  imageDigest: string;
  createdAt: string;
  logPath: string;
  /** How the rootfs was made (rootfs.ts): an overlay (the writable layer is upper/) or a copy. Absent in containers made before it was recorded. */
  rootfsKind?: 'overlay' | 'copy';
  /** The container's memory cgroup directory, for the shim's OOM counters. */
  memcg: string;
  /** The container asked for a terminal (tty: true). */
  tty?: boolean;
  /** The container keeps a stdin (stdin: true): a FIFO an attach writes to. */
  stdin?: boolean;
  /** stdin and stdinOnce without a terminal: the first attach's input ending closes stdin (stdin-once.ts). */
  stdinOnce?: boolean;
  /** The image's StopSignal, checked at creation. */
  stopSignal?: string;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  renameSync(`${path}.tmp`, path);
}

export async function readMeta<T>(dir: string): Promise<T | undefined> {
  try {
    return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A small state file's text, or undefined when it cannot be read (synchronous: see above). */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function mtime(path: string): string | undefined {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last error runc logged (its JSON log), for a process that never started. */
export async function runcLogError(dir: string): Promise<string | undefined> {
  const text = readText(join(dir, 'runc.log'));
  if (!text) return undefined;
  let last: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if ((rec.level === 'error' || rec.level === 'fatal') && rec.msg) last = rec.msg;
    } catch {
      // not a JSON line
    }
  }
  return last;
}

/** The pid of a running process per the pid file, or undefined. */
export async function readPid(dir: string): Promise<number | undefined> {
  const text = readText(join(dir, 'pid'));
  const pid = text === undefined ? NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A container's status from its meta and the shim's files. */
export async function containerStatusFromFiles(dir: string, meta: ContainerMeta): Promise<ContainerStatus> {
  const base = {
    id: meta.id, sandboxId: meta.sandboxId, pod: meta.pod, name: meta.name, attempt: meta.attempt,
    imageRef: meta.imageRef, imageDigest: meta.imageDigest, createdAt: meta.createdAt, logPath: meta.logPath,
  };
  const exitText = readText(join(dir, 'exit'));
  const pid = await readPid(dir);
  const startedAt = pid === undefined ? undefined : mtime(join(dir, 'pid'));
  if (exitText !== undefined) {
    const finishedAt = mtime(join(dir, 'exit'));
    if (pid === undefined) {
      const message = (await runcLogError(dir)) ?? 'the container process could not be started';
      return { ...base, state: 'exited', exitCode: 128, reason: 'StartError', message, finishedAt, startedAt: finishedAt };
    }
    const exitCode = Number(exitText.trim());
    const oom = oomKills(readText(join(dir, 'oom'))) > 0;
    const reason = oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    return { ...base, state: 'exited', exitCode, reason, startedAt, finishedAt };
  }
  if (pid !== undefined) {
    if (alive(pid)) return { ...base, state: 'running', pid, startedAt };
    // The process is gone and no exit was recorded: give the shim a moment, else the status is lost.
    const shimPid = Number(readText(join(dir, 'shim.pid'))?.trim());
    if (alive(shimPid)) return { ...base, state: 'running', pid, startedAt };
    if (readText(join(dir, 'exit')) !== undefined) return containerStatusFromFiles(dir, meta);
    return { ...base, state: 'exited', exitCode: 255, reason: 'Unknown', message: 'the container exited while its shim was not running; its exit status is unknown', startedAt };
  }
  return { ...base, state: 'created' };
}
