/**
 * Stored objects whose managedFields cannot be decoded, as an older server (or a direct write
 * to the store) may have left them: nested deeper than any admitted object, they would overflow
 * the stack of every copy, comparison and field-set walk on the write path, so that nobody,
 * cluster-admin and the namespace controller included, could update or delete the object.
 * Upstream's field manager treats managedFields it cannot decode as empty
 * (decodeLiveOrNew/emptyManagedFieldsOnErr); here they are dropped from the object as it is read,
 * so the next write stores it without them.
 */
import { exceedsDepth } from '../codecs/depth.ts';
import { MAX_NESTING_DEPTH } from '../codecs/limits.ts';

/** managedFields sit at depth 3 of the object (object, metadata, list). */
const MANAGED_FIELDS_DEPTH = MAX_NESTING_DEPTH - 2;

/**
 * The object itself when its managedFields are fine (the common case: no copy), else a shallow
 * copy without them. Never walks anything but managedFields, and never recursively deeper than
 * the bound. No memo of every value: the walk is ~1 us for a bound pod's managedFields and
 * allocates nothing, while a WeakMap of verdicts keyed by every frozen stored value the server
 * ever read (at 5,000 nodes / 150,000 pods about a million: each pod version, each Lease renewal)
 * stopped the event loop for 300-470 ms whenever V8 grew and rehashed it (five times in a
 * full-size run's CPU profile; one WeakMap.set growing a 1.4 million-entry map takes ~365 ms here).
 */
export function withDecodableManagedFields<T extends object>(obj: T): T {
  const meta = (obj as { metadata?: unknown }).metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return obj;
  const mf = (meta as Record<string, unknown>).managedFields;
  if (mf === undefined) return obj;
  const hit = recent.get(obj);
  if (hit) return hit as T;
  const out = exceedsDepth(mf, MANAGED_FIELDS_DEPTH) ? withoutManagedFields(obj, meta as Record<string, unknown>) : obj;
  if (Object.isFrozen(obj)) remember(obj, out);
  return out;
}

/**
 * But every watcher of an event calls this on the same frozen value (watch.ts onEvent ->
 * toApiObject, twice for a MODIFIED one under a selector), and a tenant's object can carry large
 * managedFields (a ConfigMap of 50,000 keys: ~9.5 ms a walk): 250 watches of its namespace (the
 * per-user limit) made each write hold the event loop for seconds. So the last few thousand
 * verdicts are kept, in a map replaced before it grows large (a rehash of RECENT entries is cheap).
 */
const RECENT = 4096;
let recent = new WeakMap<object, object>();
let remembered = 0;

function remember(obj: object, out: object): void {
  if (++remembered > RECENT) {
    recent = new WeakMap();
    remembered = 1;
  }
  recent.set(obj, out);
}

function withoutManagedFields<T extends object>(obj: T, meta: Record<string, unknown>): T {
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/** Whether the stored object carries managedFields that withDecodableManagedFields drops. */
export function hasUndecodableManagedFields(obj: object): boolean {
  return withDecodableManagedFields(obj) !== obj;
}
