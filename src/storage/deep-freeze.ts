/**
 * Deep-freezes a freshly parsed JSON value in place, so one copy can be shared by the writer's
 * answer, the watch cache and every watcher: no reader can change what another sees (a mutation
 * throws). Iterative: nesting depth is bounded by the decoders, but no recursion is needed.
 *
 * An empty object or array below the root is replaced by one shared frozen instance (the one
 * frozen-json-copy.ts uses too): every stored object is held in memory by the watch cache, and a
 * pod's managedFields alone has ~50 `{}` leaves of ~56 bytes each. The one replaced is frozen as
 * well, for whoever still holds it. Short string values become their shared instance (intern.ts).
 */
import { intern } from './intern.ts';

export const EMPTY_OBJECT: object = Object.freeze({});
export const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);

export function deepFreeze<T>(v: T): T {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object' || Object.isFrozen(x)) continue;
    const o = x as Record<string, unknown>;
    for (const k in o) {
      const c = o[k];
      if (typeof c === 'string') {
        const s = intern(c);
        if (s !== c) o[k] = s;
        continue;
      }
      if (c === null || typeof c !== 'object' || Object.isFrozen(c)) continue;
      const empty = emptyOf(c);
      if (empty) {
        Object.freeze(c);
        o[k] = empty;
      } else {
        stack.push(c);
      }
    }
    Object.freeze(o);
  }
  return v;
}

/** The shared instance to use for `c` when it is an empty plain object or array. */
function emptyOf(c: object): object | undefined {
  if (Array.isArray(c)) return c.length === 0 && Object.getPrototypeOf(c) === Array.prototype ? EMPTY_ARRAY : undefined;
  if (Object.getPrototypeOf(c) !== Object.prototype) return undefined;
  for (const _ in c) return undefined;
  // No enumerable member, but a non-enumerable one would be lost by the swap: keep those.
  return Object.getOwnPropertyNames(c).length === 0 && Object.getOwnPropertySymbols(c).length === 0 ? EMPTY_OBJECT : undefined;
}
