/**
 * Overload dispatch of src/cel/closures.ts for operators and functions whose operands the type
 * checker could only type as dyn. cel-js then looks the overload up on every evaluation from the
 * runtime types (handleBinary, handleUnary, callFn, callRecFn); here the lookup is remembered per
 * node for operands whose runtime type follows from `typeof` alone (string, int, double, bool,
 * null), and is cel-js's own for everything else. The overload found is the one cel-js would find
 * for the same types (the same registry call), and any failure (no overload, a handler's error)
 * is left to cel-js's handler, so errors read as they always did.
 */
import type { Ev, Handler, Node, TypeDecl } from './closures-shared.ts';

type Fn = (f: unknown[]) => unknown;

interface Overload {
  handler: Handler;
}

interface Candidates {
  returnType?: unknown;
  findBinaryOverload(l: TypeDecl, r: TypeDecl): Overload | false | undefined;
  findUnaryOverload(t: TypeDecl): Overload | false | undefined;
  findFunction(args: TypeDecl[], receiver?: TypeDecl | null): Overload | null;
}

/** 1-5 for values whose cel-js type is fixed by typeof (string, int, double, bool, null); 0 otherwise. */
function tag(v: unknown): number {
  switch (typeof v) {
    case 'string': return 1;
    case 'bigint': return 2;
    case 'number': return 3;
    case 'boolean': return 4;
    case 'object': return v === null ? 5 : 0;
    default: return 0;
  }
}

/**
 * tag(), and for a map (plain object) or list (array) the part of cel-js's debugTypeDeep that
 * decides it, its first element: 6 an empty map, 7-11 a map whose first value (in for-in order,
 * as cel-js's #firstMapElement) has tag 1-5, 12 an empty list, 13-17 a list whose first element
 * has tag 1-5; 0 otherwise. Below 32.
 */
function deepTag(v: unknown): number {
  if (typeof v !== 'object' || v === null) return tag(v);
  if (v.constructor === Object) {
    for (const k in v) {
      const t = tag((v as Record<string, unknown>)[k]);
      return t === 0 ? 0 : 6 + t;
    }
    return 6;
  }
  if (v.constructor === Array) {
    const list = v as unknown[];
    if (list.length === 0) return 12;
    const t = tag(list[0]);
    return t === 0 ? 0 : 12 + t;
  }
  return 0;
}

const candidatesOf = (n: Node): Candidates | undefined => (n as Node & { candidates?: Candidates }).candidates;

/** The wrapped runtime type cel-js's handleBinary uses for an operand. */
const wrapped = (ev: Ev, v: unknown): TypeDecl => ev.debugTypeDeep(v).wrappedType!;

/**
 * A binary operator: cel-js's handleBinary (the checker found no overload from the static types)
 * with the overload remembered per pair of operand types that deepTag tells apart (`'team' in
 * labels`: a string and a map of strings), else the node's own handle.
 */
export function binary(n: Node, L: Fn, R: Fn, ev: Ev, handle: Handler): Fn {
  const c = candidatesOf(n);
  const lt = (n.args[0] as Node).checkedType;
  const rt = (n.args[1] as Node).checkedType;
  const dynamic = c && lt && rt && (lt.hasDynType || rt.hasDynType || !c.findBinaryOverload(lt, rt));
  if (!dynamic) return (f) => handle(L(f), R(f), n, ev);
  const { leftStaticType: ls, rightStaticType: rs } = n as Node & { leftStaticType?: TypeDecl; rightStaticType?: TypeDecl };
  const cache: (Overload | null | undefined)[] = [];
  return (f) => {
    const l = L(f);
    const r = R(f);
    const tl = ls ? 0 : deepTag(l);
    const tr = rs ? 0 : deepTag(r);
    if ((!ls && tl === 0) || (!rs && tr === 0)) return handle(l, r, n, ev);
    const k = tl * 32 + tr;
    let o = cache[k];
    if (o === undefined) o = cache[k] = c.findBinaryOverload(ls ?? wrapped(ev, l), rs ?? wrapped(ev, r)) || null;
    return o === null ? handle(l, r, n, ev) : o.handler(l, r, n, ev);
  };
}

/** A unary operator on a dyn operand: cel-js's handleUnary with the overload remembered per primitive type. */
export function unary(n: Node, A: Fn, ev: Ev, handle: Handler): Fn {
  const c = candidatesOf(n);
  const t = (n.args as Node).checkedType;
  if (!c || t?.kind !== 'dyn') return (f) => handle(A(f), n, ev);
  const cache: (Overload | null | undefined)[] = [];
  return (f) => {
    const v = A(f);
    const k = tag(v);
    if (k === 0) return handle(v, n, ev);
    let o = cache[k];
    if (o === undefined) o = cache[k] = c.findUnaryOverload(ev.debugRuntimeType(v, t)) || null;
    return o === null ? handle(v, n, ev) : o.handler(v);
  };
}

/** The values of `fns`, evaluated from the last to the first, as cel-js's resolveAstArray. */
export function evaluateAll(fns: Fn[]): (f: unknown[]) => unknown[] {
  const len = fns.length;
  return (f) => {
    const out = new Array<unknown>(len);
    for (let i = len; i--;) out[i] = fns[i]!(f);
    return out;
  };
}

/** Remembered when cel-js's registry has no overload for a key (cel-js's own call then reports it). */
const NONE = 0;

/**
 * A function call cel-js resolves at run time (callFn, or callRecFn for a receiver call): some
 * argument (or the receiver) is dyn. `fns` yields the receiver first for receiver calls.
 */
export function call(n: Node, positions: Node[], fns: Fn[], ev: Ev, handle: Handler, receiver: boolean): Fn {
  const c = candidatesOf(n);
  const types = positions.map((p) => p.checkedType);
  const args = evaluateAll(fns);
  const run = receiver ? (a: unknown[]) => handle(a, ev, n) : (a: unknown[]) => handle(a, n, ev);
  if (!c || types.some((t) => t === undefined)) return (f) => run(args(f));
  const statics = types as TypeDecl[];
  // Which handle the checker chose: callFn/callRecFn when an argument is dyn, or the receiver is.
  const dynArgs = statics.slice(receiver ? 1 : 0).some((t) => t.hasDynType);
  const dynamic = dynArgs || (receiver && statics[0]!.kind === 'dyn' && !!c.returnType);
  // Positions whose runtime type cel-js takes from the value (debugRuntimeType); up to three
  // make a key below 512 for a small array.
  const fromValue = statics.map((t) => t.hasDynType !== false);
  if (!dynamic || fromValue.filter(Boolean).length > 3) return (f) => run(args(f));
  const cache: (Overload | typeof NONE | undefined)[] = [];
  const resolve = (k: number, a: unknown[]): Overload | typeof NONE => {
    const ts = a.map((v, i) => ev.debugRuntimeType(v, statics[i]));
    return (cache[k] = (receiver ? c.findFunction(ts.slice(1), ts[0]) : c.findFunction(ts)) ?? NONE);
  };
  // The key of a value at a position: its tag (0: its type is not remembered), 1 where the type is static.
  const keyAt = (i: number, v: unknown): number => (fromValue[i] ? tag(v) : 1);
  // One, two and three values (receiver included) without an array per call: an array is made
  // only for cel-js's own call (no overload, a handler's error reported as cel-js reports it with
  // the node's position, values whose type is not remembered) and on a first lookup.
  switch (fns.length) {
    case 1: {
      const [A0] = fns as [Fn];
      return (f) => {
        const a0 = A0(f);
        const k = keyAt(0, a0);
        if (k !== 0) {
          const o = cache[k] ?? resolve(k, [a0]);
          if (o !== NONE) {
            try {
              return o.handler.call(ev, a0);
            } catch {
              // cel-js's own call below.
            }
          }
        }
        return run([a0]);
      };
    }
    case 2: {
      const [A0, A1] = fns as [Fn, Fn];
      return (f) => {
        const a1 = A1(f);
        const a0 = A0(f);
        const k0 = keyAt(0, a0);
        const k1 = keyAt(1, a1);
        if (k0 !== 0 && k1 !== 0) {
          const k = k0 * 8 + k1;
          const o = cache[k] ?? resolve(k, [a0, a1]);
          if (o !== NONE) {
            try {
              return o.handler.call(ev, a0, a1);
            } catch {
              // cel-js's own call below.
            }
          }
        }
        return run([a0, a1]);
      };
    }
    case 3: {
      const [A0, A1, A2] = fns as [Fn, Fn, Fn];
      return (f) => {
        const a2 = A2(f);
        const a1 = A1(f);
        const a0 = A0(f);
        const k0 = keyAt(0, a0);
        const k1 = keyAt(1, a1);
        const k2 = keyAt(2, a2);
        if (k0 !== 0 && k1 !== 0 && k2 !== 0) {
          const k = (k0 * 8 + k1) * 8 + k2;
          const o = cache[k] ?? resolve(k, [a0, a1, a2]);
          if (o !== NONE) {
            try {
              return o.handler.call(ev, a0, a1, a2);
            } catch {
              // cel-js's own call below.
            }
          }
        }
        return run([a0, a1, a2]);
      };
    }
  }
  return (f) => {
    const a = args(f);
    // Static positions are left out of this key (at most three positions in it: below 512).
    let k = 0;
    for (let i = 0; i < a.length; i++) {
      if (!fromValue[i]) continue;
      const t = tag(a[i]);
      if (t === 0) return run(a);
      k = k * 8 + t;
    }
    const o = cache[k] ?? resolve(k, a);
    if (o === NONE) return run(a);
    try {
      return o.handler.apply(ev, a);
    } catch {
      // cel-js's own call again, for the error as it reports it (the node's position attached).
      return run(a);
    }
  };
}
