/**
 * The matchers the compiled index (compiled.ts) reads: a conjunction of
 *   r.x == p.y                         exact
 *   (p.y == "*" || r.x == p.y)         exact or the wildcard "*" (either order)
 *   keyMatch(r.x, p.y), keyMatch2..5, globMatch, regexMatch, and Portcullis' functions
 * over string tokens. Anything else is undefined: the engine then asks casbin's enforcer.
 */
import { Util } from 'casbin';
import type { CasbinFunction } from './functions.ts';
import type { CasbinModel } from './model.ts';

/** One conjunct of the matcher: request and policy fields by position. */
export type Term =
  | { kind: 'eq'; r: number; p: number; wild: boolean }
  | { kind: 'fn'; name: string; fn: CasbinFunction; args: Array<{ r: number } | { p: number }> };

const MATCH_FUNCTIONS: Record<string, CasbinFunction> = {
  keyMatch: Util.keyMatchFunc,
  keyMatch2: Util.keyMatch2Func,
  keyMatch3: Util.keyMatch3Func,
  keyMatch4: Util.keyMatch4Func,
  keyMatch5: Util.keyMatch5Func,
  regexMatch: Util.regexMatchFunc,
  globMatch: (a, b) => Util.globMatch(String(a), String(b)),
};

/** String-valued request tokens: only these may be compared exactly or bucketed. */
const STRING_TOKENS = new Set(['sub', 'user', 'verb', 'namespace', 'apiGroup', 'resource', 'subresource', 'name', 'path', 'time', 'weekday']);

/** The matcher's terms, in order, or undefined when one is not a term read here. */
export function parseMatcher(model: CasbinModel, functions: Record<string, CasbinFunction>): Term[] | undefined {
  const terms: Term[] = [];
  for (const raw of splitTop(model.matcher, '&&')) {
    const t = parseTerm(unwrap(raw), model, { ...MATCH_FUNCTIONS, ...functions });
    if (!t) return undefined;
    terms.push(t);
  }
  return terms;
}

function parseTerm(s: string, model: CasbinModel, functions: Record<string, CasbinFunction>): Term | undefined {
  const rIdx = (name: string) => model.requestTokens.indexOf(name as never);
  const pIdx = (name: string) => (name === 'eft' ? -1 : model.policyTokens.indexOf(name));
  const exact = /^(r_\w+|p_\w+) == (r_\w+|p_\w+)$/.exec(s);
  if (exact) return eqTerm(exact[1]!, exact[2]!, false, rIdx, pIdx);
  const alt = splitTop(s, '||').map((x) => unwrap(x));
  if (alt.length === 2) {
    const star = alt.findIndex((x) => /^p_\w+ == "\*"$/.test(x));
    const eq = /^(r_\w+|p_\w+) == (r_\w+|p_\w+)$/.exec(alt[1 - star] ?? '');
    if (star >= 0 && eq) {
      const t = eqTerm(eq[1]!, eq[2]!, true, rIdx, pIdx);
      if (t && `p_${model.policyTokens[t.p]} == "*"` === alt[star]) return t;
    }
    return undefined;
  }
  const call = /^(\w+)\(([^()]*)\)$/.exec(s);
  const fn = call && Object.hasOwn(functions, call[1]!) ? functions[call[1]!]! : undefined;
  if (!call || !fn) return undefined;
  const args: Array<{ r: number } | { p: number }> = [];
  for (const a of call[2]!.split(',').map((x) => x.trim())) {
    const m = /^(r|p)_(\w+)$/.exec(a);
    if (!m) return undefined;
    const i = m[1] === 'r' ? rIdx(m[2]!) : pIdx(m[2]!);
    if (i < 0) return undefined;
    args.push(m[1] === 'r' ? { r: i } : { p: i });
  }
  return { kind: 'fn', name: call[1]!, fn, args };
}

function eqTerm(a: string, b: string, wild: boolean, rIdx: (n: string) => number, pIdx: (n: string) => number): Extract<Term, { kind: 'eq' }> | undefined {
  const [rs, ps] = a.startsWith('r_') ? [a, b] : [b, a];
  if (!rs.startsWith('r_') || !ps.startsWith('p_') || !STRING_TOKENS.has(rs.slice(2))) return undefined;
  const r = rIdx(rs.slice(2));
  const p = pIdx(ps.slice(2));
  return r < 0 || p < 0 ? undefined : { kind: 'eq', r, p, wild };
}

/** Splits on `op` outside parentheses and string literals; undefined parts are never produced. */
function splitTop(s: string, op: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quote = !quote;
    else if (quote) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && s.startsWith(op, i)) {
      out.push(s.slice(start, i));
      start = i + op.length;
      i += op.length - 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim());
}

/** Drops parentheses around the whole term. */
function unwrap(s: string): string {
  let t = s.trim();
  while (t.startsWith('(') && t.endsWith(')') && closes(t)) t = t.slice(1, -1).trim();
  return t;
}

/** True when the first "(" closes at the last character. */
function closes(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return i === t.length - 1;
  }
  return false;
}
