/**
 * A Casbin model compiled to an index, for the models whose matcher is a conjunction of
 *   r.x == p.y                         exact
 *   (p.y == "*" || r.x == p.y)         exact or the wildcard "*" (either order)
 *   keyMatch(r.x, p.y), keyMatch2..5, globMatch, regexMatch, labelMatch, timeWithin(r.t, p.a, p.b)
 * over string tokens, with an allow / deny / allow-and-deny effect. The exact and wildcard terms
 * index the lines in a trie (one level per term, split only where a node holds more than a few
 * lines); only the lines at the leaves a request reaches are tested (matcher-terms.ts reads the
 * matcher). It decides as casbin's enforce does, line for line, and names the same line
 * (compiled.test.ts checks that against the enforcer). Any other model returns undefined: the
 * engine then asks casbin's enforcer.
 */
import type { CasbinFunction } from './functions.ts';
import { parseMatcher, type Term } from './matcher-terms.ts';
import type { CasbinModel } from './model.ts';

export type { Term } from './matcher-terms.ts';

/**
 * An inner node (children by the value of the term at `level`), or a leaf: its lines are
 * [start, start + count) of the packed leaf arrays, and the levels before `level` are already
 * decided by the path to it. One class, so every node has one shape.
 */
class TrieNode {
  rows: number[] | null = [];
  level = 0;
  exact: Map<string, TrieNode> | null = null;
  star: TrieNode | null = null;
  start = 0;
  count = 0;
}

/** A node with more lines than this is split by its next term. */
const LEAF = 8;
/** The value id of "*" under a wildcard term; a request value no line has gets UNKNOWN. */
const STAR = -1;
const UNKNOWN = -2;

/** What casbin's effect stream ends with: the result and the line it names (-1: none). */
export interface Explained {
  allowed: boolean;
  line: number;
}

/**
 * Speed: at 100k lines a decision is bound by memory latency (every object it touches is a cache
 * miss on a large heap), not by arithmetic. So a leaf's lines are packed into typed arrays laid
 * out leaf by leaf (line number, effect, and per exact term the id of the line's value), the
 * request's values are turned into ids once per value (the principals of one decision share
 * them), and only the terms the path has not decided are compared, as integers. A line's strings
 * are read only for its function terms.
 */
export class CompiledIndex {
  readonly #terms: Term[];
  readonly #fnTerms: Extract<Term, { kind: 'fn' }>[];
  readonly #rows: readonly (readonly string[])[];
  readonly #eft: Int8Array;
  readonly #effect: CasbinModel['effect'];
  /** The exact / wildcard terms, in matcher order: the levels of the trie. */
  readonly #levels: Extract<Term, { kind: 'eq' }>[];
  readonly #root: TrieNode;
  /** Per level: a line's value -> its id (STAR for "*" under a wildcard term). */
  readonly #ids: Map<string, number>[];
  /** Packed leaves, STRIDE ints per line: line number, effect, then one value id per level. */
  readonly #leaf: Int32Array;
  readonly #stride: number;
  /** Per packed line, the policy values its function terms read (slot by slot). */
  readonly #leafStr: string[];
  readonly #fnTests: Array<(r: readonly unknown[], strs: readonly string[], at: number) => boolean>;
  readonly #slots: number;
  /** The request's value ids, per level, for the value last seen there. */
  readonly #reqValue: unknown[];
  readonly #reqId: Int32Array;

  private constructor(model: CasbinModel, terms: Term[], rows: readonly (readonly string[])[]) {
    this.#terms = terms;
    this.#fnTerms = terms.filter((t): t is Extract<Term, { kind: 'fn' }> => t.kind === 'fn');
    this.#rows = rows;
    this.#effect = model.effect;
    const eftAt = model.policyTokens.indexOf('eft');
    // casbin: no eft field is allow; "allow" / "deny"; anything else is indeterminate.
    this.#eft = Int8Array.from(rows, (row) => (eftAt < 0 ? 1 : row[eftAt] === 'allow' ? 1 : row[eftAt] === 'deny' ? -1 : 0));
    this.#levels = terms.filter((t): t is Extract<Term, { kind: 'eq' }> => t.kind === 'eq');
    const L = this.#levels.length;
    this.#ids = this.#levels.map((t) => {
      const ids = new Map<string, number>();
      for (const row of rows) {
        const v = row[t.p]!;
        if (!ids.has(v)) ids.set(v, t.wild && v === '*' ? STAR : ids.size);
      }
      return ids;
    });
    this.#reqValue = new Array<unknown>(L).fill(undefined);
    this.#reqId = new Int32Array(L).fill(UNKNOWN);
    this.#root = new TrieNode();
    this.#root.rows = rows.map((_, i) => i);
    this.#split(this.#root, 0);
    // Indeterminate lines never match anything: they are left out of the leaves.
    const n = this.#eft.reduce((c, e) => (e === 0 ? c : c + 1), 0);
    const stride = (this.#stride = L + 2);
    this.#leaf = new Int32Array(n * stride);
    const slotOf = new Map<number, number>();
    for (const t of this.#fnTerms) for (const a of t.args) if ('p' in a && !slotOf.has(a.p)) slotOf.set(a.p, slotOf.size);
    this.#slots = slotOf.size;
    this.#leafStr = new Array<string>(n * slotOf.size);
    this.#fnTests = this.#fnTerms.map((t) => packedTest(t, slotOf));
    let at = 0;
    const pack = (node: TrieNode): void => {
      if (!node.rows) {
        for (const c of node.exact!.values()) pack(c);
        if (node.star) pack(node.star);
        return;
      }
      node.start = at;
      for (const i of node.rows) {
        if (this.#eft[i] === 0) continue;
        this.#leaf[at * stride] = i;
        this.#leaf[at * stride + 1] = this.#eft[i]!;
        for (let l = 0; l < L; l++) this.#leaf[at * stride + 2 + l] = this.#ids[l]!.get(rows[i]![this.#levels[l]!.p]!)!;
        for (const [p, slot] of slotOf) this.#leafStr[at * slotOf.size + slot] = rows[i]![p]!;
        at++;
      }
      node.count = at - node.start;
      node.rows = null;
    };
    pack(this.#root);
  }

  /**
   * Splits a node of more than LEAF lines by the value of its level's term ("*" lines of a
   * wildcard term apart), then its children by the next term: a request walks one branch per
   * exact term and at most two per wildcard term, down to a few lines.
   */
  #split(node: TrieNode, level: number): void {
    node.level = level;
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
    for (const c of exact.values()) this.#split(c, level + 1);
    if (star) this.#split(star, level + 1);
  }

  /** The index for this model and its p lines, or undefined when the matcher is not one it reads. */
  static compile(model: CasbinModel, rows: readonly (readonly string[])[], functions: Record<string, CasbinFunction>): CompiledIndex | undefined {
    if (model.effect === 'priority') return undefined;
    const terms = parseMatcher(model, functions);
    return terms ? new CompiledIndex(model, terms, rows) : undefined;
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

  /** The id of the request's value at `level` (UNKNOWN when no line has it), looked up once per value. */
  #idAt(level: number, r: readonly unknown[]): number {
    const v = r[this.#levels[level]!.r];
    if (v === this.#reqValue[level]) return this.#reqId[level]!;
    this.#reqValue[level] = v;
    const id = typeof v === 'string' ? (this.#ids[level]!.get(v) ?? UNKNOWN) : UNKNOWN;
    // A request value "*" is a value like any other: it matches "*" lines only by the wildcard.
    return (this.#reqId[level] = id === STAR ? UNKNOWN : id);
  }

  #visit(node: TrieNode, r: readonly unknown[]): void {
    if (node.exact === null) {
      this.#scan(node, r);
      return;
    }
    const v = r[this.#levels[node.level]!.r];
    const child = typeof v === 'string' ? node.exact.get(v) : undefined;
    if (child) this.#visit(child, r);
    if (node.star) this.#visit(node.star, r);
  }

  #scan(node: TrieNode, r: readonly unknown[]): void {
    const L = this.#levels.length;
    const leaf = this.#leaf;
    const stride = this.#stride;
    rows: for (let k = node.start, end = node.start + node.count; k < end; k++) {
      const base = k * stride;
      for (let l = node.level; l < L; l++) {
        const pid = leaf[base + 2 + l]!;
        if (pid !== STAR && pid !== this.#idAt(l, r)) continue rows;
      }
      for (const test of this.#fnTests) if (!test(r, this.#leafStr, k * this.#slots)) continue rows;
      const i = leaf[base]!;
      if (leaf[base + 1] === 1) {
        if (this.#firstAllow < 0 || i < this.#firstAllow) this.#firstAllow = i;
        if (i > this.#lastAllow) this.#lastAllow = i;
      } else if (this.#firstDeny < 0 || i < this.#firstDeny) this.#firstDeny = i;
    }
  }
}

/** A function term over a packed line: its policy arguments from their slots at `at`. */
function packedTest(t: Extract<Term, { kind: 'fn' }>, slotOf: ReadonlyMap<number, number>): (r: readonly unknown[], strs: readonly string[], at: number) => boolean {
  const pick = (a: { r: number } | { p: number }) => {
    if ('r' in a) return (r: readonly unknown[]) => r[a.r];
    const slot = slotOf.get(a.p)!;
    return (_r: readonly unknown[], strs: readonly string[], at: number) => strs[at + slot];
  };
  const [x, y] = t.args.map(pick);
  if (t.args.length === 2) return (r, strs, at) => !!t.fn(x!(r, strs, at), y!(r, strs, at));
  const all = t.args.map(pick);
  return (r, strs, at) => !!t.fn(...all.map((g) => g(r, strs, at)));
}
