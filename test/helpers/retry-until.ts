/**
 * Runs `attempt` until `ok` holds of its answer or the tries are spent, and returns the last
 * answer either way, so the test's own assertion on it says what went wrong. For what reaches a
 * component through a watch (policies, bindings): bounded by tries, not by a timing assertion.
 */
export async function retryUntil<T>(attempt: () => Promise<T>, ok: (v: T) => boolean, tries = 200, everyMs = 25): Promise<T> {
  let v = await attempt();
  for (let i = 0; i < tries && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = await attempt();
  }
  return v;
}
