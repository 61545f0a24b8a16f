/**
 * A stored custom resource as it is read: pruned and defaulted by its CRD's current schema, as
 * upstream's storage codec does on every decode from etcd (apiextensions-apiserver
 * crdConversionRESTOptionsGetter: the schema coercer prunes unknown fields, unstructuredDefaulter
 * applies defaults), in the schema of the version the object was stored in. So a default added
 * to a CRD shows in objects written before it, and a field removed from the schema disappears,
 * without rewriting them.
 *
 * Stored values are frozen and shared with the watch cache: the result is a new, deep-frozen
 * object when anything changed, else the stored value itself. It is remembered per stored value
 * and schema (a WeakMap: it lives as long as the value), so reading the same revision again costs
 * a lookup; a changed CRD brings new schema objects, so the next read works it out afresh.
 */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { applySchemaDefaults } from './defaults.ts';
import { pruneUnknown } from './prune.ts';
import { deepFreeze } from '../../storage/deep-freeze.ts';

/** What crdResourceDefs puts in ResourceDef.custom that reading needs. */
export interface CustomReadInfo {
  /** The served version's schema. */
  schema?: unknown;
  /** Every version's schema by version name, to read an object in the version it was stored in. */
  versionSchemas?: Record<string, unknown>;
}

type Obj = Record<string, any> & { metadata: Record<string, any> };

const seen = new WeakMap<object, { schema: JSONSchemaProps; out: Obj }>();

/** The schema an object stored as `apiVersion` is decoded with: its own version's, else the served one's. */
function schemaFor(custom: CustomReadInfo, value: Obj): JSONSchemaProps | undefined {
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  const byVersion = custom.versionSchemas;
  if (byVersion !== undefined && Object.hasOwn(byVersion, version)) return byVersion[version] as JSONSchemaProps | undefined;
  return custom.schema as JSONSchemaProps | undefined;
}

export function customResourceAsRead(custom: CustomReadInfo, value: Obj): Obj {
  const schema = schemaFor(custom, value);
  if (schema === undefined) return value;
  const frozen = Object.isFrozen(value);
  if (frozen) {
    const hit = seen.get(value);
    if (hit !== undefined && hit.schema === schema) return hit.out;
  }
  // Stored values are plain JSON: the text is the copy's source and the measure of a change.
  const text = JSON.stringify(value);
  const copy = JSON.parse(text) as Obj;
  pruneUnknown(schema, copy);
  applySchemaDefaults(schema, copy);
  const out = JSON.stringify(copy) === text ? value : deepFreeze(copy);
  if (frozen) seen.set(value, { schema, out });
  return out;
}
