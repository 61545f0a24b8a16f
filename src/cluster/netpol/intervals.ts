/**
 * Sets of integers as sorted, disjoint, non-adjacent closed intervals. Ports (1-65535) and IPv4
 * addresses (0-2^32-1) are both sets of this kind; the policy model does all of its algebra on
 * them, so an analysis answer and an nftables rule are computed from the same sets.
 */
export type Interval = readonly [number, number];

export class IntervalSet {
  readonly intervals: readonly Interval[];

  private constructor(intervals: Interval[]) {
    this.intervals = intervals;
  }

  static readonly #EMPTY = new IntervalSet([]);

  static empty(): IntervalSet {
    return IntervalSet.#EMPTY;
  }

  static of(start: number, end: number): IntervalSet {
    return end < start ? IntervalSet.#EMPTY : new IntervalSet([[start, end]]);
  }

  static from(intervals: Iterable<Interval>): IntervalSet {
    const sorted = [...intervals].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const out: Array<[number, number]> = [];
    for (const [a, b] of sorted) {
      const last = out[out.length - 1];
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else out.push([a, b]);
    }
    return out.length === 0 ? IntervalSet.#EMPTY : new IntervalSet(out);
  }

  get isEmpty(): boolean {
    return this.intervals.length === 0;
  }

  union(o: IntervalSet): IntervalSet {
    if (o.isEmpty) return this;
    if (this.isEmpty) return o;
    return IntervalSet.from([...this.intervals, ...o.intervals]);
  }

  intersect(o: IntervalSet): IntervalSet {
    const out: Interval[] = [];
    let i = 0;
    let j = 0;
    while (i < this.intervals.length && j < o.intervals.length) {
      const [a1, b1] = this.intervals[i]!;
      const [a2, b2] = o.intervals[j]!;
      const a = Math.max(a1, a2);
      const b = Math.min(b1, b2);
      if (a <= b) out.push([a, b]);
      if (b1 < b2) i++;
      else j++;
    }
    return out.length === 0 ? IntervalSet.#EMPTY : new IntervalSet(out);
  }

  subtract(o: IntervalSet): IntervalSet {
    if (o.isEmpty || this.isEmpty) return this;
    const out: Interval[] = [];
    let j = 0;
    for (const [a0, b] of this.intervals) {
      let a = a0;
      while (j < o.intervals.length && o.intervals[j]![1] < a) j++;
      let k = j;
      while (a <= b && k < o.intervals.length && o.intervals[k]![0] <= b) {
        const [c, d] = o.intervals[k]!;
        if (c > a) out.push([a, c - 1]);
        a = Math.max(a, d + 1);
        k++;
      }
      if (a <= b) out.push([a, b]);
    }
    return out.length === 0 ? IntervalSet.#EMPTY : new IntervalSet(out);
  }

  contains(o: IntervalSet): boolean {
    return o.subtract(this).isEmpty;
  }

  equals(o: IntervalSet): boolean {
    if (this.intervals.length !== o.intervals.length) return false;
    return this.intervals.every(([a, b], i) => a === o.intervals[i]![0] && b === o.intervals[i]![1]);
  }

  has(n: number): boolean {
    return this.intervals.some(([a, b]) => a <= n && n <= b);
  }
}

