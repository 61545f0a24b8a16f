/**
 * The sorted keys (code point order, see key-range.ts) of the watch cache: prefix ranges and
 * pagination are a pair of index look-ups, and counts are a subtraction.
 *
 * One flat sorted array made every create a memmove of every key after it: O(n), 49 µs at
 * 300,000 keys, twice per pod at full size (the pod and its Event). The keys are kept instead in
 * chunks of at most CHUNK sorted keys, in order: an insert or removal searches the chunks, then
 * moves at most CHUNK keys inside one, so it is O(log n + CHUNK) whatever the store's size. A
 * global index (what lists and counts speak) is a chunk's start plus an offset; the chunk starts
 * are recomputed lazily, only from the first chunk a write changed and only when an index is
 * asked for, so a burst of writes with no list in between pays for none of it.
 */
import { compareKeys } from './key-range.ts';

/** A UTF-16 surrogate: the one place where code unit order and code point order differ. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Keys per chunk before it splits in two: a memmove of 512 pointers is well under a microsecond. */
const CHUNK = 512;
/** A chunk this small is merged into its neighbour when they fit in one, so chunks stay full. */
const SMALL = CHUNK / 4;

export class SortedKeys {
  /** Non-empty sorted chunks; every key of chunk c sorts before every key of chunk c + 1. */
  private chunks: string[][] = [];
  /** starts[c]: the global index of chunks[c][0]; correct for c < startsValid. */
  private starts: number[] = [];
  private startsValid = 0;
  private count = 0;
  /** How many keys hold a surrogate (a code point above U+FFFF). */
  private surrogateKeys = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Without surrogates on either side, the engine's own string order (UTF-16 code units) is
   * code point order: no per-character loop for the common, ASCII-only keys.
   */
  private fast(key: string): boolean {
    return this.surrogateKeys === 0 && !SURROGATE.test(key);
  }

  /** The first chunk whose last key is >= `key`, or chunks.length when there is none. */
  private chunkOf(key: string, fast: boolean): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      const last = c[c.length - 1]!;
      if (fast ? last < key : compareKeys(last, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Offset of the first key >= `key` in `chunk`. */
  private static offsetIn(chunk: string[], key: string, fast: boolean): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fast ? chunk[mid]! < key : compareKeys(chunk[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private start(c: number): number {
    const starts = this.starts;
    let i = this.startsValid;
    if (i === 0 && c >= 0) {
      starts[0] = 0;
      i = 1;
    }
    for (; i <= c; i++) starts[i] = starts[i - 1]! + this.chunks[i - 1]!.length;
    if (i > this.startsValid) this.startsValid = i;
    return starts[c]!;
  }

  private changed(c: number): void {
    this.version++;
    if (this.startsValid > c + 1) this.startsValid = c + 1;
  }

  /** Index of the first key >= `key` (or of the end). */
  lowerBound(key: string): number {
    const fast = this.fast(key);
    const c = this.chunkOf(key, fast);
    if (c === this.chunks.length) return this.count;
    return this.start(c) + SortedKeys.offsetIn(this.chunks[c]!, key, fast);
  }

  /** Index of the first key >= `end`, or the length when there is no end. */
  endIndex(end: string | undefined): number {
    return end === undefined ? this.count : this.lowerBound(end);
  }

  insert(key: string): void {
    const fast = this.fast(key);
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
    } else {
      // Past the last key: append to the last chunk.
      const c = Math.min(this.chunkOf(key, fast), chunks.length - 1);
      const chunk = chunks[c]!;
      const i = SortedKeys.offsetIn(chunk, key, fast);
      if (chunk[i] === key) return;
      chunk.splice(i, 0, key);
      if (chunk.length > CHUNK) chunks.splice(c + 1, 0, chunk.splice(CHUNK >>> 1));
      this.changed(c);
    }
    this.count++;
    if (SURROGATE.test(key)) this.surrogateKeys++;
  }

  remove(key: string): void {
    const fast = this.fast(key);
    const chunks = this.chunks;
    const c = this.chunkOf(key, fast);
    if (c === chunks.length) return;
    const chunk = chunks[c]!;
    const i = SortedKeys.offsetIn(chunk, key, fast);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    this.count--;
    if (SURROGATE.test(key)) this.surrogateKeys--;
    this.changed(c - 1);
    if (chunk.length === 0) {
      chunks.splice(c, 1);
    } else if (chunk.length < SMALL) {
      // Merge with the smaller neighbour when both fit in one chunk: deletes cannot leave
      // thousands of near-empty chunks behind.
      const prev = c > 0 ? chunks[c - 1]! : undefined;
      const next = c + 1 < chunks.length ? chunks[c + 1]! : undefined;
      if (prev && prev.length + chunk.length <= CHUNK && (!next || prev.length <= next.length)) {
        for (const k of chunk) prev.push(k);
        chunks.splice(c, 1);
      } else if (next && next.length + chunk.length <= CHUNK) {
        for (const k of next) chunk.push(k);
        chunks.splice(c + 1, 1);
      }
    }
  }

  /** The chunk holding global index `i` (0 <= i < size), and the offset in it. */
  private locate(i: number): [number, number] {
    const last = this.chunks.length - 1;
    this.start(last);
    const starts = this.starts;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return [lo, i - starts[lo]!];
  }

  /** The last index at() was asked for, where it was: reading a page in order costs no search. */
  private cursor = { index: -1, chunk: 0, offset: 0, version: -1 };
  /** Bumped by every write: a cursor from before one is stale. */
  private version = 0;

  at(i: number): string {
    if (!(i >= 0 && i < this.count)) return undefined as unknown as string;
    const cur = this.cursor;
    if (cur.version === this.version && i === cur.index + 1) {
      let chunk = this.chunks[cur.chunk]!;
      if (++cur.offset === chunk.length) {
        chunk = this.chunks[++cur.chunk]!;
        cur.offset = 0;
      }
      cur.index = i;
      return chunk[cur.offset]!;
    }
    const [c, o] = this.locate(i);
    cur.index = i;
    cur.chunk = c;
    cur.offset = o;
    cur.version = this.version;
    return this.chunks[c]![o]!;
  }

  /** Keys at indexes [from, to), in order. */
  *range(from: number, to: number): Generator<string> {
    to = Math.min(to, this.count);
    for (let i = Math.max(0, from); i < to; i++) yield this.at(i);
  }

  slice(from: number, to: number): string[] {
    return Array.from(this.range(Math.max(0, from), to));
  }
}
