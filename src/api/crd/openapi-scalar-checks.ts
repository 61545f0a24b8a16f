/**
 * kube-openapi's checks on scalar values (string, number, enum) and the field/message conventions
 * apiextensions uses when turning its errors into field errors.
 */
import type { FieldError } from '../validation/field-errors.ts';
import { invalid, notSupported, tooLong } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { goFloat, goInt } from './go-number.ts';
import { jsonEqual } from '../json-equal.ts';
import { compileRe2 } from '../../cel/re2.ts';

/** kube-openapi's `in` for request bodies, part of every message. */
export const IN = 'in body';

/** The field of an error named by a kube-openapi path; upstream prints a nil path as <nil>. */
export function fieldOf(name: string): string {
  const f = name.startsWith('.') ? name.slice(1) : name;
  return f === '' ? '<nil>' : f;
}

export function checkString(s: JSONSchemaProps, data: string, name: string): FieldError[] {
  const f = fieldOf(name);
  const runes = [...data].length;
  if (s.maxLength !== undefined && runes > s.maxLength) return [tooLong(f, data, s.maxLength)];
  if (s.minLength !== undefined && runes < s.minLength) {
    return [invalid(f, data, `${name} ${IN} should be at least ${s.minLength} chars long`)];
  }
  if (s.pattern !== undefined && s.pattern !== '') {
    // RE2, as upstream: linear in the input, so a tenant's string cannot stall the server.
    const re = compileRe2(s.pattern);
    if (!re.ok) return [invalid(f, data, `${name} ${IN} should match '${s.pattern}, but pattern is invalid: ${re.error}'`)];
    if (!re.re.matcher(data).find()) return [invalid(f, data, `${name} ${IN} should match '${s.pattern}'`)];
  }
  return [];
}

/** swag.IsFloat64AJSONInteger: integral within a relative error of 1e-9. */
function isJsonInteger(f: number): boolean {
  if (!Number.isFinite(f)) return false;
  const g = Math.trunc(f);
  if (f === g) return true;
  const diff = Math.abs(f - g);
  return diff / Math.min(Math.abs(f) + Math.abs(g), Number.MAX_VALUE) < 1e-9;
}

export function checkNumber(s: JSONSchemaProps, data: number, name: string): FieldError[] {
  const f = fieldOf(name);
  const errs: FieldError[] = [];
  const isInt = Number.isInteger(data);
  if (s.multipleOf !== undefined) {
    const factor = s.multipleOf;
    if (isInt && Math.trunc(factor) !== 0) {
      const fi = Math.trunc(factor);
      if (fi < 0) errs.push(invalid(f, fi, `factor MultipleOf declared for ${name} must be positive: ${goInt(fi)}`));
      else if (data % fi !== 0) errs.push(invalid(f, data, `${name} ${IN} should be a multiple of ${goInt(fi)}`));
    } else if (factor < 0) {
      errs.push(invalid(f, factor, `factor MultipleOf declared for ${name} must be positive: ${goFloat(factor)}`));
    } else {
      const mult = factor < 1 ? (1 / factor) * data : data / factor;
      if (!isJsonInteger(mult)) errs.push(invalid(f, data, `${name} ${IN} should be a multiple of ${goFloat(factor)}`));
    }
  }
  // Integer data is compared with the limit truncated to int64, as kube-openapi's native-type path does.
  const limit = (n: number): number => (isInt ? Math.trunc(n) : n);
  const show = (n: number): string => (isInt ? goInt(n) : goFloat(n));
  if (s.minimum !== undefined) {
    const min = limit(s.minimum);
    if (s.exclusiveMinimum ? data <= min : data < min) {
      const rel = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      errs.push(invalid(f, data, `${name} ${IN} should be ${rel} ${show(min)}`));
    }
  }
  if (s.maximum !== undefined) {
    const max = limit(s.maximum);
    if (s.exclusiveMaximum ? data >= max : data > max) {
      const rel = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
      errs.push(invalid(f, data, `${name} ${IN} should be ${rel} ${show(max)}`));
    }
  }
  return errs;
}

export function checkEnum(s: JSONSchemaProps, data: unknown, name: string): FieldError[] {
  const values = s.enum;
  if (values === undefined || values.length === 0) return [];
  if (data !== null && data !== undefined && values.some((v) => jsonEqual(v, data))) return [];
  const shown = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return [notSupported(fieldOf(name), data ?? null, shown)];
}

