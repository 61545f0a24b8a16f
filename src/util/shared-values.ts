/**
 * Hash-consing of JSON values kept frozen in memory (issue 12: an informer holding 150,000 pods):
 * two parsed objects equal in content become one frozen object, shared, and short strings one
 * instance (src/util/interner.ts). A pod's containers, tolerations, security context, resources,
 * label sets and conditions repeat across pods; parsed from each watch event, each pod had its own.
 * Only for values that are never changed in place (deep-frozen caches): a shared object is
 * frozen on entry, and identity no longer tells two pods' equal parts apart.
 * Bounded: objects are looked up by a key built from their members (strings and numbers as they
 * are, nested objects by a number given to each shared one), at most maxEntries keys of at most
 * maxKeyLength characters; at maxEntries the table starts over (what is shared stays shared, the
 * recurring parts are learnt again at once), a longer key is not kept.
 */
import { createInterner, type Interner } from './interner.ts';

export interface SharedValues {
  /**
   * The shared form of a JSON value: an equal frozen object already held, else a frozen copy of
   * it with its members shared (the argument is not changed).
   */
  share<T>(v: T): T;
  /** The members of a (not frozen) copy of `obj` shared, the copy itself not: for objects unique by nature (a pod, its metadata). */
  shareMembers<T extends object>(obj: T): T;
  /** Objects held by key (tests). */
  readonly size: number;
}

export interface SharedValuesOptions {
  maxEntries?: number;
  maxKeyLength?: number;
  /** Strings longer than this are not interned (default 128). */
  maxStringLength?: number;
}

export function createSharedValues(o: SharedValuesOptions = {}): SharedValues {
  const maxEntries = o.maxEntries ?? 16_384;
  const maxKeyLength = o.maxKeyLength ?? 1_024;
  const strings: Interner = createInterner(o.maxStringLength ?? 128, maxEntries);
  let table = new Map<string, object>();
  // Identity of each shared object in its parents' keys; weak, so it goes with the object.
  const ids = new WeakMap<object, number>();
  let nextId = 0;

  /** A member's part of its parent's key: unambiguous, as every string is length-prefixed. */
  const part = (v: unknown): string => {
    switch (typeof v) {
      case 'string': return `s${v.length}:${v}`;
      case 'number': return `n${v};`;
      case 'boolean': return v ? 't' : 'f';
      case 'object': return v === null ? 'z' : `#${ids.get(v) ?? 'x'};`;
      default: return 'u';
    }
  };

  const shareValue = (v: unknown): unknown => {
    if (typeof v === 'string') return strings(v);
    if (v === null || typeof v !== 'object') return v;
    if (ids.has(v)) return v;
    let key: string;
    let copy: object;
    let unshared = false;
    if (Array.isArray(v)) {
      const items = v.map(shareValue);
      key = '[';
      for (const x of items) {
        if (x !== null && typeof x === 'object' && !ids.has(x)) unshared = true;
        key += part(x);
      }
      copy = items;
    } else {
      const members: Record<string, unknown> = {};
      key = '{';
      for (const [name, x] of Object.entries(v)) {
        const s = shareValue(x);
        if (s !== null && typeof s === 'object' && !ids.has(s)) unshared = true;
        members[name] = s;
        key += `${name.length}:${name}${part(s)}`;
      }
      copy = members;
    }
    Object.freeze(copy);
    // A member too big to be held by key makes its parent unique too: only its members are shared.
    if (unshared || key.length > maxKeyLength) return copy;
    const held = table.get(key);
    if (held) return held;
    if (table.size >= maxEntries) table = new Map();
    table.set(key, copy);
    ids.set(copy, nextId++);
    return copy;
  };

  return {
    share: <T>(v: T): T => shareValue(v) as T,
    shareMembers<T extends object>(obj: T): T {
      const out: Record<string, unknown> = {};
      for (const [name, x] of Object.entries(obj)) out[name] = shareValue(x);
      return out as T;
    },
    get size() {
      return table.size;
    },
  };
}
