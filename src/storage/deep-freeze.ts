/**
 * Deep-freezes a freshly parsed JSON value in place, so one copy can be shared by the writer's
 * answer, the watch cache and every watcher: no reader can change what another sees (a mutation
 * throws). Iterative: nesting depth is bounded by the decoders, but no recursion is needed.
 */
export function deepFreeze<T>(v: T): T {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object' || Object.isFrozen(x)) continue;
    Object.freeze(x);
    for (const k in x as Record<string, unknown>) stack.push((x as Record<string, unknown>)[k]);
  }
  return v;
}
