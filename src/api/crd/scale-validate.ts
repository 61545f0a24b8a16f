/**
 * The scale subresource's invariants on a custom resource, after apiextensions'
 * ValidateScaleSpec/ValidateScaleStatus: replicas at the configured paths are int32-range
 * non-negative integers, the label selector a string.
 */
import type { FieldError } from '../validation/field-errors.ts';
import { invalid } from '../validation/field-errors.ts';
import type { ScaleInfo } from './crd-version-info.ts';
import { isJsonObject } from './json-schema-props.ts';

const MAX_INT32 = 2147483647;

/** Go's %T of a decoded JSON value. */
function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

type Nested = { found: false } | { found: true; value: unknown } | { error: string };

/** unstructured.NestedFieldNoCopy over a JSONPath like .spec.replicas. */
function nested(obj: Record<string, unknown>, jsonPath: string): Nested {
  const fields = jsonPath.replace(/^\./, '').split('.');
  let cur: unknown = obj;
  for (const [i, f] of fields.entries()) {
    if (cur === null || cur === undefined) return { found: false };
    if (!isJsonObject(cur)) {
      const at = '.' + fields.slice(0, i).join('.');
      return { error: `${at} accessor error: ${String(cur)} is of the type ${goType(cur)}, expected map[string]interface{}` };
    }
    if (!Object.hasOwn(cur, f)) return { found: false };
    cur = cur[f];
  }
  return { found: true, value: cur };
}

function checkReplicas(obj: Record<string, unknown>, jsonPath: string): FieldError[] {
  if (jsonPath === '') return [];
  const r = nested(obj, jsonPath);
  if ('error' in r) return [invalid(jsonPath, 0, r.error)];
  if (!r.found || r.value === null) return [];
  const v = r.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const msg = `${jsonPath} accessor error: ${String(v)} is of the type ${goType(v)}, expected int64`;
    return [invalid(jsonPath, 0, msg)];
  }
  if (v < 0) return [invalid(jsonPath, v, 'should be a non-negative integer')];
  if (v > MAX_INT32) return [invalid(jsonPath, v, `should be less than or equal to ${MAX_INT32}`)];
  return [];
}

export function validateScale(obj: Record<string, unknown>, scale: ScaleInfo | undefined): FieldError[] {
  if (scale === undefined) return [];
  const errs = [...checkReplicas(obj, scale.specReplicasPath), ...checkReplicas(obj, scale.statusReplicasPath)];
  const sel = scale.labelSelectorPath;
  if (sel) {
    const r = nested(obj, sel);
    if ('error' in r) errs.push(invalid(sel, '', r.error));
    else if (r.found && r.value !== null && typeof r.value !== 'string') {
      errs.push(invalid(sel, '', `${sel} accessor error: ${String(r.value)} is of the type ${goType(r.value)}, expected string`));
    }
  }
  return errs;
}
