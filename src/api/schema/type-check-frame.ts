/**
 * The frame of the typed-decoding walk (type-check.ts) and what each step answers, with the parts
 * both dialects' steps (type-check-json.ts, type-check-unstructured.ts) share: an object's field
 * frames in document or declaration order, list wrappers as plain lists, element frames, and the
 * checks of types with their own UnmarshalJSON (Time, Duration).
 */
import { DurationError, parseGoDuration } from '../../util/duration.ts';
import { goName } from './go-type-names.ts';
import { rfc3339Error } from './go-time.ts';
import { quantityParseError } from '../quantity.ts';
import type { Schema, TypeRef } from './types.ts';

export interface Frame {
  ref: TypeRef;
  /** The protobuf element type of scalars (int32, int64, ...). */
  proto: string | undefined;
  value: unknown;
  /** JSON names of the struct fields leading here, joined by "." (Go's error context). */
  path: string;
  /** Name of the innermost Go struct whose field this is. */
  struct: string;
}

/** TypeMeta is inline at the top of every kind and not part of the message schema. */
const TOP_LEVEL = new Set(['apiVersion', 'kind']);

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface StepResult {
  children: Frame[];
  /** encoding/json keeps the first mismatch and goes on; UnmarshalJSON errors stop decoding. */
  saved?: string;
  fatal?: string;
}

export const OK: StepResult = { children: [] };

export function objectChildren(schema: Schema, f: Frame, top: boolean, order: 'document' | 'declaration'): Frame[] | undefined {
  if (f.ref.kind !== 'object') return undefined;
  const t = schema.type(f.ref.type);
  if (!t || !isMap(f.value)) return undefined;
  const struct = goName(f.ref.type)[1];
  const value = f.value;
  const keys = order === 'document' ? Object.keys(value) : Object.keys(t.fields).filter((k) => Object.hasOwn(value, k));
  const out: Frame[] = [];
  for (const key of keys) {
    if (top && TOP_LEVEL.has(key)) continue;
    const field = Object.hasOwn(t.fields, key) ? t.fields[key] : undefined;
    if (!field) continue;
    out.push({ ref: field.type, proto: field.protoType, value: value[key], path: f.path === '' ? key : `${f.path}.${key}`, struct });
  }
  return out;
}

/** A go-to-protobuf list wrapper (ExtraValue, Verbs) is a plain list in JSON. */
export function unwrapList(schema: Schema, ref: TypeRef): TypeRef {
  if (ref.kind !== 'object') return ref;
  const t = schema.type(ref.type);
  const items = t?.listWrapper ? t.fields.items : undefined;
  return items ? items.type : ref;
}

export function fatal(message: string): StepResult {
  return { children: [], fatal: message };
}

/** The children of a list or map frame: every element, with the element type. */
export function elementFrames(f: Frame, ref: TypeRef, values: unknown[]): Frame[] {
  const out: Frame[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = { ref, proto: f.proto, value: values[i], path: f.path, struct: f.struct };
  return out;
}

export function notByte(b: unknown): boolean {
  return !(typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255);
}

export function timeResult(v: string): StepResult {
  const err = rfc3339Error(v);
  return err ? { children: [], fatal: err } : OK;
}

/**
 * Quantity.UnmarshalJSON: the JSON text (a string's contents, a number's literal; anything else
 * as its JSON, which never parses) trimmed and parsed; its error ends decoding.
 */
export function quantityResult(v: unknown): StepResult {
  const err = typeof v === 'string' || typeof v === 'number' ? quantityParseError(String(v).trim()) : quantityParseError(JSON.stringify(v));
  return err ? { children: [], fatal: err } : OK;
}

export function durationResult(v: string): StepResult {
  try {
    parseGoDuration(v);
    return OK;
  } catch (err) {
    if (err instanceof DurationError) return { children: [], fatal: err.message };
    throw err;
  }
}
