/**
 * The compiled index's trie edges, (node, value id) -> child node, in one open-addressed
 * Int32Array. A Map per node costs several cache misses per lookup at 100k lines (the map
 * object, its bucket, its entry, the key); here a lookup is one hash and, almost always, one
 * cache line. Filled once at build; never grows after.
 */
export class ChildTable {
  /** 4 ints per slot: node (-1: empty), value id, child, unused (a slot never spans two lines). */
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #shift: number;

  /** Room for `edges` edges at a load of at most one half. */
  constructor(edges: number) {
    let bits = 4;
    while (1 << bits < edges * 2) bits++;
    this.#slots = new Int32Array((1 << bits) * 4).fill(-1);
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
  }

  #home(node: number, id: number): number {
    // Fibonacci hashing of both keys: the top bits of the product are well mixed.
    return Math.imul(Math.imul(node, 0x9e3779b1) ^ id, 0x85ebca6b) >>> this.#shift;
  }

  set(node: number, id: number, child: number): void {
    const s = this.#slots;
    for (let i = this.#home(node, id); ; i = (i + 1) & this.#mask) {
      const k = i << 2;
      if (s[k] === -1 || (s[k] === node && s[k + 1] === id)) {
        s[k] = node;
        s[k + 1] = id;
        s[k + 2] = child;
        return;
      }
    }
  }

  /** The child, or -1. */
  get(node: number, id: number): number {
    const s = this.#slots;
    for (let i = this.#home(node, id); ; i = (i + 1) & this.#mask) {
      const k = i << 2;
      const n = s[k]!;
      if (n === node && s[k + 1] === id) return s[k + 2]!;
      if (n === -1) return -1;
    }
  }
}
