/**
 * cel-js's macros for src/cel/closures.ts: has(), optional or/orValue, and the comprehensions
 * (all, exists, exists_one, map, filter), mirrored line for line from cel-js (its evaluation
 * order, error absorption and messages); each comprehension step charges the cost meter as
 * src/cel/cost.ts's wrapper of cel-js's step does.
 */
import { meterOf, stepWeight } from './cost.ts';
import { SLOW, Unsupported, plainCel, plainField, type Compiler, type Ev, type Fn, type Frame, type Node, type OptionalMacro, type OptionalValue, type Scope, type TypeDecl } from './closures-shared.ts';

/** cel-js's has() macro evaluation, with the select chain compiled. */
export function has(c: Compiler, nodes: Node[], s: Scope): Fn {
  const ev = c.ev;
  const base = c.compile(nodes[nodes.length - 1]!, s);
  return (f) => {
    let i = nodes.length - 1;
    let obj = base(f);
    let inOptionalContext: boolean | undefined;
    while (i--) {
      const node = nodes[i]!;
      if (node.op === '.?') inOptionalContext ??= true;
      const v = plainField(obj, node.args[1]);
      obj = v !== SLOW ? v : ev.debugType(obj).fieldLazy(obj, node.args[1], node, ev);
      if (obj !== undefined) continue;
      if (!(!inOptionalContext && i && node.op === '.')) break;
      throw ev.createError('no_such_key', `No such key: ${node.args[1]}`, node);
    }
    return obj !== undefined;
  };
}

/** cel-js's cel.bind(var, value, expression) macro record. */
export interface BindMacro {
  var: string;
  val: Node;
  exp: Node;
  bindCtx: { iterType: TypeDecl };
}

/** cel.bind: the value computed in the outer scope, then the expression with the variable bound (bindEvaluateSync). */
export function bind(c: Compiler, m: BindMacro, s: Scope): Fn {
  const ev = c.ev;
  const type = m.bindCtx?.iterType;
  if (!type || type.kind === 'message') throw new Unsupported();
  const slot = ++c.slots;
  const value = c.compile(m.val, s);
  const body = c.compile(m.exp, { iter: [...s.iter, { name: m.var, slot }], accu: s.accu });
  const dyn = type.kind === 'dyn';
  return (f) => {
    const v = value(f);
    // OverlayContext.setIterValue.
    if (!(dyn && plainCel(v)) && !type.matchesValueType(v, ev)) {
      throw ev.createError('variable_type_mismatch', `Variable '${m.var}' is not of type '${String(type)}', got '${String(ev.debugType(v))}'`);
    }
    f[slot] = v;
    return body(f);
  };
}

/** cel-js's optional.orValue(value) and optional.or(optional) macros (evaluateOptional). */
export function optionalMacro(c: Compiler, m: Partial<OptionalMacro>, s: Scope): Fn {
  const { ev, Optional } = c;
  const orValue = m.functionDesc === 'optional.orValue(value)';
  if (!Optional || !m.receiver || !m.arg || !(orValue || m.functionDesc === 'optional.or(optional)')) throw new Unsupported();
  const { receiver: receiverNode, arg: argNode, functionDesc } = m as OptionalMacro;
  const arg = c.compile(argNode, s);
  const ensureOptional = (value: unknown, node: Node, description: string): OptionalValue => {
    if (value instanceof Optional) return value;
    throw ev.createError('optional_expected', `${description} must be optional`, node);
  };
  if (orValue) {
    const chain = optionalChain(receiverNode);
    if (chain) return orValueOfChain(c, chain, s, arg, (o) => ensureOptional(o, receiverNode, `${functionDesc} receiver`));
  }
  const receiver = c.compile(receiverNode, s);
  return (f) => {
    const optional = ensureOptional(receiver(f), receiverNode, `${functionDesc} receiver`);
    if (optional.hasValue()) return orValue ? optional.value() : optional;
    return orValue ? arg(f) : ensureOptional(arg(f), argNode, 'optional.or(optional) argument');
  };
}

/** `base.?a.?b`: the optional selects from the base on, or undefined when `n` is not one. */
function optionalChain(n: Node): { base: Node; steps: Node[] } | undefined {
  const steps: Node[] = [];
  while (n.op === '.?' && !n.meta.alternate && !n.meta.macro && typeof n.handle === 'function' && typeof n.args[1] === 'string') {
    steps.unshift(n);
    n = n.args[0];
  }
  return steps.length > 0 ? { base: n, steps } : undefined;
}

/**
 * `base.?a.?b.orValue(x)` (the library's `c.?securityContext.?runAsNonRoot.orValue(false)`)
 * without an Optional per step: while each step reads a plain object, the field is the value
 * cel-js's optional select would wrap (absent: none, so `x`). From the first step that is not
 * such a read on, cel-js's own optional selects run (a plain value stands for the optional
 * holding it: cel-js's optional select unwraps it first), and orValue as cel-js's.
 */
function orValueOfChain(c: Compiler, chain: { base: Node; steps: Node[] }, s: Scope, arg: Fn, ensureOptional: (o: unknown) => OptionalValue): Fn {
  const ev = c.ev;
  const base = c.compile(chain.base, s);
  const steps = chain.steps;
  const keys = steps.map((n) => n.args[1] as string);
  const handles = steps.map((n) => n.handle!);
  const len = steps.length;
  return (f) => {
    let cur = base(f);
    let i = 0;
    for (; i < len; i++) {
      const v = plainField(cur, keys[i]!);
      if (v === SLOW) break;
      if (v === undefined) return arg(f);
      cur = v;
    }
    if (i === len) return cur;
    for (; i < len; i++) cur = handles[i]!(cur, keys[i], steps[i], ev);
    const optional = ensureOptional(cur);
    return optional.hasValue() ? optional.value() : arg(f);
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
export function comprehension(c: Compiler, n: Node, s: Scope): Fn {
  const ev = c.ev;
  const a = n.args as ComprehensionArgs;
  const iterType = a.iterCtx?.iterType;
  if (!iterType || iterType.kind === 'message' || typeof a.result !== 'function') throw new Unsupported();
  const ITER = ++c.slots;
  const ACCU = ++c.slots;
  const iterable = c.compile(a.iterable, s);
  const init = c.compile(a.init, s);
  const inner: Scope = { iter: [...s.iter, { name: a.iterVarName, slot: ITER }], accu: ACCU };
  const body = c.compile(a.step, inner);
  const weight = stepWeight(a.step);
  const { condition, result, iterVarName } = a;
  const dyn = iterType.kind === 'dyn';
  const setIter = (f: Frame, v: unknown): void => {
    if (!(dyn && plainCel(v)) && !iterType.matchesValueType(v, ev)) {
      throw ev.createError('variable_type_mismatch', `Variable '${iterVarName}' is not of type '${String(iterType)}', got '${String(ev.debugType(v))}'`);
    }
    f[ITER] = v;
  };
  if (a.errorsAreFatal) {
    return (f) => {
      const list = items(ev, iterable(f), a.iterable);
      let accu = (f[ACCU] = init(f));
      const meter = meterOf(f[0]);
      for (let i = 0; i < list.length; i++) {
        if (condition && !condition(accu)) break;
        setIter(f, list[i]);
        meter?.charge(weight);
        accu = body(f);
      }
      return result(accu);
    };
  }
  if (typeof condition !== 'function') throw new Unsupported();
  return (f) => {
    const list = items(ev, iterable(f), a.iterable);
    let accu = (f[ACCU] = init(f));
    const meter = meterOf(f[0]);
    let error: Error | undefined;
    for (let i = 0; i < list.length; i++) {
      if (!condition(accu)) return result(accu);
      setIter(f, list[i]);
      let stp: unknown;
      try {
        meter?.charge(weight);
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
