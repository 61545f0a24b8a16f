/**
 * A deep-frozen copy of a value, equal to deepFreeze(JSON.parse(JSON.stringify(value))), made
 * without the parse: the SQLite store serialises every written value for its row, and the object
 * it shares with the writer's answer and the watchers used to be parsed back from that text. A
 * copy of the plain data the API layer writes is several times cheaper than the parse.
 *
 * Exact only for plain JSON data: ordinary objects and arrays, strings, booleans, null and
 * finite numbers, with object members whose value is undefined, a function or a symbol left out
 * as JSON.stringify leaves them out. For anything whose JSON form is not a plain copy (toJSON,
 * a Date, a Buffer, a class instance, undefined or a function in an array, a hole, a non-finite
 * number, a '__proto__' key, nesting past MAX_DEPTH) it returns undefined and the caller parses.
 */
const MAX_DEPTH = 512;
const NO_COPY = Symbol('no copy');

export function frozenJsonCopy(value: unknown): unknown {
  const out = copy(value, 0);
  return out === NO_COPY ? undefined : out;
}

function copy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // -0 is written as 0; NaN and the infinities as null: left to the parse.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : NO_COPY;
    case 'object':
      if (v === null) return null;
      if (depth >= MAX_DEPTH) return NO_COPY;
      return Array.isArray(v) ? copyArray(v, depth + 1) : copyObject(v as Record<string, unknown>, depth + 1);
    default:
      return NO_COPY;
  }
}

function copyArray(a: unknown[], depth: number): unknown {
  if (Object.getPrototypeOf(a) !== Array.prototype) return NO_COPY;
  const n = a.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const x = copy(a[i], depth);
    if (x === NO_COPY) return NO_COPY;
    out[i] = x;
  }
  return Object.freeze(out);
}

function copyObject(o: Record<string, unknown>, depth: number): unknown {
  const proto = Object.getPrototypeOf(o);
  if ((proto !== Object.prototype && proto !== null) || typeof o.toJSON === 'function') return NO_COPY;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const x = o[k];
    // JSON.stringify leaves these members out.
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    if (k === '__proto__') return NO_COPY;
    const c = copy(x, depth);
    if (c === NO_COPY) return NO_COPY;
    out[k] = c;
  }
  return Object.freeze(out);
}
