/**
 * A hash table from five small integers to an integer and a payload, in one flat Int32Array:
 * open addressing with linear probing, so a lookup reads one or two adjacent cache lines of one
 * contiguous buffer. A JS Map per role or per principal would visit the map object, its bucket
 * and its entries, and compare the key strings, in several places of a large heap: at 10k
 * bindings and 100k rules those places are cache and TLB misses, and the misses are most of a
 * decision's time. The RBAC index keeps its rules and its principals' bindings in two of these.
 */

const EMPTY = -1;
/** Int32 cells per entry: five key parts and the value. */
const WIDTH = 6;

export class FlatTable<T> {
  /** [k0, k1, k2, k3, k4, value] per entry; k0 EMPTY marks a free entry (k0 is never negative). */
  #cells: Int32Array;
  /** Each entry's payload, in the same position. */
  #payloads: (T | undefined)[];
  #mask: number;
  #size = 0;

  constructor(capacity = 1024) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(16, capacity)));
    this.#cells = new Int32Array(cap * WIDTH).fill(EMPTY);
    this.#payloads = new Array<T | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** The entry holding the key, or -1. */
  find(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const cells = this.#cells;
    const mask = this.#mask;
    for (let i = hash(k0, k1, k2, k3, k4) & mask; ; i = (i + 1) & mask) {
      const at = i * WIDTH;
      const s = cells[at]!;
      if (s === EMPTY) return -1;
      if (s === k0 && cells[at + 1] === k1 && cells[at + 2] === k2 && cells[at + 3] === k3 && cells[at + 4] === k4) return i;
    }
  }

  value(entry: number): number {
    return this.#cells[entry * WIDTH + 5]!;
  }

  payload(entry: number): T | undefined {
    return this.#payloads[entry];
  }

  /** Adds or replaces the key's value and payload. */
  set(k0: number, k1: number, k2: number, k3: number, k4: number, value: number, payload: T | undefined): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    const cells = this.#cells;
    const mask = this.#mask;
    let i = hash(k0, k1, k2, k3, k4) & mask;
    for (; ; i = (i + 1) & mask) {
      const at = i * WIDTH;
      const s = cells[at]!;
      if (s === EMPTY) {
        this.#size++;
        break;
      }
      if (s === k0 && cells[at + 1] === k1 && cells[at + 2] === k2 && cells[at + 3] === k3 && cells[at + 4] === k4) break;
    }
    const at = i * WIDTH;
    cells[at] = k0;
    cells[at + 1] = k1;
    cells[at + 2] = k2;
    cells[at + 3] = k3;
    cells[at + 4] = k4;
    cells[at + 5] = value;
    this.#payloads[i] = payload;
  }

  /** Removes the key if present, shifting later entries of its probe run back (no tombstones). */
  delete(k0: number, k1: number, k2: number, k3: number, k4: number): void {
    let i = this.find(k0, k1, k2, k3, k4);
    if (i === -1) return;
    const cells = this.#cells;
    const mask = this.#mask;
    this.#size--;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const at = j * WIDTH;
      if (cells[at] === EMPTY) break;
      const home = hash(cells[at]!, cells[at + 1]!, cells[at + 2]!, cells[at + 3]!, cells[at + 4]!) & mask;
      // Entry j may fill hole i only if its home is not cyclically within (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      cells.copyWithin(i * WIDTH, at, at + WIDTH);
      this.#payloads[i] = this.#payloads[j];
      i = j;
    }
    cells[i * WIDTH] = EMPTY;
    this.#payloads[i] = undefined;
  }

  clear(): void {
    this.#cells.fill(EMPTY);
    this.#payloads.fill(undefined);
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#cells;
    const oldPayloads = this.#payloads;
    const cap = (this.#mask + 1) * 2;
    this.#cells = new Int32Array(cap * WIDTH).fill(EMPTY);
    this.#payloads = new Array<T | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
    this.#size = 0;
    for (let i = 0; i < oldPayloads.length; i++) {
      const at = i * WIDTH;
      if (old[at] !== EMPTY) this.set(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!, old[at + 4]!, old[at + 5]!, oldPayloads[i]);
    }
  }
}

/** A 32-bit mix of the five numbers (murmur3's finalizer), so neighbouring keys spread out. */
function hash(k0: number, k1: number, k2: number, k3: number, k4: number): number {
  let h = Math.imul(Math.imul(Math.imul(Math.imul(k0, 0x9e3779b1) ^ k1, 0x85ebca6b) ^ k2, 0xc2b2ae35) ^ k3, 0x27d4eb2f) ^ k4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
