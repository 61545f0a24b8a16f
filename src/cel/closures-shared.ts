/**
 * What the parts of the closure compiler (src/cel/closures.ts) share: cel-js's node and runtime
 * shapes as its type checker leaves them, the compile context, and plain-object field reads.
 */

/** cel-js's evaluator (the parts handlers and error construction use). */
export interface Ev {
  createError(code: string, message: string, node?: unknown): Error;
  debugType(v: unknown): TypeDecl;
  debugTypeDeep(v: unknown): TypeDecl;
  debugRuntimeType(v: unknown, t?: TypeDecl): TypeDecl;
}

export interface TypeDecl {
  kind: string;
  hasDynType: boolean;
  wrappedType?: TypeDecl;
  matchesValueType(v: unknown, ev: Ev): boolean;
  /** Absent on types without fields: calling it then throws as it does in cel-js. */
  fieldLazy(obj: unknown, key: unknown, node: Node, ev: Ev): unknown;
}

export type Handler = (...args: unknown[]) => unknown;

export interface OptionalValue {
  hasValue(): boolean;
  value(): unknown;
}

/** What the closures run with: cel-js's evaluator and its Optional class (both private to cel-js). */
export interface CelRuntime {
  ev: Ev;
  Optional?: abstract new (...args: never[]) => OptionalValue;
}

/** cel-js's optional.or / optional.orValue macro record. */
export interface OptionalMacro {
  functionDesc: string;
  receiver: Node;
  arg: Node;
}

/** A checked cel-js node (fields set by its type checker). */
export interface Node {
  op: string;
  args: any;
  meta: { alternate?: Node; macro?: { macroHasProps?: Node[] } & Partial<OptionalMacro>; label?: string };
  checkedType?: TypeDecl;
  handle?: Handler;
  receiverWithArgs?: Node[];
  maybeAsync: boolean;
}

/** [0]: the variables; then one slot per comprehension variable and accumulator. */
export type Frame = unknown[];
export type Fn = (f: Frame) => unknown;

/** Thrown while compiling a construct the closures do not mirror: the caller keeps cel-js's program. */
export class Unsupported extends Error {}

export interface Scope {
  /** Comprehension variables in reach, innermost last. */
  iter: { name: string; slot: number }[];
  accu: number;
}

export interface Compiler extends CelRuntime {
  slots: number;
  compile(n: Node, s: Scope): Fn;
}

const hasOwn = Object.hasOwn;

export function handleOf(n: Node): Handler {
  if (typeof n.handle !== 'function') throw new Unsupported();
  return n.handle;
}

export const SLOW = Symbol('cel-js decides');

/**
 * A field of a plain object as cel-js's map access reads it: the value when present and of a CEL
 * type, undefined when absent, SLOW when cel-js's own access must decide (other containers, values
 * of other types, and its errors).
 */
export function plainField(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || o.constructor !== Object) return SLOW;
  if (!hasOwn(o, key)) return undefined;
  const v = (o as Record<string, unknown>)[key];
  switch (typeof v) {
    case 'string': case 'bigint': case 'number': case 'boolean': case 'undefined':
      return v;
    case 'object':
      if (v === null || v.constructor === Object || v.constructor === Array) return v;
  }
  return SLOW;
}

/** Values cel-js's dyn type accepts at once (its matcher says yes to them first). */
export function plainCel(v: unknown): boolean {
  switch (typeof v) {
    case 'string': case 'bigint': case 'number': case 'boolean':
      return true;
    case 'object':
      return v === null || v.constructor === Object || v.constructor === Array;
    default:
      return false;
  }
}

