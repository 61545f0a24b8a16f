/**
 * Rollback floors of Notary repositories: the highest version seen of each role, per GUN and pin
 * (whichever server served it). A server (or a replay) serving older metadata later is refused (ROLLBACK). In memory by
 * default, bounded (least recently raised out first); FileFloors also keeps them in a JSON file,
 * loaded at start and rewritten (to a temporary name, then renamed) after each raise, so a
 * restart does not forget them — notary's client keeps its TUF cache on disk for the same reason.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Versions } from './repo-update.ts';

export interface FloorStore {
  get(key: string): Versions | undefined;
  set(key: string, v: Versions): void;
  /** Resolves when what was set is written (FileFloors); at once otherwise. */
  flush(): Promise<void>;
}

export class MemoryFloors implements FloorStore {
  protected readonly floors = new Map<string, Versions>();
  protected readonly max: number;
  constructor(max: number) {
    if (!(Number.isInteger(max) && max > 0)) throw new Error(`rollback floors: max must be a positive integer, got ${max}`);
    this.max = max;
  }
  get(key: string): Versions | undefined {
    return this.floors.get(key);
  }
  set(key: string, v: Versions): void {
    this.floors.delete(key);
    if (this.floors.size >= this.max) this.floors.delete(this.floors.keys().next().value!);
    this.floors.set(key, v);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** The file's size limit: ~200 bytes a repository, for the bound's worth of them. */
const MAX_FILE_BYTES = 64 << 20;

interface FileShape {
  version: 1;
  floors: Record<string, { root: number; timestamp: number; snapshot: number; roles: Record<string, number> }>;
}

const isVersion = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export class FileFloors extends MemoryFloors {
  readonly #path: string;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #closed = false;
  readonly #onError: (err: Error) => void;

  /**
   * Loads `path` when it exists; a file that is not a floors file fails here (the floors would be
   * lost). A failed write is reported to `onError` and retried at the next raise; the floors stay
   * in memory meanwhile.
   */
  constructor(path: string, max: number, onError: (err: Error) => void = () => undefined) {
    super(max);
    this.#path = path;
    this.#onError = onError;
    let text: string;
    try {
      if (statSync(path).size > MAX_FILE_BYTES) throw new Error(`more than ${MAX_FILE_BYTES} bytes`);
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`notary rollback floors ${path}: ${(err as Error).message}`);
    }
    let doc: FileShape;
    try {
      doc = JSON.parse(text) as FileShape;
      if (doc?.version !== 1 || typeof doc.floors !== 'object' || doc.floors === null) throw new Error('not a version 1 floors file');
    } catch (err) {
      throw new Error(`notary rollback floors ${path}: ${(err as Error).message} (delete it to start over, forgetting the floors)`);
    }
    for (const [key, f] of Object.entries(doc.floors)) {
      const roles = Object.entries(f?.roles ?? {});
      if (!isVersion(f?.root) || !isVersion(f.timestamp) || !isVersion(f.snapshot) || !roles.every(([, n]) => isVersion(n))) {
        throw new Error(`notary rollback floors ${path}: malformed entry ${JSON.stringify(key.slice(0, 200))}`);
      }
      super.set(key, { root: f.root, timestamp: f.timestamp, snapshot: f.snapshot, roles: new Map(roles) });
    }
  }

  override set(key: string, v: Versions): void {
    const old = this.get(key);
    super.set(key, v);
    if (old && old.root === v.root && old.timestamp === v.timestamp && old.snapshot === v.snapshot && old.roles.size === v.roles.size && [...v.roles].every(([r, n]) => old.roles.get(r) === n)) return;
    this.#dirty = true;
    if (this.#closed) this.#writeSync();
    else {
      this.#writing ??= this.#write().catch((err: Error) => {
        this.#dirty = true;
        this.#onError(err);
      });
    }
  }

  #text(): string {
    const doc: FileShape = { version: 1, floors: {} };
    for (const [key, v] of this.floors) doc.floors[key] = { root: v.root, timestamp: v.timestamp, snapshot: v.snapshot, roles: Object.fromEntries(v.roles) };
    return JSON.stringify(doc);
  }

  /**
   * One write at a time; floors raised during a write are written by the next one. The rename is
   * synchronous, so a final write at close() cannot be overtaken by an older snapshot's rename.
   */
  async #write(): Promise<void> {
    const tmp = `${this.#path}.tmp-${process.pid}`;
    try {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        await writeFile(tmp, this.#text(), { mode: 0o600 });
        if (this.#closed) rmSync(tmp, { force: true });
        else renameSync(tmp, this.#path);
      }
    } finally {
      this.#writing = undefined;
    }
  }

  #writeSync(): void {
    const tmp = `${this.#path}.tmp-${process.pid}-final`;
    try {
      writeFileSync(tmp, this.#text(), { mode: 0o600 });
      renameSync(tmp, this.#path);
      this.#dirty = false;
    } catch (err) {
      this.#onError(err as Error);
    }
  }

  /** Writes what is not written yet, synchronously (a server stopping); later raises are written at once. */
  close(): void {
    this.#closed = true;
    if (this.#dirty || this.#writing) this.#writeSync();
  }

  override async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}
