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

const candidatesOf = (n: Node): Candidates | undefined => (n as Node & { candidates?: Candidates }).candidates;

/** The wrapped runtime type cel-js's handleBinary uses for an operand. */
const wrapped = (ev: Ev, v: unknown): TypeDecl => ev.debugTypeDeep(v).wrappedType!;

/**
 * A binary operator: cel-js's handleBinary (the checker found no overload from the static types)
 * with the overload remembered per pair of primitive operand types, else the node's own handle.
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
    const tl = ls ? 0 : tag(l);
    const tr = rs ? 0 : tag(r);
    if ((!ls && tl === 0) || (!rs && tr === 0)) return handle(l, r, n, ev);
    const k = tl * 8 + tr;
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

/**
 * A function call cel-js resolves at run time (callFn, or callRecFn for a receiver call): some
 * argument (or the receiver) is dyn. `args` yields the receiver first for receiver calls.
 */
export function call(n: Node, positions: Node[], args: (f: unknown[]) => unknown[], ev: Ev, handle: Handler, receiver: boolean): Fn {
  const c = candidatesOf(n);
  const types = positions.map((p) => p.checkedType);
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
  const cache: (Overload | null | undefined)[] = [];
  return (f) => {
    const a = args(f);
    let k = 0;
    for (let i = 0; i < a.length; i++) {
      if (!fromValue[i]) continue;
      const t = tag(a[i]);
      if (t === 0) return run(a);
      k = k * 8 + t;
    }
    let o = cache[k];
    if (o === undefined) {
      const ts = a.map((v, i) => ev.debugRuntimeType(v, statics[i]));
      o = cache[k] = (receiver ? c.findFunction(ts.slice(1), ts[0]) : c.findFunction(ts)) ?? null;
    }
    if (o === null) return run(a);
    try {
      return o.handler.apply(ev, a);
    } catch {
      // cel-js's own call again, for the error as it reports it (the node's position attached).
      return run(a);
    }
  };
}
