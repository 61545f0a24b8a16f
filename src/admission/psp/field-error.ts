/**
 * Field errors as upstream prints them (apimachinery field.Error): `path: Invalid value: v: detail`,
 * `path: Required value: detail`, `path: Forbidden: detail`. Invalid values are printed the way Go's
 * fmt would print the typed value, so callers say which Go type the value had.
 */
import { goQuote } from '../pod-security/format.ts';

/** How a bad value is printed: a scalar (%v), a string (%q), or a Go slice literal (%#v). */
export type GoValue =
  | { kind: 'scalar'; value: number | boolean | null | undefined }
  | { kind: 'string'; value: string }
  | { kind: 'slice'; type: string; items: readonly (string | number)[] | null | undefined };

export interface FieldError {
  readonly field: string;
  readonly text: string;
}

function body(v: GoValue): string {
  if (v.kind === 'string') return goQuote(v.value);
  if (v.kind === 'scalar') return v.value === null || v.value === undefined ? '"null"' : String(v.value);
  if (v.items === null || v.items === undefined) return `${v.type}(nil)`;
  return `${v.type}{${v.items.map((i) => (typeof i === 'string' ? goQuote(i) : String(i))).join(', ')}}`;
}

export function invalid(field: string, value: GoValue, detail: string): FieldError {
  return { field, text: `${field}: Invalid value: ${body(value)}${detail ? `: ${detail}` : ''}` };
}

export function required(field: string, detail = ''): FieldError {
  return { field, text: `${field}: Required value${detail ? `: ${detail}` : ''}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, text: `${field}: Forbidden: ${detail}` };
}

export const str = (value: string): GoValue => ({ kind: 'string', value });
export const scalar = (value: number | boolean | null | undefined): GoValue => ({ kind: 'scalar', value });
export const int64s = (items: readonly number[] | null | undefined): GoValue => ({ kind: 'slice', type: '[]int64', items });
export const caps = (items: readonly string[] | null | undefined): GoValue => ({ kind: 'slice', type: '[]core.Capability', items });

/** A field.ErrorList printed with %v: `[a b]`. */
export function errorListString(errs: readonly FieldError[]): string {
  return `[${errs.map((e) => e.text).join(' ')}]`;
}
