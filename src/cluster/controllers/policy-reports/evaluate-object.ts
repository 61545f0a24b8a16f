/**
 * One existing object checked against one ValidatingAdmissionPolicy and each of its bindings, by
 * the admission plugin's own matcher and evaluator (one meaning of a policy), as if the object
 * were created now: operation CREATE, no oldObject, the controller as the requesting user. What a
 * background check cannot know is reported, not guessed: policies with paramKind give `skip`
 * (params are not read in the background yet); `authorizer` checks are denied (there is no
 * requesting user to ask about). An active PolicyException covering a failure turns it into
 * `skip`, naming the exception.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import type { CompiledPolicy } from '../../../admission/cel/compile-policy.ts';
import { validatePolicy } from '../../../admission/cel/evaluate.ts';
import { compileMatchResources, matchResources, type CompiledMatch, type MatchDeps } from '../../../admission/cel/match-resources.ts';
import { requestVar, sharedPolicyVars } from '../../../admission/cel/policy-vars.ts';
import { exceptionCovers, isActive, type PolicyException } from '../../../admission/cel/exceptions/policy-exception.ts';
import type { AdmissionAttributes } from '../../../admission/types.ts';
import type { UserInfo } from '../../../authn/types.ts';
import { AlwaysDenyAuthorizer } from '../../../authz/always.ts';
import type { K8sObject, ResourceRef } from '../../client/types.ts';

export type ResultKind = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

/** A wgpolicyk8s.io/v1alpha2 PolicyReportResult. */
export interface ReportResult {
  source: string;
  policy: string;
  rule: string;
  result: ResultKind;
  message?: string;
  scored: boolean;
  resources: Array<{ apiVersion: string; kind: string; namespace?: string; name: string; uid?: string }>;
  properties?: Record<string, string>;
  timestamp?: { seconds: number; nanos: number };
}

export interface PolicyUnderTest {
  policy: ValidatingAdmissionPolicy;
  compiled: CompiledPolicy;
  bindings: Array<{ binding: ValidatingAdmissionPolicyBinding; match: CompiledMatch }>;
}

export interface EvalContext {
  namespace: MatchDeps['namespace'];
  user: UserInfo;
  /** Active exceptions of this policy are looked up here. */
  exceptions: (policy: string) => readonly PolicyException[];
  now: Date;
}

const DENY_ALL = new AlwaysDenyAuthorizer();
const bindingMatches = new WeakMap<ValidatingAdmissionPolicyBinding, CompiledMatch>();

export function bindingMatch(b: ValidatingAdmissionPolicyBinding): CompiledMatch {
  let m = bindingMatches.get(b);
  if (!m) bindingMatches.set(b, (m = compileMatchResources(b.spec?.matchResources)));
  return m;
}

const apiVersion = (r: ResourceRef): string => (r.group ? `${r.group}/${r.version}` : r.version);

function attributes(ref: ResourceRef, o: K8sObject, user: UserInfo): AdmissionAttributes {
  return {
    operation: 'CREATE',
    // Informer caches hold list items, which carry no apiVersion and kind; policies may read them.
    object: { ...o, apiVersion: apiVersion(ref), kind: ref.kind },
    oldObject: undefined,
    kind: { group: ref.group, version: ref.version, kind: ref.kind },
    resource: { group: ref.group, version: ref.version, resource: ref.resource },
    subresource: '',
    namespace: ref.namespaced ? String(o.metadata.namespace ?? '') : '',
    name: String(o.metadata.name ?? ''),
    user,
    dryRun: false,
  };
}

/** The results for one object: one per binding that selects it (none when the policy does not). */
export async function evaluateObject(p: PolicyUnderTest, ref: ResourceRef, o: K8sObject, ctx: EvalContext): Promise<ReportResult[]> {
  const a = attributes(ref, o, ctx.user);
  const deps: MatchDeps = { namespace: ctx.namespace };
  const name = p.policy.metadata?.name ?? '';
  const resource = { apiVersion: apiVersion(ref), kind: ref.kind, ...(a.namespace ? { namespace: a.namespace } : {}), name: a.name, ...(o.metadata.uid ? { uid: String(o.metadata.uid) } : {}) };
  const base = { source: 'ValidatingAdmissionPolicy', policy: name, scored: true, resources: [resource] };
  let matched;
  try {
    matched = await matchResources(deps, p.compiled.match, a);
  } catch (err) {
    return [{ ...base, rule: '', result: 'error', message: (err as Error).message }];
  }
  if (!matched) return [];
  const out: ReportResult[] = [];
  for (const { binding, match } of p.bindings) {
    const rule = binding.metadata?.name ?? '';
    const actions = binding.spec?.validationActions ?? [];
    let m;
    try {
      m = match.spec ? await matchResources(deps, match, a) : matched;
    } catch (err) {
      out.push({ ...base, rule, result: 'error', message: (err as Error).message });
      continue;
    }
    if (!m) continue;
    const properties = { validationActions: actions.join(',') };
    if (p.compiled.paramKind) {
      out.push({ ...base, rule, result: 'skip', message: 'policies with paramKind are not evaluated in the background', properties });
      continue;
    }
    const vars = { ...(await sharedPolicyVars(a, deps, DENY_ALL)), request: requestVar(a, m), params: null };
    const r = await validatePolicy(p.compiled, vars);
    const failed = r.decisions.find((d) => d.action === 'deny' || d.evaluation === 'error');
    if (!failed) {
      out.push({ ...base, rule, result: 'pass', properties });
      continue;
    }
    const exception = ctx.exceptions(name).find((e) => isActive(e, ctx.now) && exceptionCovers(e, a));
    if (exception) {
      out.push({ ...base, rule, result: 'skip', message: failed.message ?? '', properties: { ...properties, exception: exception.metadata?.name ?? '' } });
      continue;
    }
    const result: ResultKind = failed.evaluation === 'error' ? 'error' : actions.includes('Deny') || actions.includes('Audit') ? 'fail' : 'warn';
    out.push({ ...base, rule, result, message: failed.message ?? '', properties });
  }
  return out;
}
