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
import { NODE, RECORD, type ChildTable } from './child-table.ts';
import { flatten, LEVEL_BITS, TrieNode } from './flat-trie.ts';
import type { CasbinFunction } from './functions.ts';
import { parseMatcher, type Term } from './matcher-terms.ts';
import { packedTest } from './packed-test.ts';
import type { CasbinModel } from './model.ts';

export type { Term } from './matcher-terms.ts';

/** A node with more lines than this is split by its next term. */
const LEAF = 8;
/** The value id of "*" under a wildcard term; a request value no line has gets UNKNOWN. */
const STAR = -1;
export const UNKNOWN = -2;

/** run()'s answer when no line is named (any line: line * 2 + 1 for allow, line * 2 for deny). */
export const NO_LINE = -1;

/** What casbin's effect stream ends with: the result and the line it names (-1: none). */
export interface Explained {
  allowed: boolean;
  line: number;
}

/**
 * Speed: at 100k lines a decision is bound by memory latency (every object it touches is a cache
 * miss on a large heap), not by arithmetic. So a leaf's lines are packed into typed arrays laid
 * out leaf by leaf (line number, effect, and per exact term the id of the line's value), the
 * request's values are turned into ids once per decision (the principals of one decision share
 * them; the engine sets the `sub` ids from its own maps without building "user:…" strings), the
 * trie's children are keyed by those ids (no string compares on the way down), and only the terms
 * the path has not decided are compared, as integers. A line's strings are read only for its
 * function terms. A decision allocates nothing here: run() answers one integer.
 */
export class CompiledIndex {
  readonly #terms: Term[];
  readonly #fnTerms: Extract<Term, { kind: 'fn' }>[];
  readonly #rows: readonly (readonly string[])[];
  readonly #eft: Int8Array;
  readonly #effect: CasbinModel['effect'];
  /** The exact / wildcard terms, in matcher order: the levels of the trie. */
  readonly #levels: Extract<Term, { kind: 'eq' }>[];
  /** The trie, flat: a record per node (flat-trie.ts); node 0 is the root. */
  readonly #nodes: Int32Array;
  readonly #children: ChildTable;
  /** Per level: a line's value -> its id (STAR for "*" under a wildcard term). */
  readonly #ids: Map<string, number>[];
  /** Packed leaves, STRIDE ints per line: line number, effect, then one value id per level. */
  readonly #leaf: Int32Array;
  readonly #stride: number;
  /** Per packed line, the policy values its function terms read (slot by slot). */
  readonly #leafStr: string[];
  readonly #fnTests: Array<(r: readonly unknown[], strs: readonly string[], at: number) => boolean>;
  readonly #slots: number;
  /** The request being decided (prepare()): its values, for function terms, and its id per level. */
  #r: readonly unknown[] = [];
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
    this.#reqId = new Int32Array(L).fill(UNKNOWN);
    const root = new TrieNode();
    root.rows = rows.map((_, i) => i);
    this.#split(root, 0);
    // Indeterminate lines never match anything: they are left out of the leaves.
    const n = this.#eft.reduce((c, e) => (e === 0 ? c : c + 1), 0);
    const stride = (this.#stride = L + 2);
    this.#leaf = new Int32Array(n * stride);
    const slotOf = new Map<number, number>();
    for (const t of this.#fnTerms) for (const a of t.args) if ('p' in a && !slotOf.has(a.p)) slotOf.set(a.p, slotOf.size);
    this.#slots = slotOf.size;
    this.#leafStr = new Array<string>(n * slotOf.size);
    this.#fnTests = this.#fnTerms.map((t) => packedTest(t, slotOf));
    // One string object per distinct value: lines repeat a few hundred resource patterns, and
    // 100k copies spread over the heap would each be a cache miss to read.
    const strings = new Map<string, string>();
    const intern = (v: string): string => {
      const had = strings.get(v);
      if (had !== undefined) return had;
      strings.set(v, v);
      return v;
    };
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
        for (const [p, slot] of slotOf) this.#leafStr[at * slotOf.size + slot] = intern(rows[i]![p]!);
        at++;
      }
      node.count = at - node.start;
      node.rows = null;
    };
    pack(root);
    [this.#nodes, this.#children] = flatten(root);
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
    const exact = new Map<number, TrieNode>();
    let star: TrieNode | null = null;
    for (const i of node.rows) {
      const id = this.#ids[level]!.get(this.#rows[i]![t.p]!)!;
      let child: TrieNode | null | undefined = id === STAR ? star : exact.get(id);
      if (!child) {
        child = new TrieNode();
        if (id === STAR) star = child;
        else exact.set(id, child);
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
    // A leaf's record packs its line count and level into one int (flat-trie.ts).
    if (!terms || terms.length >= 1 << LEVEL_BITS || rows.length >= 1 << (31 - LEVEL_BITS)) return undefined;
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

  /** The levels (exact / wildcard terms) that compare request value `at`. */
  levelsReading(at: number): number[] {
    return this.#levels.flatMap((t, l) => (t.r === at ? [l] : []));
  }

  /** Whether a function term reads request value `at` (then it must be given as a string). */
  functionReads(at: number): boolean {
    return this.#fnTerms.some((t) => t.args.some((a) => 'r' in a && a.r === at));
  }

  /** A level's policy values and their ids (STAR for "*" under a wildcard term). */
  idsAt(level: number): ReadonlyMap<string, number> {
    return this.#ids[level]!;
  }

  /** The id a request value has at `level`: UNKNOWN when no line has it ("*" included: it matches "*" lines only as the wildcard). */
  requestId(level: number, v: unknown): number {
    const id = typeof v === 'string' ? (this.#ids[level]!.get(v) ?? UNKNOWN) : UNKNOWN;
    return id === STAR ? UNKNOWN : id;
  }

  /** Takes a request's values (in request-definition order) and their ids at every level. */
  prepare(r: readonly unknown[]): void {
    this.#r = r;
    for (let l = 0; l < this.#levels.length; l++) this.#reqId[l] = this.requestId(l, r[this.#levels[l]!.r]);
  }

  /** Sets the request's id at one level (the engine's principals: requestId() of "user:…" without building it). */
  setId(level: number, id: number): void {
    this.#reqId[level] = id;
  }

  /**
   * casbin's enforce with explain for the prepared request, as one integer: NO_LINE, or the named
   * line * 2 + 1 when allowed, * 2 when denied. casbin visits lines in policy order; the leaves
   * are not in one order, so instead of sorting them this keeps the first allow, the last allow
   * and the first deny, which is what casbin's effect streams end on: allow names the first
   * allow; deny the first deny; allow-and-deny the first deny, else the last allow. A deny-effect
   * model allows what no deny line matched, naming no line (no opinion here).
   */
  run(): number {
    this.#firstAllow = -1;
    this.#lastAllow = -1;
    this.#firstDeny = -1;
    this.#visitAt(this.#nodes, 0, true);
    return this.#answer();
  }

  /**
   * The record (RECORD ints) of the root's child for value id `id` at level 0: null when there is
   * no such child, undefined when the root does not split on level 0 (a small policy: the root is
   * a leaf). The engine keeps a copy per principal name (name-table.ts), so a decision starts
   * below the root: no edge probe for the principal, at 100k lines a cache miss.
   */
  rootRecord(id: number): Int32Array | null | undefined {
    // Not an inner node splitting on level 0 (flat-trie.ts: y is -1 - level).
    if (this.#nodes[1] !== -1) return undefined;
    const at = id >= 0 ? this.#children.find(0, id) : -1;
    return at < 0 ? null : this.#children.slots.subarray(at, at + RECORD);
  }

  /**
   * run() for a request whose level-0 id has the root child whose record (a copy of
   * rootRecord()'s) is at records[at] (at -1: no such child): the same visit as run()'s from the
   * root, that child then the root's "*" child. The level-0 id itself is not read below the root
   * (a node's lines are compared from its own level on).
   */
  runFrom(records: Int32Array, at: number): number {
    this.#firstAllow = -1;
    this.#lastAllow = -1;
    this.#firstDeny = -1;
    if (at >= 0) this.#visitAt(records, at, true);
    // The root's "*" child, from the root's record.
    if (this.#nodes[2]! >= 0) this.#visitAt(this.#nodes, NODE, false);
    return this.#answer();
  }

  /** The integer run() answers, from the lines the visit kept. */
  #answer(): number {
    if (this.#effect === 'allow') return this.#firstAllow >= 0 ? this.#firstAllow * 2 + 1 : NO_LINE;
    if (this.#firstDeny >= 0) return this.#firstDeny * 2;
    if (this.#effect === 'deny') return NO_LINE;
    return this.#lastAllow >= 0 ? this.#lastAllow * 2 + 1 : NO_LINE;
  }

  /** casbin's enforce with explain, for one request (values in request-definition order). */
  enforce(r: readonly unknown[]): Explained {
    this.prepare(r);
    const code = this.run();
    if (code === NO_LINE) return { allowed: this.#effect === 'deny', line: -1 };
    return { allowed: (code & 1) === 1, line: code >> 1 };
  }

  #firstAllow = -1;
  #lastAllow = -1;
  #firstDeny = -1;

  /**
   * The node whose record is at arr[at] (flat-trie.ts). `full`: the record is a whole RECORD, its
   * "*" child's fields following its own (a record in #nodes, an edge slot or a NameTable slot),
   * so the "*" child is reached without another cache miss; else only the NODE fields are there
   * (that embedded "*" child: its own "*" child's record is then read from #nodes).
   */
  #visitAt(arr: Int32Array, at: number, full: boolean): void {
    const x = arr[at]!;
    const y = arr[at + 1]!;
    if (y >= 0) {
      this.#scan(x, y >> LEVEL_BITS, y & ((1 << LEVEL_BITS) - 1));
      return;
    }
    const id = this.#reqId[-1 - y]!;
    if (id >= 0) {
      // The edge's slot holds the child's record: no second miss on a node array.
      const c = this.#children.find(x, id);
      if (c >= 0) this.#visitAt(this.#children.slots, c, true);
    }
    const star = arr[at + 2]!;
    if (star < 0) return;
    if (full) this.#visitAt(arr, at + NODE, false);
    else this.#visitAt(this.#nodes, star * RECORD, true);
  }

  #scan(start: number, count: number, level: number): void {
    const L = this.#levels.length;
    const leaf = this.#leaf;
    const req = this.#reqId;
    const stride = this.#stride;
    rows: for (let k = start, end = start + count; k < end; k++) {
      const base = k * stride;
      for (let l = level; l < L; l++) {
        const pid = leaf[base + 2 + l]!;
        if (pid !== STAR && pid !== req[l]) continue rows;
      }
      for (const test of this.#fnTests) if (!test(this.#r, this.#leafStr, k * this.#slots)) continue rows;
      const i = leaf[base]!;
      if (leaf[base + 1] === 1) {
        if (this.#firstAllow < 0 || i < this.#firstAllow) this.#firstAllow = i;
        if (i > this.#lastAllow) this.#lastAllow = i;
      } else if (this.#firstDeny < 0 || i < this.#firstDeny) this.#firstDeny = i;
    }
  }
}
