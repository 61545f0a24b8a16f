/**
 * Principal name -> the compiled index's record of the trie node where that principal's lines
 * start (RECORD ints, as CompiledIndex.runFrom reads them), in one open-addressed Int32Array.
 *
 * Why not a Map<string, number> and the record in the edge table: at 100k policy lines a
 * decision is bound by memory latency, and a JS Map lookup of a fresh request string reads its
 * bucket, its entry and the stored key (each a cache miss on a large heap), then the record is a
 * fourth. Here the hash (computed from the request string's characters, which are in cache) picks
 * a slot that holds the hash and the record together: one cache line, and the stored name is
 * read only to confirm a slot whose hash already matched. A name with no lines usually costs that
 * one line alone. Built once per policy generation; never grows after.
 */
import { RECORD } from './child-table.ts';

/** Ints per slot: the name's hash, then its record (RECORD ints; first int -1: empty slot), then unused. */
const SLOT = 8;

export class NameTable {
  readonly slots: Int32Array;
  /** The name in each slot, to confirm a hash match (a different name may share a hash). */
  readonly #names: (string | undefined)[];
  readonly #mask: number;
  readonly #shift: number;

  /** Room for `size` names at a load of at most one half. */
  constructor(size: number) {
    let bits = 4;
    while (1 << bits < size * 2) bits++;
    this.slots = new Int32Array((1 << bits) * SLOT).fill(-1);
    this.#names = new Array<string | undefined>(1 << bits).fill(undefined);
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
  }

  /** Adds a name (once) with its record. */
  add(name: string, record: ArrayLike<number>): void {
    if (record.length !== RECORD || record[0]! < 0) throw new Error(`NameTable: bad record for ${name}`);
    const h = hashName(name);
    const s = this.slots;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.#shift; ; i = (i + 1) & this.#mask) {
      const k = i * SLOT;
      if (s[k + 1] === -1) {
        s[k] = h;
        for (let j = 0; j < RECORD; j++) s[k + 1 + j] = record[j]!;
        this.#names[i] = name;
        return;
      }
      if (s[k] === h && this.#names[i] === name) throw new Error(`NameTable: ${name} added twice`);
    }
  }

  /** Where the name's record starts in `slots`, or -1 when the name is not there. */
  find(name: string): number {
    const h = hashName(name);
    const s = this.slots;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.#shift; ; i = (i + 1) & this.#mask) {
      const k = i * SLOT;
      if (s[k + 1] === -1) return -1;
      if (s[k] === h && this.#names[i] === name) return k + 1;
    }
  }
}

/** FNV-1a over the UTF-16 code units: a few ns for a principal's name, no allocation. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}
