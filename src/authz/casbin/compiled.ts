/**
 * A Casbin model compiled to an index, for the models whose matcher is a conjunction of
 *   r.x == p.y                         exact
 *   (p.y == "*" || r.x == p.y)         exact or the wildcard "*" (either order)
 *   keyMatch(r.x, p.y), keyMatch2..5, globMatch, regexMatch, labelMatch, timeWithin(r.t, p.a, p.b)
 * over string tokens, with an allow / deny / allow-and-deny effect. The exact and wildcard terms
 * index the lines in a trie (one level per term, split only where a node holds more than a few
 * lines); only the lines at the leaves a request reaches are tested. It decides as casbin's enforce does, line for line, and names the same line
 * (compiled.test.ts checks that against the enforcer). Any other model returns undefined: the
 * engine then asks casbin's enforcer.
 */
import { Util } from 'casbin';
import type { CasbinFunction } from './functions.ts';
import type { CasbinModel } from './model.ts';

/** One conjunct of the matcher: request and policy fields by position. */
export type Term =
  | { kind: 'eq'; r: number; p: number; wild: boolean }
  | { kind: 'fn'; name: string; fn: CasbinFunction; args: Array<{ r: number } | { p: number }>; test: (r: readonly unknown[], row: readonly string[]) => boolean };

/** Lines at a leaf (rows), or the children by the value of the term at `level`. One class, so every node has one shape. */
class TrieNode {
  rows: number[] | null = [];
  level = 0;
  exact: Map<string, TrieNode> | null = null;
  star: TrieNode | null = null;
}

/** A node with more lines than this is split by its next term. */
const LEAF = 8;

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
  /** The exact / wildcard terms, in matcher order: the levels of the trie. */
  readonly #levels: Extract<Term, { kind: 'eq' }>[];
  readonly #root: TrieNode;

  private constructor(model: CasbinModel, terms: Term[], rows: readonly (readonly string[])[]) {
    this.#terms = terms;
    this.#rows = rows;
    this.#effect = model.effect;
    const eftAt = model.policyTokens.indexOf('eft');
    // casbin: no eft field is allow; "allow" / "deny"; anything else is indeterminate.
    this.#eft = Int8Array.from(rows, (row) => (eftAt < 0 ? 1 : row[eftAt] === 'allow' ? 1 : row[eftAt] === 'deny' ? -1 : 0));
    this.#levels = terms.filter((t): t is Extract<Term, { kind: 'eq' }> => t.kind === 'eq');
    this.#root = new TrieNode();
    this.#root.rows = rows.map((_, i) => i);
    this.#split(this.#root, 0);
  }

  /**
   * Splits a node of more than LEAF lines by the value of its level's term ("*" lines of a
   * wildcard term apart), then its children by the next term: a request walks one branch per
   * exact term and at most two per wildcard term, down to a few lines.
   */
  #split(node: TrieNode, level: number): void {
    if (!node.rows || node.rows.length <= LEAF || level >= this.#levels.length) return;
    const t = this.#levels[level]!;
    const exact = new Map<string, TrieNode>();
    let star: TrieNode | null = null;
    for (const i of node.rows) {
      const v = this.#rows[i]![t.p]!;
      let child: TrieNode | null | undefined = t.wild && v === '*' ? star : exact.get(v);
      if (!child) {
        child = new TrieNode();
        if (t.wild && v === '*') star = child;
        else exact.set(v, child);
      }
      child.rows!.push(i);
    }
    node.rows = null;
    node.exact = exact;
    node.star = star;
    node.level = level;
    for (const c of exact.values()) this.#split(c, level + 1);
    if (star) this.#split(star, level + 1);
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

  /**
   * casbin's enforce with explain, for one request (values in request-definition order). casbin
   * visits lines in policy order; the leaves are not in one order, so instead of sorting them
   * this keeps the first allow, the last allow and the first deny, which is what casbin's effect
   * streams end on: allow names the first allow; deny the first deny; allow-and-deny the first
   * deny, else the last allow.
   */
  enforce(r: readonly unknown[]): Explained {
    this.#firstAllow = -1;
    this.#lastAllow = -1;
    this.#firstDeny = -1;
    this.#visit(this.#root, r);
    if (this.#effect === 'allow') return this.#firstAllow >= 0 ? { allowed: true, line: this.#firstAllow } : { allowed: false, line: -1 };
    if (this.#firstDeny >= 0) return { allowed: false, line: this.#firstDeny };
    // A deny-effect model allows what no deny line matched, naming no line (no opinion here).
    if (this.#effect === 'deny') return { allowed: true, line: -1 };
    return this.#lastAllow >= 0 ? { allowed: true, line: this.#lastAllow } : { allowed: false, line: -1 };
  }

  #firstAllow = -1;
  #lastAllow = -1;
  #firstDeny = -1;

  #visit(node: TrieNode, r: readonly unknown[]): void {
    if (node.rows) {
      for (const i of node.rows) {
        const eft = this.#eft[i]!;
        if (eft === 0 || !this.#matches(r, this.#rows[i]!)) continue;
        if (eft === 1) {
          if (this.#firstAllow < 0 || i < this.#firstAllow) this.#firstAllow = i;
          if (i > this.#lastAllow) this.#lastAllow = i;
        } else if (this.#firstDeny < 0 || i < this.#firstDeny) this.#firstDeny = i;
      }
      return;
    }
    const v = r[this.#levels[node.level]!.r];
    const child = typeof v === 'string' ? node.exact!.get(v) : undefined;
    if (child) this.#visit(child, r);
    if (node.star) this.#visit(node.star, r);
  }

  #matches(r: readonly unknown[], row: readonly string[]): boolean {
    for (const t of this.#terms) {
      if (t.kind === 'eq') {
        const pv = row[t.p]!;
        if (!(r[t.r] === pv || (t.wild && pv === '*'))) return false;
      } else if (!t.test(r, row)) return false;
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
  return { kind: 'fn', name: call[1]!, fn, args, test: argsTest(fn, args) };
}

/** The call with its arguments picked from the request and the line, without an array per call for two arguments. */
function argsTest(fn: CasbinFunction, args: Array<{ r: number } | { p: number }>): (r: readonly unknown[], row: readonly string[]) => boolean {
  const pick = (a: { r: number } | { p: number }) => ('r' in a ? (r: readonly unknown[]) => r[a.r] : (_r: readonly unknown[], row: readonly string[]) => row[a.p]);
  const [x, y] = args.map(pick);
  if (args.length === 2) return (r, row) => !!fn(x!(r, row), y!(r, row));
  const all = args.map(pick);
  return (r, row) => !!fn(...all.map((g) => g(r, row)));
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
