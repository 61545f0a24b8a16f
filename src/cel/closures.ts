/**
 * Compiles a checked cel-js parse tree into nested closures: the same evaluation as cel-js's
 * interpreter without its per-node dispatch (`ev.run` -> node.evaluate), its context objects per
 * evaluation and comprehension, or its variable lookup through the context chain. Semantics stay
 * cel-js's: every operator, function and field access calls the handler cel-js's type checker
 * resolved for that node (`node.handle`, with cel-js's own evaluator `ev`), and the control flow
 * (&&, ||, ternary, comprehensions, has()) is cel-js's code mirrored line for line (same evaluation
 * order, error absorption and messages). A tree with anything else (cel.bind, asynchronous
 * functions, message-typed variables) is not compiled: the caller keeps cel-js's program.
 * Comprehension steps charge the cost meter in the variables as src/cel/cost.ts's wrapper does.
 * No code is generated from expression text: closures only.
 */
import { chargeStep, stepWeight } from './cost.ts';

/** cel-js's evaluator (the parts handlers and error construction use). */
export interface Ev {
  createError(code: string, message: string, node?: unknown): Error;
  debugType(v: unknown): TypeDecl;
  debugRuntimeType(v: unknown, t?: TypeDecl): TypeDecl;
}

interface TypeDecl {
  kind: string;
  matchesValueType(v: unknown, ev: Ev): boolean;
  /** Absent on types without fields: calling it then throws as it does in cel-js. */
  fieldLazy(obj: unknown, key: unknown, node: Node, ev: Ev): unknown;
}

type Handler = (...args: unknown[]) => unknown;

interface OptionalValue {
  hasValue(): boolean;
  value(): unknown;
}

/** What the closures run with: cel-js's evaluator and its Optional class (both private to cel-js). */
export interface CelRuntime {
  ev: Ev;
  Optional?: abstract new (...args: never[]) => OptionalValue;
}

/** cel-js's optional.or / optional.orValue macro record. */
interface OptionalMacro {
  functionDesc: string;
  receiver: Node;
  arg: Node;
}

/** A checked cel-js node (fields set by its type checker). */
interface Node {
  op: string;
  args: any;
  meta: { alternate?: Node; macro?: { macroHasProps?: Node[] } & Partial<OptionalMacro>; label?: string };
  checkedType?: TypeDecl;
  handle?: Handler;
  receiverWithArgs?: Node[];
  maybeAsync: boolean;
}

/** [0]: the variables; then one slot per comprehension variable and accumulator. */
type Frame = unknown[];
type Fn = (f: Frame) => unknown;

class Unsupported extends Error {}

interface Scope {
  /** Comprehension variables in reach, innermost last. */
  iter: { name: string; slot: number }[];
  accu: number;
}

interface Compiler extends CelRuntime {
  slots: number;
}

const BINARY = new Set(['!=', '==', 'in', '+', '-', '*', '/', '%', '<', '<=', '>', '>=']);
const hasOwn = Object.hasOwn;

function handleOf(n: Node): Handler {
  if (typeof n.handle !== 'function') throw new Unsupported();
  return n.handle;
}

/** Reads a (dyn) field of a plain object inline, else as cel-js's field access. */
function fieldSelect(c: Compiler, n: Node, s: Scope): Fn {
  const ev = c.ev;
  const left = compileNode(c, n.args[0], s);
  const key = n.args[1] as string;
  const handle = handleOf(n);
  if (n.op !== '.' || n.args[0].checkedType?.kind !== 'dyn') return (f) => handle(left(f), key, n, ev);
  return (f) => {
    const o = left(f) as Record<string, unknown> | null;
    if (typeof o === 'object' && o !== null && o.constructor === Object && hasOwn(o, key)) {
      const v = o[key];
      switch (typeof v) {
        case 'string': case 'bigint': case 'number': case 'boolean':
          return v;
        case 'object':
          if (v === null || v.constructor === Object || v.constructor === Array) return v;
      }
    }
    // Missing keys, other containers and value types: cel-js's own access (and its errors).
    return handle(o, key, n, ev);
  };
}

function variable(c: Compiler, n: Node, s: Scope): Fn {
  const name = n.args as string;
  for (let i = s.iter.length - 1; i >= 0; i--) {
    if (s.iter[i]!.name !== name) continue;
    const slot = s.iter[i]!.slot;
    return (f) => f[slot];
  }
  const ev = c.ev;
  const type = n.checkedType;
  if (!type || type.kind === 'message') throw new Unsupported();
  // RootContext.getCheckedValue.
  return (f) => {
    const v = (f[0] as Record<string, unknown>)[name];
    if (v === undefined) throw ev.createError('unknown_variable', `Unknown variable: ${name}`, n);
    if (type.matchesValueType(v, ev)) return v;
    const valueType = ev.debugType(v);
    throw ev.createError('variable_type_mismatch', `Variable '${name}' is not of type '${String(type)}', got '${String(valueType)}'`, n);
  };
}

/** Evaluated from the last to the first, as cel-js's resolveAstArray. */
function all(c: Compiler, nodes: Node[], s: Scope): (f: Frame) => unknown[] {
  const fns = nodes.map((x) => compileNode(c, x, s));
  const len = fns.length;
  return (f) => {
    const out = new Array<unknown>(len);
    for (let i = len; i--;) out[i] = fns[i]!(f);
    return out;
  };
}

function safeFromEntries(entries: [unknown, unknown][]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    obj[k as string] = v;
  }
  return obj;
}

function logicalOperandError(ev: Ev, value: unknown, node: Node): Error {
  return ev.createError('invalid_logical_operand', `Logical operator requires bool operands, got '${String(ev.debugRuntimeType(value))}'`, node);
}

/** cel-js's _logicalOp (synchronous): `exp` is the absorbing value (true for ||, false for &&). */
function logicalOp(ev: Ev, exp: boolean, leftNode: Node, left: unknown, right: unknown): boolean {
  if (right === exp) return exp;
  if (right === !exp) {
    if (left === right) return right;
    throw left instanceof Error ? left : logicalOperandError(ev, left, leftNode);
  }
  throw logicalOperandError(ev, right, leftNode);
}

function logical(c: Compiler, n: Node, s: Scope, exp: boolean): Fn {
  const ev = c.ev;
  const leftNode = n.args[0] as Node;
  const L = compileNode(c, leftNode, s);
  const R = compileNode(c, n.args[1], s);
  return (f) => {
    let l: unknown;
    try {
      l = L(f);
    } catch (err) {
      l = err;
    }
    if (l === exp) return exp;
    if (l === !exp) {
      const r = R(f);
      if (typeof r === 'boolean') return r;
      return logicalOp(ev, exp, leftNode, l, r);
    }
    return logicalOp(ev, exp, leftNode, l, R(f));
  };
}

function ternary(c: Compiler, n: Node, s: Scope): Fn {
  const ev = c.ev;
  const condNode = n.args[0] as Node;
  const C = compileNode(c, condNode, s);
  const A = compileNode(c, n.args[1], s);
  const B = compileNode(c, n.args[2], s);
  const label = condNode.meta.label || 'Ternary condition must be bool';
  return (f) => {
    const v = C(f);
    if (v === true) return A(f);
    if (v === false) return B(f);
    throw ev.createError('invalid_condition_type', `${label}, got '${String(ev.debugRuntimeType(v))}'`, condNode);
  };
}

/** cel-js's has() macro evaluation, with the select chain compiled. */
function has(c: Compiler, nodes: Node[], s: Scope): Fn {
  const ev = c.ev;
  const base = compileNode(c, nodes[nodes.length - 1]!, s);
  return (f) => {
    let i = nodes.length - 1;
    let obj = base(f);
    let inOptionalContext: boolean | undefined;
    while (i--) {
      const node = nodes[i]!;
      if (node.op === '.?') inOptionalContext ??= true;
      obj = ev.debugType(obj).fieldLazy(obj, node.args[1], node, ev);
      if (obj !== undefined) continue;
      if (!(!inOptionalContext && i && node.op === '.')) break;
      throw ev.createError('no_such_key', `No such key: ${node.args[1]}`, node);
    }
    return obj !== undefined;
  };
}

/** cel-js's optional.orValue(value) and optional.or(optional) macros (evaluateOptional). */
function optionalMacro(c: Compiler, m: Partial<OptionalMacro>, s: Scope): Fn {
  const { ev, Optional } = c;
  const orValue = m.functionDesc === 'optional.orValue(value)';
  if (!Optional || !m.receiver || !m.arg || !(orValue || m.functionDesc === 'optional.or(optional)')) throw new Unsupported();
  const { receiver: receiverNode, arg: argNode, functionDesc } = m as OptionalMacro;
  const receiver = compileNode(c, receiverNode, s);
  const arg = compileNode(c, argNode, s);
  const ensureOptional = (value: unknown, node: Node, description: string): OptionalValue => {
    if (value instanceof Optional) return value;
    throw ev.createError('optional_expected', `${description} must be optional`, node);
  };
  return (f) => {
    const optional = ensureOptional(receiver(f), receiverNode, `${functionDesc} receiver`);
    if (optional.hasValue()) return orValue ? optional.value() : optional;
    return orValue ? arg(f) : ensureOptional(arg(f), argNode, 'optional.or(optional) argument');
  };
}

interface ComprehensionArgs {
  iterable: Node;
  iterVarName: string;
  init: Node;
  step: Node;
  condition?: (accu: unknown) => boolean;
  result: (accu: unknown) => unknown;
  errorsAreFatal: boolean;
  iterCtx: { iterType: TypeDecl };
}

/** cel-js's toIterable: what a comprehension ranges over when it is not an array. */
function items(ev: Ev, coll: unknown, iterable: Node): unknown[] {
  if (Array.isArray(coll)) return coll;
  if (coll instanceof Set) return [...coll];
  if (coll instanceof Map) return [...coll.keys()];
  if (coll && typeof coll === 'object') return Object.keys(coll);
  throw ev.createError('invalid_comprehension_range', `Expression of type '${String(ev.debugType(coll))}' cannot be range of a comprehension (must be list, map, or dynamic).`, iterable);
}

/**
 * cel-js's runComprehension (errors end it: map, filter, exists_one) and runQualifier (all,
 * exists: an error is kept while the others may still decide; thrown only if none did).
 */
function comprehension(c: Compiler, n: Node, s: Scope): Fn {
  const ev = c.ev;
  const a = n.args as ComprehensionArgs;
  const iterType = a.iterCtx?.iterType;
  if (!iterType || iterType.kind === 'message' || typeof a.result !== 'function') throw new Unsupported();
  const ITER = ++c.slots;
  const ACCU = ++c.slots;
  const iterable = compileNode(c, a.iterable, s);
  const init = compileNode(c, a.init, s);
  const inner: Scope = { iter: [...s.iter, { name: a.iterVarName, slot: ITER }], accu: ACCU };
  const body = compileNode(c, a.step, inner);
  const weight = stepWeight(a.step);
  const { condition, result, iterVarName } = a;
  const setIter = (f: Frame, v: unknown): void => {
    if (!iterType.matchesValueType(v, ev)) {
      throw ev.createError('variable_type_mismatch', `Variable '${iterVarName}' is not of type '${String(iterType)}', got '${String(ev.debugType(v))}'`);
    }
    f[ITER] = v;
  };
  if (a.errorsAreFatal) {
    return (f) => {
      const list = items(ev, iterable(f), a.iterable);
      let accu = (f[ACCU] = init(f));
      for (let i = 0; i < list.length; i++) {
        if (condition && !condition(accu)) break;
        setIter(f, list[i]);
        chargeStep(f[0], weight);
        accu = body(f);
      }
      return result(accu);
    };
  }
  if (typeof condition !== 'function') throw new Unsupported();
  return (f) => {
    const list = items(ev, iterable(f), a.iterable);
    let accu = (f[ACCU] = init(f));
    let error: Error | undefined;
    for (let i = 0; i < list.length; i++) {
      if (!condition(accu)) return result(accu);
      setIter(f, list[i]);
      let stp: unknown;
      try {
        chargeStep(f[0], weight);
        stp = body(f);
      } catch (err) {
        stp = err;
      }
      if (stp instanceof Error) {
        error ??= stp;
        continue;
      }
      accu = stp;
    }
    if (error && condition(accu)) throw error;
    return result(accu);
  };
}

function compileNode(c: Compiler, n: Node, s: Scope): Fn {
  const meta = n.meta;
  if (meta.alternate) return compileNode(c, meta.alternate, s);
  if (meta.macro) {
    if (Array.isArray(meta.macro.macroHasProps)) return has(c, meta.macro.macroHasProps, s);
    return optionalMacro(c, meta.macro, s);
  }
  const ev = c.ev;
  switch (n.op) {
    case 'value': {
      const v = n.args as unknown;
      return () => v;
    }
    case 'id':
      return variable(c, n, s);
    case '.':
    case '.?':
      return fieldSelect(c, n, s);
    case '[]':
    case '[?]': {
      const [L, R] = [compileNode(c, n.args[0], s), compileNode(c, n.args[1], s)];
      const handle = handleOf(n);
      return (f) => handle(L(f), R(f), n, ev);
    }
    case '!_':
    case '-_': {
      const A = compileNode(c, n.args, s);
      const handle = handleOf(n);
      return (f) => handle(A(f), n, ev);
    }
    case 'call': {
      const args = all(c, n.args[1], s);
      const handle = handleOf(n);
      return (f) => handle(args(f), n, ev);
    }
    case 'rcall': {
      if (!Array.isArray(n.receiverWithArgs)) throw new Unsupported();
      const args = all(c, n.receiverWithArgs, s);
      const handle = handleOf(n);
      return (f) => handle(args(f), ev, n);
    }
    case 'list':
      return (n.args as Node[]).length === 0 ? () => [] : all(c, n.args, s);
    case 'map': {
      const entries = (n.args as [Node, Node][]).map(([k, v]) => [compileNode(c, k, s), compileNode(c, v, s)] as const);
      return (f) => safeFromEntries(entries.map(([k, v]) => [k(f), v(f)]));
    }
    case '?:':
      return ternary(c, n, s);
    case '&&':
      return logical(c, n, s, false);
    case '||':
      return logical(c, n, s, true);
    case 'comprehension':
      return comprehension(c, n, s);
    case 'accuValue': {
      const slot = s.accu;
      return (f) => f[slot];
    }
    case 'accuInc': {
      const slot = s.accu;
      return (f) => (f[slot] = (f[slot] as number) + 1);
    }
    case 'accuPush': {
      const slot = s.accu;
      const A = compileNode(c, n.args, s);
      return (f) => {
        const arr = f[slot] as unknown[];
        arr.push(A(f));
        return arr;
      };
    }
    default:
      if (BINARY.has(n.op)) {
        const [L, R] = [compileNode(c, n.args[0], s), compileNode(c, n.args[1], s)];
        const handle = handleOf(n);
        return (f) => handle(L(f), R(f), n, ev);
      }
      throw new Unsupported();
  }
}

/**
 * The closures of a checked, synchronous tree, or undefined when it holds a construct this
 * compiler does not mirror. The result takes a plain variables object (the caller routes any
 * other activation to cel-js).
 */
export function compileClosures(ast: unknown, runtime: CelRuntime): ((vars: Record<string, unknown>) => unknown) | undefined {
  const root = ast as Node;
  if (!root?.checkedType || root.maybeAsync !== false) return undefined;
  const c: Compiler = { ...runtime, slots: 0 };
  let fn: Fn;
  try {
    fn = compileNode(c, root, { iter: [], accu: -1 });
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const size = c.slots + 1;
  if (size === 1) return (vars) => fn([vars]);
  return (vars) => {
    const f = new Array<unknown>(size);
    f[0] = vars;
    return fn(f);
  };
}
