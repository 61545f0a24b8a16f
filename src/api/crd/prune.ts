/**
 * Pruning of fields a structural schema does not specify, after apiextensions'
 * pruning.PruneWithOptions. The root is treated as an embedded resource, so its apiVersion, kind
 * and metadata survive (metadata is never pruned here). Below an x-kubernetes-preserve-unknown-fields
 * node unknown fields are kept but known ones are still pruned inside.
 *
 * Returns the removed paths, sorted, in upstream's form (spec.foo, spec.items[0].bar, spec.map.key.x)
 * for `unknown field "..."` warnings and strict field validation.
 */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';
import { MAX_SCHEMA_DEPTH } from './openapi-validate.ts';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

const appendKey = (parent: string, k: string): string => (parent === '' ? k : `${parent}.${k}`);

/** TypeMeta and ObjectMeta of an embedded resource stay when well-typed; upstream prunes them otherwise. */
function isKeptMeta(s: JSONSchemaProps, k: string, v: unknown): boolean {
  if (!s['x-kubernetes-embedded-resource']) return false;
  if (k === 'apiVersion' || k === 'kind') return typeof v === 'string';
  return k === 'metadata' && isJsonObject(v);
}

function prune(x: unknown, s: JSONSchemaProps | undefined, at: string, depth: number, out: string[]): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (s?.['x-kubernetes-preserve-unknown-fields']) {
    skipPrune(x, s, at, depth, out);
    return;
  }
  if (isJsonObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (s !== undefined && isKeptMeta(s, k, v)) continue;
      const prop = propertySchema(s, k);
      if (prop !== undefined) prune(v, prop, appendKey(at, k), depth + 1, out);
      else if (s?.additionalProperties !== undefined && s.additionalProperties !== false) {
        prune(v, additionalSchema(s), appendKey(at, k), depth + 1, out);
      } else {
        // A dropped root apiVersion/kind/metadata of the wrong type is not an "unknown field".
        if (!META_FIELDS.has(k) || at !== '') out.push(appendKey(at, k));
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    x.forEach((v, i) => prune(v, items, `${at}[${i}]`, depth + 1, out));
  }
}

function skipPrune(x: unknown, s: JSONSchemaProps, at: string, depth: number, out: string[]): void {
  if (isJsonObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (isKeptMeta(s, k, v)) continue;
      const prop = propertySchema(s, k);
      if (prop !== undefined) prune(v, prop, appendKey(at, k), depth + 1, out);
      else {
        const extra = additionalSchema(s);
        if (extra !== undefined) prune(v, extra, appendKey(at, k), depth + 1, out);
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    if (items !== undefined) x.forEach((v, i) => skipPrune(v, items, `${at}[${i}]`, depth + 1, out));
  }
}

/** Removes unspecified fields from `obj` in place; `obj` is a whole custom resource. */
export function pruneUnknown(schema: JSONSchemaProps | undefined, obj: unknown): string[] {
  const root: JSONSchemaProps = { ...(schema ?? {}), 'x-kubernetes-embedded-resource': true };
  const out: string[] = [];
  prune(obj, root, '', 0, out);
  return out.sort();
}
