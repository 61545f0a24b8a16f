/**
 * Keep better-sqlite3's native wrappers (Database, Statement) reachable for the life of the
 * process.
 *
 * Why: with better-sqlite3 12.x on Node >= 24.19, a wrapper finalised by a garbage collection
 * that runs outside JavaScript (an idle-time GC task) aborts the whole process
 * (`Assertion failed: (env) != nullptr` in node::RemoveEnvironmentCleanupHook from
 * ~Statement). Seen here as a crashed child in the crash test. better-sqlite3 13 (N-API) fixes
 * it; until the project moves to it, never let one become garbage. The store creates a fixed
 * set per open (one Database, a few dozen statements), avoids `.iterate()` (its iterator is such
 * a wrapper too) and `db.pragma()`/`db.transaction()` (they prepare statements behind our back),
 * so what this holds is bounded by the number of stores opened.
 */
const retained: object[] = [];

export function retain<T extends object>(native: T): T {
  retained.push(native);
  return native;
}
