/**
 * A Casbin model compiled to an index, for the models whose matcher is a conjunction of
 *   r.x == p.y                         exact
 *   (p.y == "*" || r.x == p.y)         exact or the wildcard "*" (either order)
 *   keyMatch(r.x, p.y), keyMatch2..5, globMatch, regexMatch, labelMatch, timeWithin(r.t, p.a, p.b)
 * over string tokens, with an allow / deny / allow-and-deny effect. The first exact term picks
 * a bucket of lines by the request's value (plus the "*" lines for a wildcard term); only those
 * are tested. It decides as casbin's enforce does, line for line, and names the same line
 * (compiled.test.ts checks that against the enforcer). Any other model returns undefined: the
 * engine then asks casbin's enforcer.
 */
import { Util } from 'casbin';
import type { CasbinFunction } from './functions.ts';
import type { CasbinModel } from './model.ts';

/** One conjunct of the matcher: request and policy fields by position. */
export type Term =
  | { kind: 'eq'; r: number; p: number; wild: boolean }
  | { kind: 'fn'; fn: CasbinFunction; args: Array<{ r: number } | { p: number }> };

/** What casbin's effect stream ends with: the result and the line it names (-1: none). */
export interface Explained {
  allowed: boolean;
  line: number;
}

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

export class CompiledIndex {
  readonly #terms: Term[];
  readonly #rows: readonly (readonly string[])[];
  readonly #eft: Int8Array;
  readonly #effect: CasbinModel['effect'];
  readonly #key: { r: number; p: number; wild: boolean } | undefined;
  readonly #buckets = new Map<string, number[]>();
  readonly #star: number[] = [];

  private constructor(model: CasbinModel, terms: Term[], rows: readonly (readonly string[])[]) {
    this.#terms = terms;
    this.#rows = rows;
    this.#effect = model.effect;
    const eftAt = model.policyTokens.indexOf('eft');
    // casbin: no eft field is allow; "allow" / "deny"; anything else is indeterminate.
    this.#eft = Int8Array.from(rows, (row) => (eftAt < 0 ? 1 : row[eftAt] === 'allow' ? 1 : row[eftAt] === 'deny' ? -1 : 0));
    const key = terms.find((t): t is Extract<Term, { kind: 'eq' }> => t.kind === 'eq');
    this.#key = key;
    rows.forEach((row, i) => {
      if (!key) return;
      const v = row[key.p]!;
      if (key.wild && v === '*') this.#star.push(i);
      let b = this.#buckets.get(v);
      if (!b) this.#buckets.set(v, (b = []));
      b.push(i);
    });
  }

  /** The index for this model and its p lines, or undefined when the matcher is not one it reads. */
  static compile(model: CasbinModel, rows: readonly (readonly string[])[], functions: Record<string, CasbinFunction>): CompiledIndex | undefined {
    if (model.effect === 'priority') return undefined;
    const terms: Term[] = [];
    for (const raw of splitTop(model.matcher, '&&')) {
      const t = parseTerm(unwrap(raw), model, { ...MATCH_FUNCTIONS, ...functions });
      if (!t) return undefined;
      terms.push(t);
    }
    return new CompiledIndex(model, terms, rows);
  }

  /** The matcher's terms (rules-review.ts reads lines back into rules through them). */
  get terms(): readonly Term[] {
    return this.#terms;
  }

  /** A p line's effect: 1 allow, -1 deny, 0 neither. */
  effectOf(line: number): number {
    return this.#eft[line]!;
  }

  /** casbin's enforce with explain, for one request (values in request-definition order). */
  enforce(r: readonly unknown[]): Explained {
    const candidates = this.#candidates(r);
    let allowed = false;
    let line = -1;
    for (const i of candidates) {
      if (!this.#matches(r, this.#rows[i]!)) continue;
      const eft = this.#eft[i]!;
      if (this.#effect === 'allow') {
        if (eft === 1) return { allowed: true, line: i };
      } else if (this.#effect === 'deny') {
        if (eft === -1) return { allowed: false, line: i };
      } else if (eft === 1) {
        allowed = true;
        line = i;
      } else if (eft === -1) return { allowed: false, line: i };
    }
    // A deny-effect model allows what no deny line matched, naming no line (no opinion here).
    return { allowed: this.#effect === 'deny' ? true : allowed, line };
  }

  #candidates(r: readonly unknown[]): Iterable<number> {
    if (!this.#key) return this.#rows.keys();
    const exact = this.#buckets.get(String(r[this.#key.r])) ?? [];
    if (!this.#key.wild || !this.#star.length || r[this.#key.r] === '*') return exact;
    // Lines in policy order, as casbin visits them: which line is named depends on it.
    return [...exact, ...this.#star].sort((a, b) => a - b);
  }

  #matches(r: readonly unknown[], row: readonly string[]): boolean {
    for (const t of this.#terms) {
      if (t.kind === 'eq') {
        const pv = row[t.p]!;
        if (!(r[t.r] === pv || (t.wild && pv === '*'))) return false;
      } else if (!t.fn(...t.args.map((a) => ('r' in a ? r[a.r] : row[a.p])))) return false;
    }
    return true;
  }
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
  return { kind: 'fn', fn, args };
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
