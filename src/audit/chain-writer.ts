/**
 * The writing half of the log backend: chains records (chain.ts), signs checkpoints, writes the
 * lines and rotates the file by size with lumberjack's names and retention (rotation.ts). It runs
 * in the log backend's worker thread (log-worker.ts), or on the caller's thread for '-' and for
 * tests with an injected clock.
 *
 * Records arrive opened (chain.ts openRecord) in batches; each batch is chained, in order, and
 * written at once with one synchronous write. Synchronous because the writer has a thread of its
 * own: waiting there costs the API server nothing, where an asynchronous write would pay a round
 * trip through libuv's thread pool (another thread woken) per batch. The chain continues across
 * rotations and restarts: a new file's first record names the hash of the last record of the file
 * before it. How much of what was appended each write carried is reported back (onWritten), which
 * is what bounds the backend's queue. For '-' that report waits for the stream's write callback: a
 * pipe whose reader has stopped holds every write in the process's memory, and those records must
 * stay inside the bound until they have really left.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, fstatSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import { chainLine, chainOpen, checkLine, GENESIS, signCheckpoint, sha256hex } from './chain.ts';
import { backupName, listBackups, pruneBackups } from './rotation.ts';
import { microTime } from './request-audit.ts';
import type { AuditSigningKey } from './signing-key.ts';

/** lumberjack's size when none is set (--audit-log-maxsize 0). */
const DEFAULT_MAX_SIZE = 100 * 1024 * 1024;
/** How much of a file's end is read to find the last record on start. */
const TAIL_BYTES = 4 * 1024 * 1024;

/** Where '-' writes (process.stdout by default): cb runs once the text has left the stream's buffer. */
export interface StdoutSink {
  write(text: string, cb: (err?: Error | null) => void): boolean;
}

export interface ChainWriterOptions {
  /** File path, or '-' for standard output (no rotation). */
  path: string;
  /** Rotate before a write would pass this size (0: 100 MiB, as lumberjack). */
  maxSizeBytes?: number;
  /** Backups kept (0: all). */
  maxBackups?: number;
  /** Days a backup is kept (0: for ever). */
  maxAgeDays?: number;
  /** Signs checkpoints; without it the chain is hashed but unsigned. */
  signingKey?: AuditSigningKey;
  /** A checkpoint after this many records (default 1000) ... */
  checkpointEvery?: number;
  /** ... or after this long with records not yet covered (default 60 s). */
  checkpointIntervalMs?: number;
  /** Wall clock for checkpoint times and backup names. */
  now?: () => number;
  log?: Pick<Logger, 'error' | 'warn'>;
  /** Where '-' writes (default process.stdout). */
  stdout?: StdoutSink;
  /** The hash the chain continues from (default: read from the end of the existing log). */
  prev?: string;
  /** After each write: the appended weight and records it carried, and whether it succeeded. */
  onWritten?: (weight: number, records: number, ok: boolean) => void;
}

export class ChainWriter {
  readonly #o: Required<Omit<ChainWriterOptions, 'signingKey' | 'log' | 'stdout' | 'onWritten' | 'prev'>> & Pick<ChainWriterOptions, 'signingKey' | 'log' | 'onWritten'>;
  readonly #stdout: StdoutSink | undefined;
  /** Settles once every stdout write so far has left the stream (a stream finishes its writes in order). */
  #drained: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout | undefined;
  #lines: string[] = [];
  #prev: string;
  #sinceCheckpoint = 0;
  #fd: number | undefined;
  #size = 0;
  #closed = false;

  constructor(o: ChainWriterOptions) {
    this.#o = {
      path: o.path,
      maxSizeBytes: o.maxSizeBytes || DEFAULT_MAX_SIZE,
      maxBackups: o.maxBackups ?? 0,
      maxAgeDays: o.maxAgeDays ?? 0,
      checkpointEvery: o.checkpointEvery ?? 1000,
      checkpointIntervalMs: o.checkpointIntervalMs ?? 60_000,
      now: o.now ?? Date.now,
      signingKey: o.signingKey,
      log: o.log,
      onWritten: o.onWritten,
    };
    if (o.path === '-') this.#stdout = o.stdout ?? process.stdout;
    this.#prev = o.prev ?? (o.path === '-' ? GENESIS : lastRecordHash(o.path));
    if (this.#o.signingKey && this.#o.checkpointIntervalMs > 0) {
      this.#timer = setInterval(() => {
        this.#checkpoint();
        this.#write(0, 0);
      }, this.#o.checkpointIntervalMs);
      this.#timer.unref();
    }
  }

  /** Chains these opened records (in order) and writes their lines; weight is reported back once written. */
  append(opens: readonly string[], weight: number): void {
    for (const open of opens) {
      this.#push(chainOpen(open, this.#prev));
      if (++this.#sinceCheckpoint >= this.#o.checkpointEvery) this.#checkpoint();
    }
    this.#write(weight, opens.length);
  }

  /** A file: everything appended is written by the time append returns. '-': waits for the stream to take it. */
  async flush(): Promise<void> {
    await this.#drained;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // The tail of the chain is covered by a last signature before the file is let go.
    this.#checkpoint();
    this.#write(0, 0);
    await this.#drained;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #push(c: { line: string; hash: string }): void {
    this.#prev = c.hash;
    this.#lines.push(`${c.line}\n`);
  }

  #checkpoint(): void {
    const key = this.#o.signingKey;
    if (!key || this.#sinceCheckpoint === 0) return;
    const cp = signCheckpoint(key.privateKey, key.keyID, this.#prev, microTime(this.#o.now()), this.#sinceCheckpoint);
    this.#push(chainLine(cp, this.#prev));
    this.#sinceCheckpoint = 0;
  }

  /** Writes the lines made so far; weight and records: what of the appended they carry. */
  #write(weight: number, records: number): void {
    const lines = this.#lines;
    if (lines.length === 0) return;
    this.#lines = [];
    if (this.#stdout) return this.#writeStdout(this.#stdout, lines.join(''), weight, records);
    let ok = true;
    try {
      this.#writeFile(lines);
    } catch (err) {
      ok = false;
      this.#o.log?.error({ err, backend: 'log' }, 'audit log write failed');
    }
    this.#o.onWritten?.(weight, records, ok);
  }

  /** Reported written only from the stream's callback, so a stalled reader keeps the records in the bound. */
  #writeStdout(out: StdoutSink, text: string, weight: number, records: number): void {
    this.#drained = new Promise((resolve) => {
      let answered = false;
      const done = (err?: Error | null) => {
        if (answered) return;
        answered = true;
        if (err) this.#o.log?.error({ err, backend: 'log' }, 'audit log write failed');
        this.#o.onWritten?.(weight, records, !err);
        resolve();
      };
      try {
        out.write(text, done);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  #writeFile(lines: string[]): void {
    const fd = this.#open();
    // The usual case: the whole batch fits the current file, one encode and one write.
    const all = Buffer.from(lines.join(''));
    if (this.#size + all.length <= this.#o.maxSizeBytes) {
      writeAll(fd, all);
      this.#size += all.length;
      return;
    }
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pending.length === 0) return;
      writeAll(this.#open(), Buffer.from(pending.join('')));
      this.#size += pendingBytes;
      pending = [];
      pendingBytes = 0;
    };
    for (const line of lines) {
      const n = Buffer.byteLength(line);
      if (this.#size + pendingBytes + n > this.#o.maxSizeBytes && this.#size + pendingBytes > 0) {
        flush();
        this.#rotate();
      }
      pending.push(line);
      pendingBytes += n;
    }
    flush();
  }

  #open(): number {
    if (this.#fd === undefined) {
      const fd = openSync(this.#o.path, 'a+', 0o600);
      this.#size = fstatSync(fd).size;
      // A line cut short by a crash is ended first, so the next record starts a line of its own
      // (it chains onto the cut line's bytes; verify accepts such a line and reports it).
      if (this.#size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, this.#size - 1);
        if (last[0] !== 0x0a) {
          writeAll(fd, Buffer.from('\n'));
          this.#size++;
        }
      }
      this.#fd = fd;
    }
    return this.#fd;
  }

  #rotate(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    let at = this.#o.now();
    // Two rotations in one millisecond must not overwrite a backup.
    while (existsSync(backupName(this.#o.path, new Date(at)))) at++;
    renameSync(this.#o.path, backupName(this.#o.path, new Date(at)));
    for (const f of pruneBackups(this.#o.path, this.#o.maxBackups, this.#o.maxAgeDays, this.#o.now())) this.#o.log?.warn({ file: f }, 'audit log backup removed (retention)');
    this.#open();
  }
}

/** writeSync may write less than asked (a signal, a full disk): the rest follows, or it throws. */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/** The hash of the last record of the log (current file, else the newest backup), to continue its chain. */
export function lastRecordHash(path: string): string {
  const candidates = [path, ...listBackups(path).reverse().map((b) => b.file)];
  for (const file of candidates) {
    const line = lastLine(file);
    if (line !== undefined) return checkLine(line).claimed ?? sha256hex(line);
  }
  return GENESIS;
}

function lastLine(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter((l) => l !== '');
    return lines[lines.length - 1];
  } finally {
    closeSync(fd);
  }
}
