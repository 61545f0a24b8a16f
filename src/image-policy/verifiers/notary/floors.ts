/**
 * Rollback floors of Notary repositories: the highest version seen of each role, per GUN and pin
 * (whichever server served it). A server (or a replay) serving older metadata later is refused (ROLLBACK). In memory by
 * default, bounded (least recently raised out first); FileFloors also keeps them in a JSON file,
 * loaded at start and rewritten (to a temporary name, then renamed) after each raise, so a
 * restart does not forget them — notary's client keeps its TUF cache on disk for the same reason.
 */
import { readFileSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
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

  /** Loads `path` when it exists; a file that is not a floors file fails here (the floors would be lost). */
  constructor(path: string, max: number) {
    super(max);
    this.#path = path;
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
    this.#writing ??= this.#write();
  }

  /** One write at a time; floors raised during a write are written by the next one. */
  async #write(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const doc: FileShape = { version: 1, floors: {} };
        for (const [key, v] of this.floors) doc.floors[key] = { root: v.root, timestamp: v.timestamp, snapshot: v.snapshot, roles: Object.fromEntries(v.roles) };
        const tmp = `${this.#path}.tmp-${process.pid}`;
        await writeFile(tmp, JSON.stringify(doc), { mode: 0o600 });
        await rename(tmp, this.#path);
      }
    } finally {
      this.#writing = undefined;
    }
  }

  override async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}
