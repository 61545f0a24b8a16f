/**
 * The values this store wrote lately, parsed and frozen, by store key and etcd revision. The
 * watch event of a write made here (the watch cache's registry-wide watch sees every one of this
 * server's writes) and a read of it then take the writer's object instead of parsing the same
 * bytes again, as the SQLite store hands its watchers the object parsed at commit. An etcd key
 * has one value per mod revision, so key and revision name it; the length of the bytes is checked
 * as well (a restored etcd could reuse revisions). Bounded in entries and bytes, oldest dropped
 * first: a miss only costs the parse it saves.
 */

interface Written {
  value: object;
  bytes: number;
}

export interface WrittenValuesBound {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_WRITTEN_BOUND: Readonly<WrittenValuesBound> = Object.freeze({ maxEntries: 1024, maxBytes: 16 * 1024 * 1024 });

export class WrittenValues {
  private readonly byRevision = new Map<string, Written>();
  private bytes = 0;
  private readonly bound: WrittenValuesBound;

  constructor(bound: WrittenValuesBound = DEFAULT_WRITTEN_BOUND) {
    this.bound = bound;
  }

  /** `value` is frozen and was parsed from `bytes` bytes stored at `revision`. */
  remember(key: string, revision: number, value: unknown, bytes: number): void {
    if (typeof value !== 'object' || value === null || bytes > this.bound.maxBytes) return;
    const id = `${revision} ${key}`;
    if (this.byRevision.has(id)) return;
    this.byRevision.set(id, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, w] of this.byRevision) {
      if (this.byRevision.size <= this.bound.maxEntries && this.bytes <= this.bound.maxBytes) break;
      this.byRevision.delete(oldest);
      this.bytes -= w.bytes;
    }
  }

  /** The object stored at this key and revision, when it was written here and is still held. */
  get(key: string, revision: number, bytes: number): object | undefined {
    const w = this.byRevision.get(`${revision} ${key}`);
    return w && w.bytes === bytes ? w.value : undefined;
  }

  get size(): number {
    return this.byRevision.size;
  }
}
