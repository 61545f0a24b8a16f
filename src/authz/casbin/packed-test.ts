/**
 * The compiled index's function terms (keyMatch(r.resource, p.resource), labelMatch, …) as tests
 * over a packed line: the request's values, and the line's policy values by slot.
 */
import { Util } from 'casbin';
import type { Term } from './matcher-terms.ts';

/** A function term over a packed line: its policy arguments from their slots at `at`. */
export function packedTest(t: Extract<Term, { kind: 'fn' }>, slotOf: ReadonlyMap<number, number>): (r: readonly unknown[], strs: readonly string[], at: number) => boolean {
  const pick = (a: { r: number } | { p: number }) => {
    if ('r' in a) return (r: readonly unknown[]) => r[a.r];
    const slot = slotOf.get(a.p)!;
    return (_r: readonly unknown[], strs: readonly string[], at: number) => strs[at + slot];
  };
  const [x, y] = t.args.map(pick);
  const [a0, a1] = t.args;
  if (t.fn === Util.keyMatchFunc && a0 && 'r' in a0 && a1 && 'p' in a1) {
    // The usual resource wildcard: casbin's keyMatch without its rest arguments and slices.
    const slot = slotOf.get(a1.p)!;
    return (r, strs, at) => {
      const key1 = r[a0.r];
      return typeof key1 === 'string' ? keyMatchStrings(key1, strs[at + slot]!) : !!t.fn(key1, strs[at + slot]);
    };
  }
  if (t.args.length === 2) return (r, strs, at) => !!t.fn(x!(r, strs, at), y!(r, strs, at));
  const all = t.args.map(pick);
  return (r, strs, at) => !!t.fn(...all.map((g) => g(r, strs, at)));
}

/** casbin's keyMatch(key1, key2) on two strings: key2 up to its first "*" starts key1 (no "*": they are equal). */
export function keyMatchStrings(key1: string, key2: string): boolean {
  const star = key2.indexOf('*');
  if (star < 0) return key1 === key2;
  if (key1.length < star) return false;
  for (let i = 0; i < star; i++) if (key1.charCodeAt(i) !== key2.charCodeAt(i)) return false;
  return true;
}
