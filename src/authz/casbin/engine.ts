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
import { CompiledIndex, type Explained } from './compiled.ts';
import { portcullisFunctions, VALUE_CHECKS } from './functions.ts';
import type { CasbinModel } from './model.ts';
import type { PolicyLine } from './policy.ts';
import { principals, requestValues, type RequestContext } from './request.ts';

export interface CasbinDecision {
  decision: Decision;
  /** The line that decided (undefined with no opinion). */
  line?: PolicyLine;
  /** The principal `sub` held when that line matched. */
  principal?: string;
}

export class CasbinEngine {
  readonly model: CasbinModel;
  readonly lines: readonly PolicyLine[];
  readonly enforcer: Enforcer;
  readonly compiled: CompiledIndex | undefined;
  /** The p lines in policy order (what casbin's explain indexes and returns). */
  readonly #p: readonly PolicyLine[];
  readonly #byContent = new Map<string, PolicyLine>();
  /** Where `sub` is in the request definition (-1: not there). */
  readonly #subAt: number;

  private constructor(model: CasbinModel, lines: readonly PolicyLine[], enforcer: Enforcer, compiled: CompiledIndex | undefined) {
    this.model = model;
    this.lines = lines;
    this.enforcer = enforcer;
    this.compiled = compiled;
    this.#subAt = model.requestTokens.indexOf('sub');
    this.#p = lines.filter((l) => l.ptype === 'p');
    for (const l of this.#p) {
      const k = l.values.join('\u0000');
      if (!this.#byContent.has(k)) this.#byContent.set(k, l);
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
    // The request's values once; only `sub` changes from principal to principal.
    const r = requestValues(this.model.requestTokens, a, '', ctx);
    let allow: CasbinDecision | undefined;
    for (const sub of principals(a)) {
      r[subAt] = sub;
      const d = this.#decideOne(r);
      if (d.decision === 'deny') return { ...d, principal: sub };
      if (d.decision === 'allow') allow ??= { ...d, principal: sub };
    }
    return allow ?? { decision: 'no-opinion' };
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
    if (!line) return { decision: 'no-opinion' };
    return { decision: allowed ? 'allow' : 'deny', line };
  }
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
