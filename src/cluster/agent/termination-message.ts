/**
 * A container's termination message as the kubelet reads it once the container has exited
 * (kuberuntime_container.go getTerminationMessage, readLastStringFromContainerLogs,
 * convertToKubeContainerStatus; the bounds of pkg/kubelet/container/runtime.go; the per-pod budget
 * of the status manager's normalizeStatus): the last 4 KiB of the file at terminationMessagePath,
 * or with FallbackToLogsOnError, a failed container and no message, the last 2 KiB of its last 80
 * log lines; each terminated state's message then cut to 12 KiB over the pod's containers.
 *
 * The file is the agent's own, on the host, bind-mounted into the one container instance: it is
 * opened without following a symlink and read only when it is a regular file.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { readCriLogs } from './runtime/read-logs.ts';
import type { ContainerStatus } from './runtime/types.ts';

export const MAX_POD_TERMINATION_MESSAGE_LOG_LENGTH = 1024 * 12;
export const MAX_CONTAINER_TERMINATION_MESSAGE_LENGTH = 1024 * 4;
export const MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LENGTH = 1024 * 2;
export const MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LINES = 80;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** tail.ReadAtMost: the last `max` bytes of a regular file, never through a symlink. */
export async function readAtMost(path: string, max: number): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    const len = Math.min(st.size, max);
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, st.size - len + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** circbuf: keeps the last `size` bytes written to it. */
class TailBuffer extends Writable {
  #chunks: Buffer[] = [];
  #len = 0;
  readonly size: number;
  constructor(size: number) {
    super();
    this.size = size;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.#chunks.push(chunk);
    this.#len += chunk.length;
    while (this.#len - this.#chunks[0]!.length >= this.size) this.#len -= this.#chunks.shift()!.length;
    cb();
  }
  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.size)).toString('utf8');
  }
}

/** readLastStringFromContainerLogs: the last 80 lines of the CRI log (both streams), at most their last 2 KiB. */
export async function readLastStringFromContainerLogs(logPath: string): Promise<string> {
  const buf = new TailBuffer(MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LENGTH);
  try {
    await readCriLogs(logPath, { tailLines: MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LINES }, buf);
  } catch (err) {
    return `Error on reading termination message from logs: ${(err as Error).message}`;
  }
  return buf.text();
}

/**
 * getTerminationMessage: the message from the container's file (`hostFile`, where its
 * terminationMessagePath is mounted from; none when it was not mounted) and whether the logs are to
 * be read instead.
 */
export async function fileTerminationMessage(hostFile: string | undefined, fallbackToLogs: boolean): Promise<{ message: string; checkLogs: boolean }> {
  if (!hostFile) return { message: '', checkLogs: fallbackToLogs };
  try {
    const data = await readAtMost(hostFile, MAX_CONTAINER_TERMINATION_MESSAGE_LENGTH);
    return { message: data, checkLogs: fallbackToLogs && data.length === 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { message: '', checkLogs: fallbackToLogs };
    return { message: `Error on reading termination log ${hostFile}: ${(err as Error).message}`, checkLogs: false };
  }
}

/**
 * convertToKubeContainerStatus for an exited container: its runtime message enriched with the
 * termination message. `fromLogs` tells the caller the message came from the log, which may still
 * be growing while the log relay drains.
 */
export async function terminationMessage(c: ContainerStatus, spec: Pick<Container, 'terminationMessagePolicy'> | undefined, hostFile: string | undefined): Promise<{ message: string; fromLogs: boolean }> {
  const fallbackToLogs = spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && (c.exitCode ?? 0) !== 0 && c.reason !== ('ContainerCannotRun' as string);
  let { message: t, checkLogs } = await fileTerminationMessage(hostFile, fallbackToLogs);
  if (checkLogs) t = await readLastStringFromContainerLogs(c.logPath);
  let message = c.message ?? '';
  if (t.length !== 0) message = message.length !== 0 ? `${message}: ${t}` : t;
  return { message, fromLogs: checkLogs };
}

/** normalizeStatus: each terminated message may use 12 KiB over the number of the pod's containers. */
export function bytesPerStatus(pod: Pod): number {
  const n = (pod.spec?.containers?.length ?? 0) + (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.ephemeralContainers?.length ?? 0);
  return n > 0 ? Math.floor(MAX_POD_TERMINATION_MESSAGE_LOG_LENGTH / n) : MAX_POD_TERMINATION_MESSAGE_LOG_LENGTH;
}

/** The first `max` bytes of `s` (Go's s[:max]; a character cut in two becomes U+FFFD, as the JSON encoding makes it). */
export function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= max ? s : b.subarray(0, max).toString('utf8');
}
