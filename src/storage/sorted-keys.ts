/**
 * A sorted array of keys (code point order, see key-range.ts) with binary search. Inserts and
 * removals splice, which is a memmove: fine for the tens of thousands of keys a control plane
 * holds, and it keeps prefix ranges and pagination a pair of index look-ups.
 */
import { compareKeys } from './key-range.ts';

/** A UTF-16 surrogate: the one place where code unit order and code point order differ. */
const SURROGATE = /[\uD800-\uDFFF]/;

export class SortedKeys {
  private keys: string[] = [];
  /** How many keys hold a surrogate (a code point above U+FFFF). */
  private surrogateKeys = 0;

  get size(): number {
    return this.keys.length;
  }

  /** Index of the first key >= `key` (or of the end). */
  lowerBound(key: string): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    // Without surrogates on either side, the engine's own string order (UTF-16 code units) is
    // code point order: no per-character loop for the common, ASCII-only keys.
    if (this.surrogateKeys === 0 && !SURROGATE.test(key)) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! < key) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first key >= `end`, or the length when there is no end. */
  endIndex(end: string | undefined): number {
    return end === undefined ? this.keys.length : this.lowerBound(end);
  }

  insert(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] === key) return;
    this.keys.splice(i, 0, key);
    if (SURROGATE.test(key)) this.surrogateKeys++;
  }

  remove(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) return;
    this.keys.splice(i, 1);
    if (SURROGATE.test(key)) this.surrogateKeys--;
  }

  at(i: number): string {
    return this.keys[i];
  }

  slice(from: number, to: number): string[] {
    return this.keys.slice(from, to);
  }
}
