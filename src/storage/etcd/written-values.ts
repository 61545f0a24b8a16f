/**
 * The values this store wrote lately, parsed and frozen, by store key and the exact bytes
 * stored. The watch event of a write made here (the watch cache's registry-wide watch sees every
 * one of this server's writes) and a read of it then take the writer's object instead of parsing
 * the same bytes again, as the SQLite store hands its watchers the object parsed at commit.
 *
 * The match is by content, not revision: the event can arrive (on the watch's own connection)
 * before the write's response, so the value is remembered before the write is sent; equal bytes
 * at the same key parse to an equal value whatever wrote them, and a write that failed leaves an
 * entry nothing will match. The value before the latest is kept with it, for an update's event. Bounded in entries and bytes as two generations: when the newer one
 * is half full it becomes the older and the older is dropped. A miss only costs the parse.
 */

interface Value {
  bytes: Buffer;
  value: object;
}

/** The latest write at a key, and the one before it (an update's event carries both). */
interface Written extends Value {
  prev: Value | undefined;
}

export interface WrittenValuesBound {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_WRITTEN_BOUND: Readonly<WrittenValuesBound> = Object.freeze({ maxEntries: 1024, maxBytes: 16 * 1024 * 1024 });

export class WrittenValues {
  private newer = new Map<string, Written>();
  private older = new Map<string, Written>();
  private newerBytes = 0;
  private readonly bound: WrittenValuesBound;

  constructor(bound: WrittenValuesBound = DEFAULT_WRITTEN_BOUND) {
    this.bound = bound;
  }

  /** `value` is frozen and parsed from `bytes`, which are being written at `key`. */
  remember(key: string, bytes: Buffer, value: unknown): void {
    if (typeof value !== 'object' || value === null || bytes.length > this.bound.maxBytes / 2) return;
    if (this.newer.size >= this.bound.maxEntries / 2 || this.newerBytes + bytes.length > this.bound.maxBytes / 2) {
      this.older = this.newer;
      this.newer = new Map();
      this.newerBytes = 0;
    }
    const inNewer = this.newer.get(key);
    const before = inNewer ?? this.older.get(key);
    // Counted again when it moves over from the older generation (which may drop it).
    if (before && !inNewer) this.newerBytes += before.bytes.length;
    this.newer.set(key, { bytes, value, prev: before && { bytes: before.bytes, value: before.value } });
    this.newerBytes += bytes.length;
  }

  /** The object written here as exactly these bytes at this key, while it is still held. */
  get(key: string, bytes: Buffer): object | undefined {
    const w = this.newer.get(key) ?? this.older.get(key);
    if (!w) return undefined;
    if (w.bytes.equals(bytes)) return w.value;
    return w.prev?.bytes.equals(bytes) ? w.prev.value : undefined;
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }
}
