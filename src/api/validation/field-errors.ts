/**
 * Field-level validation errors, shaped after k8s.io/apimachinery/pkg/util/validation/field so
 * that messages, cause types and field paths read exactly as kube-apiserver's do.
 */
import type { StatusCause } from '../errors.ts';
import { aggregateMessage as aggregateText } from '../../util/aggregate-error.ts';

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  badValue?: unknown;
  detail?: string;
}

/** A value already rendered the way Go's %#v / String() would print it (structs, IntOrString). */
export class GoValue {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Marks a bad value that upstream omits from the message (TooMany with an unknown count). */
export const OMIT_VALUE: unique symbol = Symbol('omit-value');

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
};

/** A field path: `path('spec').child('containers').index(0).child('image')` → spec.containers[0].image. */
export class Path {
  readonly #text: string;
  private constructor(text: string) {
    this.#text = text;
  }
  static of(...names: string[]): Path {
    return new Path(names.filter((n) => n !== '').join('.'));
  }
  child(name: string, ...more: string[]): Path {
    let t = this.#text;
    for (const n of [name, ...more]) t = t === '' ? n : `${t}.${n}`;
    return new Path(t);
  }
  index(i: number): Path {
    return new Path(`${this.#text}[${i}]`);
  }
  key(k: string): Path {
    return new Path(`${this.#text}[${k}]`);
  }
  toString(): string {
    return this.#text;
  }
}

export function path(...names: string[]): Path {
  return Path.of(...names);
}

type Where = Path | string;
const str = (p: Where): string => (typeof p === 'string' ? p : p.toString());

export function required(p: Where, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field: str(p), badValue: '', detail };
}

export function invalid(p: Where, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: str(p), badValue: value, detail };
}

export function notSupported(p: Where, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length > 0 ? 'supported values: ' + valid.map((v) => goQuote(v)).join(', ') : '';
  return { type: 'FieldValueNotSupported', field: str(p), badValue: value, detail };
}

export function duplicate(p: Where, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field: str(p), badValue: value, detail: '' };
}

export function forbidden(p: Where, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field: str(p), badValue: '', detail };
}

export function notFound(p: Where, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field: str(p), badValue: value, detail: '' };
}

/** Current upstream wording (apimachinery >= 1.32): "may not be more than N bytes". */
export function tooLong(p: Where, value: unknown, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { type: 'FieldValueTooLong', field: str(p), badValue: value, detail };
}

export function tooMany(p: Where, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field: str(p), badValue: actual >= 0 ? actual : OMIT_VALUE, detail };
}

export function internalError(p: Where, message: string): FieldError {
  return { type: 'InternalError', field: str(p), badValue: null, detail: message };
}

/** Go's strconv.Quote, close enough for validation messages (JSON escaping plus \x.. for C0). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-7][0-9a-f])/g, (m, hex: string) => {
    const c = parseInt(hex, 16);
    return c < 0x20 || c === 0x7f ? `\\x${hex}` : m;
  });
}

/**
 * Go's %#v of a struct, as upstream prints a struct bad value: `Type{Field:value, ...}`, pointer
 * fields as `(*T)(nil)` or `(*T)(0xc…)`. Go shows the pointers' addresses, which mean nothing to a
 * client; the pointed-to value is shown in their place.
 */
export type GoField = readonly [name: string, ptrType: string | undefined, value: unknown];
export function goStruct(type: string, fields: readonly GoField[]): GoValue {
  const parts = fields.map(([name, ptrType, v]) => {
    const shown = typeof v === 'string' ? goQuote(v) : v !== undefined && v !== null && typeof v === 'object' ? '…' : String(v ?? 'nil');
    return ptrType ? `${name}:(${ptrType})(${shown})` : `${name}:${shown}`;
  });
  return new GoValue(`${type}{${parts.join(', ')}}`);
}

/** Go map literal as printed by %#v: keys sorted. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const parts = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(m[k] ?? '')}`);
  return `map[string]string{${parts.join(', ')}}`;
}

/** How upstream renders a bad value inside ErrorBody(). */
export function formatValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  // A nil value or nil pointer becomes the string "null", printed with %q like any string.
  if (v === undefined || v === null) return '"null"';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return `[]string{${v.map((x: string) => goQuote(x)).join(', ')}}`;
  }
  if (typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string')) {
    return goStringMap(v as Record<string, string>);
  }
  return JSON.stringify(v);
}

/** The message without the field: upstream's Error.ErrorBody(). */
export function errorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  const valueless =
    e.type === 'FieldValueRequired' ||
    e.type === 'FieldValueForbidden' ||
    e.type === 'FieldValueTooLong' ||
    e.type === 'InternalError' ||
    e.badValue === OMIT_VALUE;
  if (!valueless) s += `: ${formatValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `field: body`, as upstream's Error.Error(). */
export function errorString(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

/** Causes for a 422 Invalid Status, as apierrors.NewInvalid builds them. */
export function toStatusCauses(errs: readonly FieldError[]): StatusCause[] {
  return errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
}

/**
 * The aggregate message upstream prints: duplicate messages dropped, a single error bare, several in
 * brackets.
 */
export function aggregateMessage(errs: readonly FieldError[]): string {
  // Every caller has errors to report; '' only to keep the type a string.
  return aggregateText(errs.map(errorString)) ?? '';
}
