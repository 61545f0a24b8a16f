/**
 * A durable high-water mark of the store's revision, in a small file beside the database.
 *
 * Why: a missing or emptied state.db opens as a new, empty store, and a damaged WAL frame makes
 * SQLite replay only the commits before it. Either way the server would hand out resourceVersions
 * it already handed out, silently. The mark records "revision R was durably reached"; a store
 * that opens below it is refused.
 *
 * Guarantees (and their limits):
 * - The mark is written only after the revision it names is durable (the caller records a
 *   revision once its commit is synced), with write-temp, fsync, rename, fsync-directory, so
 *   the file is either the old or the new mark, never torn, and never ahead of the store.
 * - It is not written per commit (that would be a second fsync on the write path): at most once
 *   per `intervalMs`, off the event loop, plus an exact mark on a clean close. So a loss that
 *   reaches back before the last mark is always detected; a loss of only the commits of the
 *   last interval (or the last few before a crash) may not be.
 * - A missing mark file with a non-empty store (a data dir from an older build) is recreated; a
 *   missing mark with an empty store is a new cluster. A mark that does not parse is refused.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PRIVATE_FILE_MODE } from './data-dir.ts';

const MAGIC = 'portcullis-revision-high-water v1';

export class HighWaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HighWaterError';
  }
}

export function highWaterPath(dbPath: string): string {
  return `${dbPath}.hwm`;
}

function render(revision: number): string {
  return `${MAGIC}\n${revision}\n`;
}

/** The recorded mark, or undefined when there is no file. */
export function readHighWater(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HighWaterError(`cannot read the revision high-water mark ${path}: ${(err as Error).message}`);
  }
  const m = /^portcullis-revision-high-water v1\n(\d{1,16})\n$/.exec(text);
  const revision = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(revision)) {
    throw new HighWaterError(`the revision high-water mark ${path} is damaged (refusing to guess how far the store had got); restore it or the store from a backup`);
  }
  return revision;
}

/** Refuses a store whose revision is below the recorded mark. */
export function checkHighWater(path: string, dbPath: string, storeRevision: number, mark: number | undefined): void {
  if (mark === undefined || storeRevision >= mark) return;
  throw new HighWaterError(
    `the store ${dbPath} is at revision ${storeRevision} but revision ${mark} had been durably reached (recorded in ${path}): ` +
      `the database or its WAL was lost, truncated or damaged, and starting would hand out resourceVersions again. ` +
      `Refusing to start: restore ${dbPath} and ${dbPath}-wal from a backup, or remove ${path} to start over knowingly.`,
  );
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeHighWaterSync(path: string, revision: number): void {
  // Its own temporary name: a background recording may still be writing the other one.
  const tmp = `${path}.tmp-sync`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, render(revision));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

export async function writeHighWater(path: string, revision: number): Promise<void> {
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await f.writeFile(render(revision));
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  const d = await open(dirname(path), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export interface HighWaterRecorderOptions {
  /** Least time between two recordings (default 1,000 ms). */
  intervalMs?: number;
  now?: () => number;
  /** Runs before each asynchronous recording (e.g. sync the WAL when commits are not synced). */
  beforeRecord?: () => Promise<void>;
  onError: (err: Error) => void;
}

/**
 * Records durable revisions off the write path: `note` after each synced commit; at most one
 * recording in flight and at most one per interval; `recordNowSync` on close.
 */
export class HighWaterRecorder {
  private recorded: number;
  private latest: number;
  private lastAt = -Infinity;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly path: string;
  private readonly opts: HighWaterRecorderOptions;

  constructor(path: string, recorded: number, opts: HighWaterRecorderOptions) {
    this.path = path;
    this.opts = opts;
    this.recorded = recorded;
    this.latest = recorded;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  note(revision: number): void {
    if (revision > this.latest) this.latest = revision;
    this.schedule();
  }

  /** Resolves once the newest noted revision is recorded (tests; shutdown). */
  async settle(): Promise<void> {
    await this.idle();
    if (this.latest > this.recorded && !this.stopped) {
      this.lastAt = -Infinity;
      this.schedule();
      await this.idle();
    }
  }

  /** Resolves when no recording is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Stop recording in the background and record `revision` now (a clean close). */
  recordNowSync(revision: number): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (revision > this.recorded) {
      writeHighWaterSync(this.path, revision);
      this.recorded = revision;
    }
  }

  /** Stop without recording (the store failed: what it would record is not trustworthy). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped || this.inFlight || this.timer || this.latest <= this.recorded) return;
    const wait = this.lastAt + this.intervalMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      this.timer.unref();
      return;
    }
    const revision = this.latest;
    this.lastAt = this.now();
    this.inFlight = (async () => {
      await this.opts.beforeRecord?.();
      if (this.stopped) return;
      await writeHighWater(this.path, revision);
      if (revision > this.recorded) this.recorded = revision;
    })()
      .catch((err: unknown) => this.opts.onError(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
  }
}
