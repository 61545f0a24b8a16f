/**
 * The MutatingAdmissionPolicy admission plugin (upstream's policy/mutating plugin and dispatcher):
 * for each policy whose matchConstraints select a CREATE, UPDATE or CONNECT request, each
 * matching binding and each param, the matchConditions are checked and the mutations applied in
 * order, each seeing the object as the ones before left it. Errors are collected and act by the
 * policy's failurePolicy: Fail denies with upstream's status (403, reason Invalid, `policy 'P'
 * with binding 'B' denied request: ...`), Ignore skips. reinvocationPolicy IfNeeded: a policy
 * already applied runs once more when a later mutation (a later policy, or a later plugin such as
 * a mutating webhook: the chain's reinvocation round) changed the object.
 */
import { ApiError } from '../../../api/errors.ts';
import { toCelValue } from '../../../api/crd/cel-value.ts';
import { jsonEqual } from '../../../api/json-equal.ts';
import type { ResourceRegistry } from '../../../api/registry/registry.ts';
import { loadSchema } from '../../../api/schema/schema.ts';
import type { Schema } from '../../../api/schema/types.ts';
import { RUNTIME_CEL_COST_BUDGET } from '../../../cel/cost.ts';
import type { PluginDeps } from '../../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../../types.ts';
import { isExemptAdmissionConfigurationResource } from '../../webhook/rules.ts';
import { matchConditions } from '../evaluate.ts';
import { drive, Evaluation, OutOfBudget, type Outcome } from '../evaluation.ts';
import { matchResources, namespaceReader, type MatchDeps, type Matched } from '../match-resources.ts';
import { collectParams } from '../params.ts';
import { PolicySource, type PolicyHook } from '../policy-source.ts';
import { requestVar, sharedPolicyVars } from '../policy-vars.ts';
import { applyConfiguration, applyJsonPatchMutation } from './apply-mutation.ts';
import { compileMutatingPolicy, type CompiledMutatingPolicy, type MutatingAdmissionPolicy } from './compile-mutating-policy.ts';

export const MUTATING_ADMISSION_POLICY = 'MutatingAdmissionPolicy';

type Hook = PolicyHook<CompiledMutatingPolicy>;

interface PolicyError {
  policy: string;
  binding: string;
  message: string;
  failOpen: boolean;
}

/** Upstream's policyReinvokeContext, per request. */
interface ReinvokeState {
  previouslyInvoked: Set<string>;
  reinvoke: Set<string>;
  lastOutput: unknown;
}

const NO_PARAMS = { ok: true, params: [null] } as const;

export class MutatingAdmissionPolicyPlugin implements MutatingPlugin {
  readonly name = MUTATING_ADMISSION_POLICY;
  readonly #deps: PluginDeps;
  readonly #registry: ResourceRegistry | undefined;
  readonly source: PolicySource<CompiledMutatingPolicy>;
  readonly #rounds = new WeakMap<AdmissionAttributes, ReinvokeState>();
  #schema: Schema | undefined;

  constructor(deps: PluginDeps, registry?: ResourceRegistry) {
    this.#deps = deps;
    this.#registry = registry;
    this.source = new PolicySource(deps, registry, {
      policies: 'mutatingadmissionpolicies',
      bindings: 'mutatingadmissionpolicybindings',
      compile: (p) => compileMutatingPolicy(p as MutatingAdmissionPolicy),
      writeStatus: false,
    });
    this.source.ready().catch((err: unknown) => deps.log.warn({ err }, 'mutating admission policies: first list failed; retrying on the next request'));
  }

  handles(a: AdmissionAttributes): boolean {
    // There is no object to mutate on DELETE; policies never see their own configuration.
    if (a.operation === 'DELETE' || isExemptAdmissionConfigurationResource(a)) return false;
    return !this.source.loaded || this.source.hooks().length > 0;
  }

  admit(a: AdmissionAttributes): Promise<Verdict> {
    return this.#round(a, false);
  }

  /** The admission chain's reinvocation round, after every mutating plugin has run once. */
  async reinvoke(a: AdmissionAttributes): Promise<Verdict> {
    const st = this.#rounds.get(a);
    // Nothing asked to run again, and nothing changed the object after the policies that may.
    if (!st || (st.reinvoke.size === 0 && (st.previouslyInvoked.size === 0 || jsonEqual(st.lastOutput as never, (a.object ?? null) as never)))) return { allowed: true };
    return this.#round(a, true);
  }

  async #round(a: AdmissionAttributes, isReinvoke: boolean): Promise<Verdict> {
    await this.source.ready();
    let st = this.#rounds.get(a);
    if (!st) this.#rounds.set(a, (st = { previouslyInvoked: new Set(), reinvoke: new Set(), lastOutput: undefined }));
    const state = st;
    const requireReinvoking = (): void => {
      for (const k of state.previouslyInvoked) state.reinvoke.add(k);
      state.previouslyInvoked.clear();
    };
    if (isReinvoke && !jsonEqual(state.lastOutput as never, (a.object ?? null) as never)) requireReinvoking();
    const errors: PolicyError[] = [];
    const patches: unknown[] = [];
    const matchDeps: MatchDeps = { namespace: namespaceReader(this.#deps.store), ...(this.#registry ? { registry: this.#registry } : {}) };
    let shared: Record<string, unknown> | undefined;
    for (const hook of this.source.candidates(a)) {
      const configError = (binding: string, message: string): void => {
        errors.push({ policy: hook.name, binding, message, failOpen: hook.compiled.failOpen });
      };
      let matched: Matched | undefined;
      try {
        matched = await matchResources(matchDeps, hook.compiled.match, a);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        configError('', `failed to configure policy: ${err.message}`);
        continue;
      }
      if (!matched) continue;
      if (hook.configurationError) {
        configError('', `failed to configure policy: ${hook.configurationError}`);
        continue;
      }
      for (const b of hook.bindings) {
        const bindingName = b.binding.metadata?.name ?? '';
        let bindingMatch: Matched | undefined;
        try {
          bindingMatch = b.match.spec ? await matchResources(matchDeps, b.match, a) : matched;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          configError(bindingName, `failed to configure binding: ${err.message}`);
          continue;
        }
        if (!bindingMatch) continue;
        const ref = b.binding.spec?.paramRef;
        const params = hook.paramDef && ref ? await collectParams(this.#deps.store, hook.paramDef, ref, a.namespace) : NO_PARAMS;
        if (!params.ok) {
          configError(bindingName, `failed to configure binding: ${params.error}`);
          continue;
        }
        for (const param of params.params) {
          const p = param as { metadata?: { namespace?: string; name?: string } } | null;
          const key = JSON.stringify([hook.name, bindingName, p?.metadata?.namespace ?? '', p?.metadata?.name ?? '']);
          shared ??= await sharedPolicyVars(a, matchDeps, this.#deps.authorizer);
          const base = { ...shared, request: requestVar(a, matched), params: param === null ? null : toCelValue(undefined, param) };
          const ev = (): Evaluation => new Evaluation(hook.compiled, { ...base, object: a.object === undefined ? null : toCelValue(undefined, a.object) }, RUNTIME_CEL_COST_BUDGET);
          const mc = await this.#matchConditions(hook, ev());
          if (mc.error !== undefined) {
            configError(bindingName, mc.error);
            continue;
          }
          if (!mc.matches) continue;
          if (isReinvoke && !state.reinvoke.has(key)) continue;
          const before = a.object === undefined ? undefined : structuredClone(a.object);
          for (const m of hook.compiled.mutations) {
            if (!a.object) continue;
            const error = await this.#mutate(matched, m, ev(), a);
            if (error !== undefined) configError(bindingName, error);
            else patches.push({ policy: hook.name, binding: bindingName, patchType: m.patchType });
          }
          if (!jsonEqual((before ?? null) as never, (a.object ?? null) as never)) requireReinvoking();
          if (hook.compiled.reinvokeIfNeeded) state.previouslyInvoked.add(key);
        }
      }
    }
    state.lastOutput = a.object === undefined ? null : structuredClone(a.object);
    const failing = errors.filter((e) => !e.failOpen);
    if (failing.length === 0) return { allowed: true, ...(patches.length > 0 ? { patches } : {}) };
    const error = this.#denied(a, failing);
    return { allowed: false, error, reason: error.message };
  }

  async #matchConditions(hook: Hook, ev: Evaluation): Promise<{ matches: boolean; error?: string }> {
    try {
      return await drive(matchConditions, hook.compiled, ev);
    } catch (err) {
      if (!(err instanceof OutOfBudget)) throw err;
      return { matches: false, error: 'operation cancelled: actual cost limit exceeded' };
    }
  }

  /** Evaluates one mutation and applies it to `a.object` in place; returns why it failed, if it did. */
  async #mutate(matched: Matched, m: CompiledMutatingPolicy['mutations'][number], ev: Evaluation, a: AdmissionAttributes): Promise<string | undefined> {
    let out: Outcome;
    try {
      out = await ev.eval(m.expression);
    } catch (err) {
      if (!(err instanceof OutOfBudget)) throw err;
      return 'operation cancelled: actual cost limit exceeded';
    }
    if (!out.ok) return out.error;
    const object = a.object!;
    let applied;
    if (m.patchType === 'JSONPatch') {
      applied = applyJsonPatchMutation(object, out.value);
    } else {
      const def = this.#registry?.get(matched.resource.group, matched.resource.version, matched.resource.resource);
      this.#schema ??= loadSchema();
      applied = applyConfiguration(def?.typeName ? this.#schema : undefined, def?.typeName, object, out.value);
    }
    if (!applied.ok) return applied.error;
    if (applied.object !== object) {
      for (const k of Object.keys(object)) delete object[k];
      Object.assign(object, applied.object);
    }
    return undefined;
  }

  /** Upstream's denial: admission.NewForbidden, its message replaced by the first policy error, reason Invalid. */
  #denied(a: AdmissionAttributes, errors: PolicyError[]): ApiError {
    const messages = errors.map((e) => (e.binding ? `policy '${e.policy}' with binding '${e.binding}' denied request: ${e.message}` : `policy "${e.policy}" denied request: ${e.message}`));
    return new ApiError(403, 'Invalid', messages[0]!, {
      name: a.name || undefined,
      group: a.resource.group || undefined,
      kind: a.resource.resource,
      causes: messages.map((message) => ({ message })),
    });
  }

  close(): void {
    this.source.close();
  }
}
