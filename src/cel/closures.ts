/**
 * Compiles a checked cel-js parse tree into nested closures: the same evaluation as cel-js's
 * interpreter without its per-node dispatch (`ev.run` -> node.evaluate), its context objects per
 * evaluation and comprehension, or its variable lookup through the context chain. Semantics stay
 * cel-js's: every operator, function and field access calls the handler cel-js's type checker
 * resolved for that node (`node.handle`, with cel-js's own evaluator `ev`), and the control flow
 * (&&, ||, ternary here; comprehensions, has() and optionals in closures-macros.ts) is cel-js's
 * code mirrored line for line (same evaluation order, error absorption and messages). A tree with anything else (asynchronous functions,
 * message-typed variables) is not compiled: the caller keeps cel-js's program.
 * No code is generated from expression text: closures only.
 */
import { binary, call, evaluateAll, unary } from './closures-dispatch.ts';
import { bind, comprehension, has, optionalMacro, type BindMacro } from './closures-macros.ts';
import { Unsupported, handleOf, plainCel, plainField, SLOW, type CelRuntime, type Compiler, type Ev, type Fn, type Frame, type Node, type Scope } from './closures-shared.ts';

export type { CelRuntime, Ev } from './closures-shared.ts';

const BINARY = new Set(['!=', '==', 'in', '+', '-', '*', '/', '%', '<', '<=', '>', '>=']);

/** `.key` on a dyn operand: cel-js's fieldAccess, which plainField can answer for plain objects. */
const dynSelect = (n: Node): boolean => n.op === '.' && !n.meta.alternate && !n.meta.macro && n.args[0].checkedType?.kind === 'dyn' && typeof n.handle === 'function';

/**
 * A field select; a chain of selects on dyn operands (`object.spec.containers`) is one closure
 * that reads plain objects inline and hands every other step to cel-js's access (its errors
 * included), in the same order.
 */
function fieldSelect(c: Compiler, n: Node, s: Scope): Fn {
  const ev = c.ev;
  if (!dynSelect(n)) {
    const left = compileNode(c, n.args[0], s);
    const key = n.args[1] as string;
    const handle = handleOf(n);
    return (f) => handle(left(f), key, n, ev);
  }
  const steps: Node[] = [];
  let base = n;
  while (dynSelect(base)) {
    steps.unshift(base);
    base = base.args[0];
  }
  const left = compileNode(c, base, s);
  const keys = steps.map((x) => x.args[1] as string);
  const handles = steps.map(handleOf);
  const len = steps.length;
  return (f) => {
    let o = left(f);
    for (let i = 0; i < len; i++) {
      const v = plainField(o, keys[i]!);
      // Missing keys (cel-js's no_such_key) and the rest: cel-js's own access.
      o = v !== SLOW && v !== undefined ? v : handles[i]!(o, keys[i], steps[i], ev);
    }
    return o;
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
  const dyn = type.kind === 'dyn';
  // RootContext.getCheckedValue.
  return (f) => {
    const v = (f[0] as Record<string, unknown>)[name];
    if (v === undefined) throw ev.createError('unknown_variable', `Unknown variable: ${name}`, n);
    if ((dyn && plainCel(v)) || type.matchesValueType(v, ev)) return v;
    const valueType = ev.debugType(v);
    throw ev.createError('variable_type_mismatch', `Variable '${name}' is not of type '${String(type)}', got '${String(valueType)}'`, n);
  };
}

/** Evaluated from the last to the first, as cel-js's resolveAstArray. */
const all = (c: Compiler, nodes: Node[], s: Scope): ((f: Frame) => unknown[]) => evaluateAll(compileEach(c, nodes, s));
const compileEach = (c: Compiler, nodes: Node[], s: Scope): Fn[] => nodes.map((x) => compileNode(c, x, s));

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
  const [a, b] = n.args.slice(1) as Node[];
  if (a!.op === 'value' && b!.op === 'value' && !a!.meta.alternate && !b!.meta.alternate) {
    // Constant branches (every all/exists step is `predicate ? true : false`).
    const [x, y] = [a!.args as unknown, b!.args as unknown];
    return (f) => {
      const v = C(f);
      if (v === true) return x;
      if (v === false) return y;
      throw ev.createError('invalid_condition_type', `${label}, got '${String(ev.debugRuntimeType(v))}'`, condNode);
    };
  }
  return (f) => {
    const v = C(f);
    if (v === true) return A(f);
    if (v === false) return B(f);
    throw ev.createError('invalid_condition_type', `${label}, got '${String(ev.debugRuntimeType(v))}'`, condNode);
  };
}

function compileNode(c: Compiler, n: Node, s: Scope): Fn {
  const meta = n.meta;
  if (meta.alternate) return compileNode(c, meta.alternate, s);
  if (meta.macro) {
    const macro = meta.macro as typeof meta.macro & Partial<BindMacro>;
    if (Array.isArray(macro.macroHasProps)) return has(c, macro.macroHasProps, s);
    if (typeof macro.var === 'string' && macro.val && macro.exp && macro.bindCtx) return bind(c, macro as BindMacro, s);
    return optionalMacro(c, macro, s);
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
    case '-_':
      return unary(n, compileNode(c, n.args, s), ev, handleOf(n));
    case 'call':
      return call(n, n.args[1], compileEach(c, n.args[1], s), ev, handleOf(n), false);
    case 'rcall': {
      if (!Array.isArray(n.receiverWithArgs)) throw new Unsupported();
      return call(n, n.receiverWithArgs, compileEach(c, n.receiverWithArgs, s), ev, handleOf(n), true);
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
      if (BINARY.has(n.op)) return binary(n, compileNode(c, n.args[0], s), compileNode(c, n.args[1], s), ev, handleOf(n));
      throw new Unsupported();
  }
}

type Program = (vars: Record<string, unknown>) => unknown;

/** What the closures read variables from: an object (cel-js also takes a Map, and reports anything else). */
const activation = (v: unknown): boolean => typeof v === 'object' && v !== null && !(v instanceof Map);

/**
 * The closures of a checked, synchronous tree, or undefined when it holds a construct this
 * compiler does not mirror. Activations that are not plain variable objects go to `fallback`
 * (cel-js's program for the same tree).
 */
export function compileClosures(ast: unknown, runtime: CelRuntime, fallback: Program): Program | undefined {
  const root = ast as Node;
  if (!root?.checkedType || root.maybeAsync !== false) return undefined;
  const c: Compiler = { ...runtime, slots: 0, compile: (n, s) => compileNode(c, n, s) };
  let fn: Fn;
  try {
    fn = compileNode(c, root, { iter: [], accu: -1 });
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const size = c.slots + 1;
  // One frame per program, reused by the next evaluation: a new array per evaluation was a tenth
  // of what 100 policies allocate per request. It is emptied after each evaluation, so it keeps
  // no request's objects alive, and an evaluation that starts while another is using it (none
  // does today: programs run synchronously and do not call each other) gets a new one.
  let spare: Frame | undefined = new Array<unknown>(size);
  return (vars) => {
    if (!activation(vars)) return fallback(vars);
    const f = spare ?? new Array<unknown>(size);
    spare = undefined;
    f[0] = vars;
    try {
      return fn(f);
    } finally {
      for (let i = 0; i < size; i++) f[i] = undefined;
      spare = f;
    }
  };
}
