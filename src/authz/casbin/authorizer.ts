/**
 * --authorization-mode=Casbin: decisions from an operator's Casbin model and policy
 * (engine.ts), allow, deny or no opinion, the reason naming the policy line. The engine is
 * replaced whole when the policy source delivers a new generation (configmap-source.ts); a
 * generation that fails to load never replaces the last good one.
 */
import type { Authorizer, AuthzAttributes, AuthzResult } from '../types.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { RulesReviewStatus } from '../rbac/rules-review.ts';
import { reasonHead, type CasbinDecision, type CasbinEngine } from './engine.ts';
import type { RequestContext } from './request.ts';
import { casbinRulesReview } from './rules-review.ts';

export interface CasbinAuthorizerOptions {
  /** Labels of a namespace by name, for models naming r.nsLabels ({} when unknown). */
  namespaceLabels?: (namespace: string) => Promise<Readonly<Record<string, string>>>;
  now?: () => Date;
  /** Awaited before each decision: brings the policy source's watch back after a failure. */
  refresh?: () => Promise<void>;
  /** Whether the policy source's watch is up (then there is nothing for refresh to wait for). */
  upToDate?: () => boolean;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
/** The context of a model that names neither labels nor time nor weekday: nothing reads its clock. */
const NO_CONTEXT: RequestContext = Object.freeze({ nsLabels: NO_LABELS, now: new Date(0) });
/**
 * The result and its promise for every decision that names no line (nearly all of them): one
 * frozen object and one settled promise, so such a decision allocates nothing here.
 */
const NO_OPINION_RESULT: AuthzResult = Object.freeze({ decision: 'no-opinion', reason: '' });
const NO_OPINION_PROMISE: Promise<AuthzResult> = Promise.resolve(NO_OPINION_RESULT);

export class CasbinAuthorizer implements Authorizer {
  readonly name = 'Casbin';
  #engine: CasbinEngine;
  readonly #labels: NonNullable<CasbinAuthorizerOptions['namespaceLabels']>;
  readonly #now: () => Date;
  readonly #refresh: (() => Promise<void>) | undefined;
  readonly #upToDate: () => boolean;

  constructor(engine: CasbinEngine, opts: CasbinAuthorizerOptions = {}) {
    this.#engine = engine;
    this.#labels = opts.namespaceLabels ?? (async () => ({}));
    this.#now = opts.now ?? (() => new Date());
    this.#refresh = opts.refresh;
    this.#upToDate = opts.upToDate ?? (() => false);
  }

  get engine(): CasbinEngine {
    return this.#engine;
  }

  /** A new generation, already built (so already known good). */
  replace(engine: CasbinEngine): void {
    this.#engine = engine;
  }

  authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    const engine = this.#engine;
    if ((this.#refresh && !this.#upToDate()) || (engine.readsLabels && a.namespace)) return this.#authorizeAfterWait(a);
    // Nothing to wait for (no policy source to refresh, or its watch is up; no labels to fetch): decided now, not
    // after two async frames (a third of a hot decision's time). No Date either unless the
    // model reads the time.
    try {
      const r = casbinResult(engine.decide(a, engine.readsClock ? { nsLabels: NO_LABELS, now: this.#now() } : NO_CONTEXT));
      return r === NO_OPINION_RESULT ? NO_OPINION_PROMISE : Promise.resolve(r);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async #authorizeAfterWait(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    const { engine, ctx } = await this.#current(a.namespace);
    return casbinResult(engine.decide(a, ctx));
  }

  /** SelfSubjectRulesReview: the allow lines that apply to the user in the namespace, now. */
  async rulesReview(user: UserInfo, namespace: string): Promise<RulesReviewStatus> {
    const { engine, ctx } = await this.#current(namespace);
    return casbinRulesReview(engine, user, namespace, ctx);
  }

  async #current(namespace: string): Promise<{ engine: CasbinEngine; ctx: RequestContext }> {
    if (this.#refresh) await this.#refresh();
    const engine = this.#engine;
    const nsLabels = engine.readsLabels && namespace ? await this.#labels(namespace) : {};
    return { engine, ctx: { nsLabels, now: this.#now() } };
  }
}

/** The reason names the line: `Casbin: allowed by policy.csv:3 (p, group:dev, get) for group:dev`. */
export function casbinResult(d: CasbinDecision): AuthzResult {
  // `=== undefined`, not `!d.line`: testing an object's truth reads it (a cache miss at 100k lines).
  if (d.decision === 'no-opinion' || d.line === undefined) return NO_OPINION_RESULT;
  const head = d.reasonHead ?? reasonHead(d.decision, d.line);
  return { decision: d.decision, reason: d.principal ? `${head} for ${d.principal}` : head };
}
