/**
 * One generation of a Casbin model and policy, ready to decide: casbin's enforcer always, and a
 * compiled index (compiled.ts) when the model allows, which then serves the decisions. Built
 * whole or not at all, so a bad policy never replaces a good one halfway.
 *
 * Decisions: a line that casbin names (its explain) decides: allow when casbin allows, deny when
 * it denies. When no line is named there is no opinion, whatever casbin's effect would default
 * to: a deny-list model (`!some(where (p.eft == deny))`) allows everything no line denies, and
 * that must fall through to the next authorizer, never become an allow.
 */
import { newEnforcer, type Enforcer } from 'casbin';
import type { AuthzAttributes, Decision } from '../types.ts';
import { CompiledIndex, NO_LINE, UNKNOWN, type Explained } from './compiled.ts';
import { portcullisFunctions, VALUE_CHECKS } from './functions.ts';
import { NameTable } from './name-table.ts';
import type { CasbinModel } from './model.ts';
import type { PolicyLine } from './policy.ts';
import { fillRequestValues, principals, requestValues, type RequestContext } from './request.ts';

export interface CasbinDecision {
  decision: Decision;
  /** The line that decided (undefined with no opinion). */
  line?: PolicyLine;
  /** The principal `sub` held when that line matched. */
  principal?: string;
  /** reasonHead() of the decision and line, when the engine has it ready (made at build). */
  reasonHead?: string;
}

/**
 * The answer with no line named. One frozen object for every such decision: they are nearly all
 * decisions, and the decision path allocates nothing for them (each allocation is young-generation
 * garbage: collections in the tail, and fresh cache lines written per request).
 */
export const NO_OPINION: CasbinDecision = Object.freeze({ decision: 'no-opinion' });

/** Where a line is and what it says: `policy.csv:3 (p, group:dev, get)`. */
export function lineText(l: PolicyLine): string {
  return `${l.source} (${[l.ptype, ...l.values].join(', ')})`;
}

/**
 * A reason up to its principal: `Casbin: denied by policy.csv:3 (p, group:dev, get)`
 * (casbinResult adds ` for group:dev`). One flat string: made per line at build, a decision that
 * names the line then reads one string's header instead of building the reason from pieces.
 */
export function reasonHead(decision: 'allow' | 'deny', l: PolicyLine): string {
  return ['Casbin: ', decision === 'allow' ? 'allowed' : 'denied', ' by ', lineText(l)].join('');
}

export class CasbinEngine {
  readonly model: CasbinModel;
  readonly lines: readonly PolicyLine[];
  readonly enforcer: Enforcer;
  readonly compiled: CompiledIndex | undefined;
  /** Whether the request definition names nsLabels (then the authorizer fetches them), time or weekday (then it reads the clock). */
  readonly readsLabels: boolean;
  readonly readsClock: boolean;
  /** The p lines in policy order (what casbin's explain indexes and returns). */
  readonly #p: readonly PolicyLine[];
  readonly #byContent = new Map<string, PolicyLine>();
  /** Where `sub` is in the request definition (-1: not there). */
  readonly #subAt: number;
  /**
   * The index's levels that compare `sub`, and per level the ids of its "user:NAME" and
   * "group:NAME" values by NAME: a principal's id without building its string. Empty when the
   * index does not serve decisions or a function term reads `sub` (then the strings are built).
   */
  readonly #subLevels: number[] = [];
  /** Whether decide() runs on the index with principal ids (#decideIndexed). */
  readonly #indexed: boolean = false;
  readonly #userIds: ReadonlyMap<string, number>[] = [];
  readonly #groupIds: ReadonlyMap<string, number>[] = [];
  /**
   * When `sub` is compared once and is the index's first level: per user and group NAME, the
   * record of the trie node where its lines start below the root (CompiledIndex.rootRecord), so a
   * principal costs one slot of a NameTable (about one cache line) instead of a Map lookup (its
   * bucket, entry and key) and an edge probe. Undefined otherwise (then #userIds / #groupIds).
   */
  readonly #userEntry: NameTable | undefined;
  readonly #groupEntry: NameTable | undefined;
  /** The request values of the decision being made (decide() is synchronous). */
  readonly #values: unknown[];
  /**
   * Per p line i: at 2i the line, at 2i + 1 its reasonHead(), made at build when the index serves
   * decisions (the index names a line only for its own effect). A decision that names a line
   * reads both from one cache line, and the reason one string instead of the line's object, array
   * and each value (at 100k lines each a cache miss: these decisions were the slow 2% that set the p99).
   */
  readonly #named: readonly (PolicyLine | string)[] = [];

  private constructor(model: CasbinModel, lines: readonly PolicyLine[], enforcer: Enforcer, compiled: CompiledIndex | undefined) {
    this.model = model;
    this.lines = lines;
    this.enforcer = enforcer;
    this.compiled = compiled;
    this.readsLabels = model.requestTokens.includes('nsLabels');
    this.readsClock = model.requestTokens.includes('time') || model.requestTokens.includes('weekday');
    this.#subAt = model.requestTokens.indexOf('sub');
    this.#p = lines.filter((l) => l.ptype === 'p');
    for (const l of this.#p) {
      const k = l.values.join('\u0000');
      if (!this.#byContent.has(k)) this.#byContent.set(k, l);
    }
    this.#values = new Array<unknown>(model.requestTokens.length);
    if (compiled && this.#subAt >= 0 && !compiled.functionReads(this.#subAt)) {
      this.#indexed = true;
      this.#named = this.#p.flatMap((l, i) => [l, reasonHead(compiled.effectOf(i) < 0 ? 'deny' : 'allow', l)]);
      this.#subLevels = compiled.levelsReading(this.#subAt);
      this.#userIds = this.#subLevels.map((l) => byPrefix(compiled.idsAt(l), 'user:'));
      this.#groupIds = this.#subLevels.map((l) => byPrefix(compiled.idsAt(l), 'group:'));
      if (this.#subLevels.length === 1 && this.#subLevels[0] === 0 && compiled.rootRecord(UNKNOWN) !== undefined) {
        this.#userEntry = rootEntries(compiled, this.#userIds[0]!);
        this.#groupEntry = rootEntries(compiled, this.#groupIds[0]!);
      }
    }
  }

  /**
   * Builds the enforcer and the index, then tries one request so a matcher that does not
   * evaluate (unknown function, syntax) is an error now rather than on every request.
   */
  static async build(model: CasbinModel, given: readonly PolicyLine[], opts: { compile?: boolean } = {}): Promise<CasbinEngine> {
    const lines = byPriority(model, given);
    const functions = portcullisFunctions();
    let enforcer: Enforcer;
    try {
      enforcer = await newEnforcer(model.fresh());
      for (const [name, fn] of Object.entries(functions)) await enforcer.addFunction(name, fn);
      const m = enforcer.getModel().model;
      // Straight into the model, as casbin's adapters do: addPolicy's duplicate scan is quadratic.
      for (const l of lines) m.get(l.ptype[0]!)!.get(l.ptype)!.policy.push(l.values);
      await enforcer.buildRoleLinks();
    } catch (err) {
      throw new Error(`${model.source}: ${(err as Error).message}`);
    }
    const p = lines.filter((l) => l.ptype === 'p').map((l) => l.values);
    const compiled = opts.compile === false ? undefined : CompiledIndex.compile(model, p, functions);
    checkValues(model, lines, compiled ?? CompiledIndex.compile(model, p, functions));
    const engine = new CasbinEngine(model, lines, enforcer, compiled);
    const probe: AuthzAttributes = { user: { username: 'system:anonymous', uid: '', groups: [], extra: {} }, verb: 'get', isResourceRequest: true, path: '/api/v1/namespaces/default/pods/x', apiGroup: '', apiVersion: 'v1', namespace: 'default', resource: 'pods', subresource: '', name: 'x' };
    try {
      engine.decide(probe, { nsLabels: {}, now: new Date(0) });
    } catch (err) {
      throw new Error(`${model.source}: the matcher does not evaluate: ${(err as Error).message}`);
    }
    return engine;
  }

  /** Every principal is asked; a deny for any of them wins over an allow for another. */
  decide(a: Readonly<AuthzAttributes>, ctx: RequestContext): CasbinDecision {
    const subAt = this.#subAt;
    if (subAt < 0) return this.decideFor(a, '', ctx);
    if (this.#indexed) return this.#decideIndexed(a, ctx);
    // The request's values once; only `sub` changes from principal to principal.
    const r = requestValues(this.model.requestTokens, a, '', ctx);
    let allow: CasbinDecision | undefined;
    for (const sub of principals(a)) {
      r[subAt] = sub;
      const d = this.#decideOne(r);
      if (d.decision === 'deny') return { ...d, principal: sub };
      if (d.decision === 'allow') allow ??= { ...d, principal: sub };
    }
    return allow ?? NO_OPINION;
  }

  /**
   * decide() on the index without building a principal's string or any per-principal object:
   * the request's ids once, then per principal only the `sub` levels' ids are set. The
   * principal's string is built only for the decision that names a line.
   */
  #decideIndexed(a: Readonly<AuthzAttributes>, ctx: RequestContext): CasbinDecision {
    const ix = this.compiled!;
    const values = fillRequestValues(this.model.requestTokens, a, '', ctx, this.#values);
    // Not a string: prepare() skips the `sub` levels, whose ids are set per principal below.
    values[this.#subAt] = undefined;
    ix.prepare(values);
    const groups = a.user.groups;
    let allow = NO_LINE;
    let allowBy = -1;
    // Principal -1 is the user, 0.. its groups, in principals() order.
    for (let who = -1; who < groups.length; who++) {
      const name = who < 0 ? a.user.username : groups[who]!;
      const entries = who < 0 ? this.#userEntry : this.#groupEntry;
      let code: number;
      if (entries) code = ix.runFrom(entries.slots, entries.find(name));
      else {
        const maps = who < 0 ? this.#userIds : this.#groupIds;
        for (let k = 0; k < this.#subLevels.length; k++) ix.setId(this.#subLevels[k]!, maps[k]!.get(name) ?? UNKNOWN);
        code = ix.run();
      }
      if (code === NO_LINE) continue;
      if ((code & 1) === 0) return this.#namedDecision('deny', code >> 1, who < 0 ? `user:${name}` : `group:${name}`);
      if (allow === NO_LINE) {
        allow = code;
        allowBy = who;
      }
    }
    if (allow === NO_LINE) return NO_OPINION;
    return this.#namedDecision('allow', allow >> 1, allowBy < 0 ? `user:${a.user.username}` : `group:${groups[allowBy]!}`);
  }

  #namedDecision(decision: 'allow' | 'deny', i: number, principal: string): CasbinDecision {
    return { decision, line: this.#named[2 * i] as PolicyLine, principal, reasonHead: this.#named[2 * i + 1] as string };
  }

  /** The decision with `sub` set to one principal (who-can asks principal by principal). */
  decideFor(a: Readonly<AuthzAttributes>, sub: string, ctx: RequestContext): CasbinDecision {
    const d = this.#decideOne(requestValues(this.model.requestTokens, a, sub, ctx));
    return d.decision === 'no-opinion' ? d : { ...d, principal: sub || undefined };
  }

  /** casbin's own enforce for these request values, mapped the same way (for agreement tests and the bench). */
  enforceWithCasbin(r: readonly unknown[]): CasbinDecision {
    const [allowed, row] = this.enforcer.enforceExSync(...r);
    return this.#decision(allowed, row.length ? this.#byContent.get(row.join('\u0000')) : undefined);
  }

  #decideOne(r: readonly unknown[]): CasbinDecision {
    if (!this.compiled) return this.enforceWithCasbin(r);
    const e: Explained = this.compiled.enforce(r);
    return this.#decision(e.allowed, e.line >= 0 ? this.#p[e.line] : undefined);
  }

  #decision(allowed: boolean, line: PolicyLine | undefined): CasbinDecision {
    if (!line) return NO_OPINION;
    return { decision: allowed ? 'allow' : 'deny', line };
  }
}

/** The ids of a level's values that start with `prefix`, by the rest of the value. */
function byPrefix(ids: ReadonlyMap<string, number>, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [v, id] of ids) if (id >= 0 && v.startsWith(prefix)) out.set(v.slice(prefix.length), id);
  return out;
}

/** Per name, the record of the node where its lines start below the index's root (names without lines left out). */
function rootEntries(ix: CompiledIndex, ids: ReadonlyMap<string, number>): NameTable {
  const records = [...ids].map(([name, id]) => [name, ix.rootRecord(id)] as const);
  const out = new NameTable(records.length);
  for (const [name, record] of records) if (record) out.add(name, record);
  return out;
}

/** As casbin's loadPolicy: p lines ordered by a "priority" field when the model has one (stable). */
function byPriority(model: CasbinModel, lines: readonly PolicyLine[]): readonly PolicyLine[] {
  const at = model.policyTokens.indexOf('priority');
  if (at < 0) return lines;
  return [...lines].sort((a, b) => (a.ptype === 'p' && b.ptype === 'p' ? parseInt(a.values[at]!, 10) - parseInt(b.values[at]!, 10) : 0));
}

/** Each policy value given to a function with a check (VALUE_CHECKS) is checked; the error names the line. */
function checkValues(model: CasbinModel, lines: readonly PolicyLine[], index: CompiledIndex | undefined): void {
  for (const t of index?.terms ?? []) {
    if (t.kind !== 'fn' || !Object.hasOwn(VALUE_CHECKS, t.name)) continue;
    t.args.forEach((a, arg) => {
      if (!('p' in a)) return;
      for (const l of lines) {
        if (l.ptype !== 'p') continue;
        try {
          VALUE_CHECKS[t.name]!(l.values[a.p]!, arg);
        } catch (err) {
          throw new Error(`${l.source}: ${model.policyTokens[a.p]} for ${t.name}: ${(err as Error).message}`);
        }
      }
    });
  }
}
