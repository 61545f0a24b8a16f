/**
 * The ValidatingAdmissionPolicy admission plugin (upstream's policy/validating plugin and
 * dispatcher): every policy whose matchConstraints select the request is evaluated for each of
 * its bindings that matches, once per param; failures act by the binding's validationActions
 * (Deny, Warn, Audit), errors by the policy's failurePolicy. The first denial answers the request:
 * `ValidatingAdmissionPolicy 'P' with binding 'B' denied request: MESSAGE`, with the validation's
 * reason and its HTTP code.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { ApiError, type StatusReason } from '../../api/errors.ts';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import { toCelValue } from '../../api/crd/cel-value.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { isExemptAdmissionConfigurationResource } from '../webhook/rules.ts';
import { validatePolicy, type ValidateResult } from './evaluate.ts';
import { matchResources, namespaceReader, type MatchDeps, type Matched } from './match-resources.ts';
import { collectParams } from './params.ts';
import { PolicySource, type PolicyHook } from './policy-source.ts';
import { requestVar, sharedPolicyVars } from './policy-vars.ts';
import { RequestMemo } from './request-memo.ts';
import { governanceError, isExceptionWrite, PolicyExceptionIndex } from './exceptions/exception-index.ts';
import { EXCEPTION_ANNOTATION_PREFIX } from './exceptions/policy-exception.ts';

export const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';
const MAX_AUDIT_ANNOTATION_VALUE = 10 * 1024;

/** Without paramKind or paramRef: evaluated once, with params null. */
const NO_PARAMS = { ok: true, params: [null] } as const;

/** Passed for a result without audit annotations, which #act then never writes to. */
const NOTHING_COLLECTED = new Map<string, string[]>();

const CODES: Record<string, number> = { Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413, Invalid: 422 };

interface Denial {
  policy: string;
  binding?: string;
  message: string;
  reason?: string;
}

const resourceKey = (r: Matched['resource']): string => `${r.group}/${r.version}/${r.resource}`;

/** Which evaluation a (matched resource, param) pair is within one policy and request; undefined: a param without identity, not shared. */
function resultKey(resource: string, param: Record<string, unknown> | null): string | undefined {
  if (param === null) return resource;
  const m = param.metadata as { uid?: string; resourceVersion?: string } | undefined;
  return m?.uid && m.resourceVersion ? `${resource}\u0000${m.uid}\u0000${m.resourceVersion}` : undefined;
}

export class ValidatingAdmissionPolicyPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  readonly #deps: PluginDeps;
  readonly #registry: ResourceRegistry | undefined;
  readonly source: PolicySource;
  /** PolicyExceptions: denials they lift are admitted and recorded; those they exempt cannot write them. */
  readonly exceptions: PolicyExceptionIndex;

  constructor(deps: PluginDeps, registry?: ResourceRegistry) {
    this.#deps = deps;
    this.#registry = registry;
    this.source = new PolicySource(deps, registry);
    // Start watching now, as upstream starts its informers: policy status is written even before
    // the first request that policies could select. A failure is retried by the first request.
    this.source.ready().catch((err: unknown) => deps.log.warn({ err }, 'admission policies: first list failed; retrying on the next request'));
    this.exceptions = new PolicyExceptionIndex(deps.store, deps.log, deps.now);
    this.exceptions.ready().catch((err: unknown) => deps.log.warn({ err }, 'policy exceptions: first list failed; retrying on the next request'));
  }

  handles(a: AdmissionAttributes): boolean {
    // Policies never see their own configuration objects (upstream's lockout protection).
    if (isExemptAdmissionConfigurationResource(a)) return false;
    if (isExceptionWrite(a)) return true;
    return !this.source.loaded || this.source.hooks().length > 0;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    await Promise.all([this.source.ready(), this.exceptions.ready()]);
    const refused = governanceError(a);
    if (refused) return { allowed: false, error: refused, reason: refused.message };
    const exempted: string[] = [];
    const denials: Denial[] = [];
    const warnings: string[] = [];
    const auditAnnotations: Record<string, string> = {};
    const configError = (hook: PolicyHook, binding: string | undefined, err: string): void => {
      if (hook.compiled.failOpen) return;
      denials.push({ policy: hook.name, ...(binding !== undefined ? { binding } : {}), message: binding === undefined ? `failed to configure policy: ${err}` : `failed to configure binding: ${err}` });
    };
    const matchDeps: MatchDeps = { namespace: namespaceReader(this.#deps.store), ...(this.#registry ? { registry: this.#registry } : {}) };
    let shared: Record<string, unknown> | undefined;
    let ownKey: string | undefined;
    // Per matched resource: the variables with `request` (params null) and the shared outcomes.
    const requests = new Map<string, { vars: Record<string, unknown>; memo: RequestMemo }>();
    // Indexed loops: an async function's for-of made an iterator result per step (100 policies:
    // about 20 KB per request).
    const candidates = this.source.candidates(a);
    for (let h = 0; h < candidates.length; h++) {
      const hook = candidates[h]!;
      const before = denials.length;
      let matched: Matched | undefined;
      try {
        const m = matchResources(matchDeps, hook.compiled.match, a);
        matched = m instanceof Promise ? await m : m;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        configError(hook, undefined, err.message);
        continue;
      }
      if (!matched) continue;
      if (hook.configurationError) {
        configError(hook, undefined, hook.configurationError);
        continue;
      }
      // Audit annotations published by this policy's bindings; made by the first one.
      let collected: Map<string, string[]> | undefined;
      // Bindings that select the same params (none, most often) get the same result: the
      // evaluation depends on the policy, the request, the matched resource and the param only.
      // Kept only when another binding may ask (most policies have one binding).
      const results = hook.bindings.length > 1 ? new Map<string, ValidateResult>() : undefined;
      // Most policies match the request's own resource object: its key is built once per request.
      const rk = matched.resource === a.resource ? (ownKey ??= resourceKey(a.resource)) : resourceKey(matched.resource);
      let vars: Record<string, unknown> | undefined;
      let memo: RequestMemo | undefined;
      for (let bi = 0; bi < hook.bindings.length; bi++) {
        const b = hook.bindings[bi]!;
        const bindingName = b.binding.metadata?.name ?? '';
        let bindingMatch: Matched | undefined;
        try {
          const m = b.match.spec ? matchResources(matchDeps, b.match, a) : matched;
          bindingMatch = m instanceof Promise ? await m : m;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          configError(hook, bindingName, err.message);
          continue;
        }
        if (!bindingMatch) continue;
        const ref = b.binding.spec?.paramRef;
        const params = hook.paramDef && ref ? await collectParams(this.#deps.store, hook.paramDef, ref, a.namespace) : NO_PARAMS;
        if (!params.ok) {
          configError(hook, bindingName, params.error);
          continue;
        }
        if (params.params.length === 0) continue;
        shared ??= await sharedPolicyVars(a, matchDeps, this.#deps.authorizer);
        // The policy's match decides `request`: the same for every binding of the policy.
        if (!vars) {
          let r = requests.get(rk);
          if (r === undefined) requests.set(rk, (r = { vars: { ...shared, request: requestVar(a, matched), params: null }, memo: new RequestMemo() }));
          vars = r.vars;
          memo = r.memo;
        }
        for (let pi = 0; pi < params.params.length; pi++) {
          const param = params.params[pi]!;
          const key = results ? resultKey(rk, param) : undefined;
          let result = key === undefined ? undefined : results?.get(key);
          if (!result) {
            const r = validatePolicy(hook.compiled, param === null ? vars : { ...vars, params: toCelValue(undefined, param) }, undefined, memo);
            result = r instanceof Promise ? await r : r;
            if (key !== undefined) results?.set(key, result);
          }
          this.#act(hook, b.binding, result, denials, warnings, auditAnnotations, result.auditAnnotations.length > 0 ? (collected ??= new Map()) : NOTHING_COLLECTED);
        }
      }
      if (collected) for (const [key, values] of collected) auditAnnotations[`${hook.name}/${key}`] = values.join(', ');
      if (denials.length > before) this.#exempt(hook.name, a, denials, before, exempted, auditAnnotations);
    }
    if (denials.length === 0) return { allowed: true, warnings, auditAnnotations, ...(exempted.length ? { reason: exempted.join('; ') } : {}) };
    const error = this.#denied(a, denials);
    return { allowed: false, error, reason: error.message, warnings, auditAnnotations };
  }

  /** Lifts this policy's denials (from `before` on) when an active PolicyException covers the request, and records it. */
  #exempt(policy: string, a: AdmissionAttributes, denials: Denial[], before: number, exempted: string[], annotations: Record<string, string>): void {
    const by = this.exceptions.exempting(policy, a);
    if (by.length === 0) return;
    const lifted = denials.splice(before);
    const names = by.map((e) => e.metadata?.name ?? '');
    annotations[EXCEPTION_ANNOTATION_PREFIX + policy] = names.join(', ');
    exempted.push(`ValidatingAdmissionPolicy '${policy}' would deny (${lifted[0]!.message}); exempted by PolicyException '${names.join("', '")}': ${by[0]!.spec?.reason ?? ''}`);
  }

  #act(hook: PolicyHook, binding: ValidatingAdmissionPolicyBinding, result: ValidateResult, denials: Denial[], warnings: string[], annotations: Record<string, string>, collected: Map<string, string[]>): void {
    const bindingName = binding.metadata?.name ?? '';
    const actions = binding.spec?.validationActions ?? [];
    for (let i = 0; i < result.decisions.length; i++) {
      const d = result.decisions[i]!;
      if (d.action !== 'deny') continue;
      for (const action of actions) {
        if (action === 'Deny') denials.push({ policy: hook.name, binding: bindingName, message: d.message ?? '', ...(d.reason ? { reason: d.reason } : {}) });
        else if (action === 'Warn') warnings.push(`Validation failed for ValidatingAdmissionPolicy '${hook.name}' with binding '${bindingName}': ${d.message ?? ''}`);
        else if (action === 'Audit' && annotations[VALIDATION_FAILURE_ANNOTATION] === undefined) {
          // An admission annotation is never overwritten: the first failure recorded stays.
          annotations[VALIDATION_FAILURE_ANNOTATION] = JSON.stringify([{ message: d.message ?? '', policy: binding.spec?.policyName ?? '', binding: bindingName, expressionIndex: i, validationActions: actions }]);
        }
      }
    }
    // Indexed: most results have none, and a for-of made an iterator for them all the same.
    for (let i = 0; i < result.auditAnnotations.length; i++) {
      const r = result.auditAnnotations[i]!;
      if (r.action === 'publish') {
        const value = r.value!.slice(0, MAX_AUDIT_ANNOTATION_VALUE);
        const list = collected.get(r.key) ?? [];
        if (!list.includes(value)) list.push(value);
        collected.set(r.key, list);
      } else if (r.action === 'error') {
        denials.push({ policy: hook.name, binding: bindingName, message: r.error ?? '' });
      }
    }
  }

  #denied(a: AdmissionAttributes, denials: Denial[]): ApiError {
    const d = denials[0]!;
    const message = d.binding !== undefined ? `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}` : `ValidatingAdmissionPolicy '${d.policy}' denied request: ${d.message}`;
    const gr = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
    const what = a.name ? `${gr} "${a.name}"` : gr;
    const reason = (d.reason || 'Invalid') as StatusReason;
    return new ApiError(CODES[reason] ?? 422, reason, `${what} is forbidden: ${message}`, {
      name: a.name || undefined,
      group: a.resource.group || undefined,
      kind: a.resource.resource,
      causes: [{ message }],
    });
  }

  close(): void {
    this.source.close();
    this.exceptions.close();
  }
}
