/**
 * The agent side of a container's output: opens the read ends of its stdout/stderr FIFOs and
 * appends CRI records to its log file. Opened before the shim starts (so output of a process that
 * exits at once is not lost) and again by a new runtime after an agent restart; ends by itself when
 * the container's process (the last writer) exits.
 *
 * The file is rotated as the kubelet does (containerLogMaxSize 10 MiB, containerLogMaxFiles 5):
 * past the size the current file is renamed `<path>.<UTC timestamp>` and a new one started; the
 * oldest rotated files beyond the count are removed, so a chatty container's disk use is bounded.
 */
import { constants, createWriteStream, openSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Socket } from 'node:net';
import { relayCriLog } from './cri-log.ts';

export interface LogRelay {
  readonly done: Promise<void>;
  /** Also hands the raw output of one stream to `fn` (an attach), until the returned function is called. */
  tap(stream: 'stdout' | 'stderr', fn: (chunk: Buffer) => void): () => void;
  /** Stops reading (the agent is going away); the container keeps running and keeps its FIFOs. */
  close(): void;
}

export interface LogRotation {
  maxBytes: number;
  /** Files kept, the current one included. */
  maxFiles: number;
}

export const DEFAULT_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** The kubelet's rotated-file suffix: 20060102-150405 (UTC). */
function stamp(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** Removes the oldest rotated files of `path` beyond `keep`. */
export async function pruneRotated(path: string, keep: number): Promise<void> {
  const prefix = `${basename(path)}.`;
  const rotated = (await readdir(dirname(path)).catch(() => [] as string[])).filter((n) => n.startsWith(prefix)).sort();
  for (const n of rotated.slice(0, Math.max(0, rotated.length - keep))) await rm(join(dirname(path), n), { force: true });
}

/** A log file that rotates itself; each line goes whole to one file or the next. */
class RotatingLog {
  private file: WriteStream;
  private size: number;
  private pruning: Promise<void> = Promise.resolve();
  private readonly path: string;
  private readonly rotation: LogRotation;
  private readonly now: () => Date;

  constructor(path: string, rotation: LogRotation, now: () => Date, initialSize: number) {
    this.path = path;
    this.rotation = rotation;
    this.now = now;
    this.file = this.open();
    this.size = initialSize;
  }

  private open(): WriteStream {
    // Opened synchronously so the file exists at once: a burst may rotate it again in the same tick.
    let fd: number;
    try {
      fd = openSync(this.path, 'a');
    } catch {
      fd = openSync('/dev/null', 'a');
    }
    const f = createWriteStream('', { fd });
    f.on('error', () => {
      // A full or removed log directory must not crash the agent; the container keeps running.
    });
    return f;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.rotation.maxBytes) {
      // The old stream keeps its descriptor: what it still has buffered lands in the renamed file.
      try {
        renameSync(this.path, `${this.path}.${stamp(this.now())}`);
      } catch {
        // Removed under us: the new file starts afresh either way.
      }
      this.file.end();
      this.file = this.open();
      this.size = 0;
      this.pruning = this.pruning.then(() => pruneRotated(this.path, this.rotation.maxFiles - 1)).catch(() => undefined);
    }
    this.size += bytes;
    this.file.write(line);
  }

  async end(): Promise<void> {
    await this.pruning;
    await new Promise<void>((resolve) => this.file.end(() => resolve()));
  }
}

export async function openLogRelay(fifos: { stdout: string; stderr: string }, logPath: string, now: () => Date, rotation = DEFAULT_ROTATION): Promise<LogRelay> {
  // Synchronous, as the FIFOs' opens below: one stat at each container start (state-files.ts says why).
  let initial = 0;
  try {
    initial = statSync(logPath).size;
  } catch {
    // no log yet
  }
  const log = new RotatingLog(logPath, rotation, now, initial);
  const sink = { write: (line: string) => log.write(line) };
  const sockets: Socket[] = [];
  const relays = (['stdout', 'stderr'] as const).map((stream) => {
    // Non-blocking, so the open neither waits for a writer nor sees EOF before the first one came.
    const fd = openSync(fifos[stream], constants.O_RDONLY | constants.O_NONBLOCK);
    const sock = new Socket({ fd, readable: true, writable: false });
    sockets.push(sock);
    return relayCriLog(sock, stream, sink, now);
  });
  const done = Promise.all(relays).then(() => log.end());
  return {
    done,
    tap(stream, fn) {
      const sock = sockets[stream === 'stdout' ? 0 : 1]!;
      sock.on('data', fn);
      return () => void sock.off('data', fn);
    },
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}
