/**
 * The compiled index's trie edges, (node, value id) -> the child's node record, in one
 * open-addressed Int32Array. A Map per node costs several cache misses per lookup at 100k lines
 * (the map object, its bucket, its entry, the key, then the child object); here a lookup is one
 * hash and, almost always, one cache line, which holds the child's record too. Filled once at
 * build; never grows after.
 */
export class ChildTable {
  /**
   * 8 ints per slot (two slots to a cache line when the array is 64-byte aligned): node (-1:
   * empty), value id, then the child's record (RECORD ints, flat-trie.ts).
   */
  readonly slots: Int32Array;
  readonly #mask: number;
  readonly #shift: number;

  /** Room for `edges` edges at a load of at most one half. */
  constructor(edges: number) {
    let bits = 4;
    while (1 << bits < edges * 2) bits++;
    this.slots = new Int32Array((1 << bits) * 8).fill(-1);
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
  }

  #home(node: number, id: number): number {
    // Fibonacci hashing of both keys: the top bits of the product are well mixed.
    return Math.imul(Math.imul(node, 0x9e3779b1) ^ id, 0x85ebca6b) >>> this.#shift;
  }

  /** Adds an edge (once); returns where in `slots` its record (RECORD ints) is to be written, as find() returns it. */
  add(node: number, id: number): number {
    const s = this.slots;
    for (let i = this.#home(node, id); ; i = (i + 1) & this.#mask) {
      const k = i << 3;
      if (s[k] === node && s[k + 1] === id) throw new Error(`ChildTable: edge ${node}/${id} added twice`);
      if (s[k] === -1) {
        s[k] = node;
        s[k + 1] = id;
        return k + 2;
      }
    }
  }

  /** Where the edge's record starts in `slots`, or -1 when there is no such edge. */
  find(node: number, id: number): number {
    const s = this.slots;
    for (let i = this.#home(node, id); ; i = (i + 1) & this.#mask) {
      const k = i << 3;
      const n = s[k]!;
      if (n === node && s[k + 1] === id) return k + 2;
      if (n === -1) return -1;
    }
  }
}

/** The ints of a node's fields, and of a record: its fields then its "*" child's (flat-trie.ts). */
export const NODE = 3;
export const RECORD = 2 * NODE;
