/**
 * Structural equality of JSON values (Go's reflect.DeepEqual on decoded content): key order is
 * ignored, and a key whose value is undefined counts as absent, so objects built with
 * `{ ...o, k: undefined }` compare as if k were deleted. Own keys only (`__proto__` is data).
 * Iterative, with an explicit stack of pairs: it compares stored objects, which may be nested
 * deeper than the call stack allows.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  // The loop's first step, before its stack is allocated: most calls compare scalars (every leaf
  // of a managedFields comparison) or one shared object.
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const yy = y as unknown[];
      if (x.length !== yy.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], yy[i]]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const xk = Object.keys(xo).filter((k) => xo[k] !== undefined);
    let yn = 0;
    for (const k of Object.keys(yo)) if (yo[k] !== undefined) yn++;
    if (xk.length !== yn) return false;
    for (const k of xk) {
      if (!Object.hasOwn(yo, k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}
