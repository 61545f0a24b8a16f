/**
 * A sorted array of keys (code point order, see key-range.ts) with binary search. Inserts and
 * removals splice, which is a memmove: fine for the tens of thousands of keys a control plane
 * holds, and it keeps prefix ranges and pagination a pair of index look-ups.
 */
import { compareKeys } from './key-range.ts';

export class SortedKeys {
  private keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** Index of the first key >= `key` (or of the end). */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid], key) < 0) lo = mid + 1;
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
    if (this.keys[i] !== key) this.keys.splice(i, 0, key);
  }

  remove(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  at(i: number): string {
    return this.keys[i];
  }

  slice(from: number, to: number): string[] {
    return this.keys.slice(from, to);
  }
}
