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

/** Verdicts per frozen stored value (the watch cache shares them immutably): each is checked once. */
const checked = new WeakMap<object, object>();

/**
 * The object itself when its managedFields are fine (the common case: no copy), else a shallow
 * copy without them. Never walks anything but managedFields, and never recursively.
 */
export function withDecodableManagedFields<T extends object>(obj: T): T {
  const hit = checked.get(obj);
  if (hit) return hit as T;
  const meta = (obj as { metadata?: unknown }).metadata;
  let out: T = obj;
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
    const mf = (meta as Record<string, unknown>).managedFields;
    if (mf !== undefined && exceedsDepth(mf, MANAGED_FIELDS_DEPTH)) {
      const { managedFields: _dropped, ...rest } = meta as Record<string, unknown>;
      out = { ...obj, metadata: rest };
    }
  }
  if (Object.isFrozen(obj)) checked.set(obj, out);
  return out;
}

/** Whether the stored object carries managedFields that withDecodableManagedFields drops. */
export function hasUndecodableManagedFields(obj: object): boolean {
  return withDecodableManagedFields(obj) !== obj;
}
