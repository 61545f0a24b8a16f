/**
 * One instance of each short string value that recurs across objects held in memory (an image
 * name, a namespace, a node name, a condition type, a timestamp, a manager name): each request or
 * watch event is parsed on its own, so every object held had its own copy (issue 12: ~20 such
 * strings, ~0.7 KB, in a bound pod and its Event). Values longer than maxLength are left alone
 * (rarely shared: messages, last-applied annotations).
 * Bounded: at maxEntries the table starts over, so strings seen once (uids, container IDs) are
 * not pinned for long and the recurring ones are learnt again at once.
 */
export interface Interner {
  (s: string): string;
  /** Strings held (tests). */
  readonly size: number;
}

export function createInterner(maxLength: number, maxEntries: number): Interner {
  let table = new Map<string, string>();
  const intern = (s: string): string => {
    if (s.length > maxLength) return s;
    const held = table.get(s);
    if (held !== undefined) return held;
    if (table.size >= maxEntries) table = new Map();
    table.set(s, s);
    return s;
  };
  return Object.defineProperty(intern, 'size', { get: () => table.size }) as Interner;
}
