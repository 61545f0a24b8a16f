import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import {
  AUDIT_ANNOTATION_ENFORCE_POLICY,
  AUDIT_ANNOTATION_EXEMPT,
  AUDIT_ANNOTATION_VIOLATIONS,
  ENFORCE_LEVEL_LABEL,
  ENFORCE_VERSION_LABEL,
  denialMessage,
  evaluatePod,
  levelVersionString,
  policyErrorMessage,
  policyToEvaluate,
  wouldViolateMessage,
  type LevelVersion,
  type NamespacePolicy,
} from '../pod-security/index.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

/** The PodSecurity admission configuration (upstream's PodSecurityConfiguration: defaults and exemptions). */
export interface PodSecurityConfig {
  defaults: NamespacePolicy;
  exemptions: { usernames: string[]; namespaces: string[]; runtimeClasses: string[] };
}

export const DEFAULT_POD_SECURITY_CONFIG: PodSecurityConfig = {
  defaults: {
    enforce: { level: 'privileged', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'privileged', version: 'latest' },
  },
  exemptions: { usernames: [], namespaces: [], runtimeClasses: [] },
};

/** Kinds with a pod template, and where it is (upstream's DefaultPodSpecExtractor). */
const TEMPLATE_PATHS: Record<string, string[]> = {
  'apps/deployments': ['spec', 'template'],
  'apps/replicasets': ['spec', 'template'],
  'apps/statefulsets': ['spec', 'template'],
  'apps/daemonsets': ['spec', 'template'],
  'batch/jobs': ['spec', 'template'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template'],
  '/replicationcontrollers': ['spec', 'template'],
  '/podtemplates': ['template'],
};

/** How many existing pods a namespace label change evaluates before giving up (upstream's limit). */
const NAMESPACE_POD_LIMIT = 3000;

/**
 * PodSecurity: Pod Security Standards from namespace labels. enforce denies pods; warn answers
 * Warning headers; audit adds the audit-violations annotation. Pod templates of workloads are
 * checked for warn and audit only, and a namespace whose enforce label changes hears which of its
 * existing pods would violate it.
 */
export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';
  readonly #store: Store;
  readonly #config: PodSecurityConfig;

  constructor(store: Store, config: PodSecurityConfig = DEFAULT_POD_SECURITY_CONFIG) {
    this.#store = store;
    this.#config = config;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    const r = `${a.resource.group}/${a.resource.resource}`;
    if (r === '/namespaces') return a.subresource === '';
    if (r === '/pods') return a.subresource === '' || a.subresource === 'ephemeralcontainers';
    return r in TEMPLATE_PATHS && a.subresource === '';
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (a.resource.resource === 'namespaces') return this.#namespace(a);
    if (this.#config.exemptions.usernames.includes(a.user.username) || this.#config.exemptions.namespaces.includes(a.namespace)) {
      return { allowed: true, auditAnnotations: { [AUDIT_ANNOTATION_EXEMPT]: this.#config.exemptions.usernames.includes(a.user.username) ? 'user' : 'namespace' } };
    }
    const ns = await this.#store.get<Obj>(builtinKey('', 'namespaces', a.namespace));
    const { policy, errors } = policyToEvaluate(ns?.value.metadata?.labels, this.#config.defaults);
    const annotations: Record<string, string> = {};
    if (errors.length) annotations.error = `Failed to parse policy: ${policyErrorMessage(errors)}`;
    if (a.resource.resource === 'pods') return this.#pod(a, policy, annotations);
    return this.#template(a, policy, annotations);
  }

  #pod(a: AdmissionAttributes, policy: NamespacePolicy, annotations: Record<string, string>): Verdict {
    const pod = a.object as Obj;
    // Updates that leave the pod spec alone (labels, status...) are not re-judged, as upstream.
    if (a.operation === 'UPDATE' && a.subresource === '' && JSON.stringify(pod.spec) === JSON.stringify(a.oldObject?.spec)) return { allowed: true };
    if (pod.spec?.runtimeClassName && this.#config.exemptions.runtimeClasses.includes(pod.spec.runtimeClassName)) {
      return { allowed: true, auditAnnotations: { [AUDIT_ANNOTATION_EXEMPT]: 'runtimeClass' } };
    }
    annotations[AUDIT_ANNOTATION_ENFORCE_POLICY] = levelVersionString(policy.enforce);
    const enforce = evaluatePod(policy.enforce.level, policy.enforce.version, pod.metadata, pod.spec);
    if (!enforce.allowed) {
      return { allowed: false, code: 403, reason: denialMessage(policy.enforce.level, policy.enforce.version, enforce.results), auditAnnotations: annotations };
    }
    return this.#auditAndWarn(pod.metadata, pod.spec, policy, annotations);
  }

  #template(a: AdmissionAttributes, policy: NamespacePolicy, annotations: Record<string, string>): Verdict {
    let t: Obj | undefined = a.object;
    for (const k of TEMPLATE_PATHS[`${a.resource.group}/${a.resource.resource}`]!) t = t?.[k];
    if (!t) return { allowed: true };
    if (a.operation === 'UPDATE') {
      let old: Obj | undefined = a.oldObject;
      for (const k of TEMPLATE_PATHS[`${a.resource.group}/${a.resource.resource}`]!) old = old?.[k];
      if (JSON.stringify(old?.spec) === JSON.stringify(t.spec)) return { allowed: true };
    }
    return this.#auditAndWarn(t.metadata, t.spec, policy, annotations);
  }

  #auditAndWarn(meta: Obj | undefined, spec: Obj | undefined, policy: NamespacePolicy, annotations: Record<string, string>): Verdict {
    const v: Verdict = { allowed: true, auditAnnotations: annotations };
    const audit = evaluatePod(policy.audit.level, policy.audit.version, meta, spec);
    if (!audit.allowed) annotations[AUDIT_ANNOTATION_VIOLATIONS] = wouldViolateMessage(policy.audit.level, policy.audit.version, audit.results);
    const warn = evaluatePod(policy.warn.level, policy.warn.version, meta, spec);
    if (!warn.allowed) v.warnings = [wouldViolateMessage(policy.warn.level, policy.warn.version, warn.results)];
    return v;
  }

  /** Namespace writes: bad labels are warned about; a stricter enforce label warns about existing pods. */
  async #namespace(a: AdmissionAttributes): Promise<Verdict> {
    const labels = (a.object as Obj)?.metadata?.labels ?? {};
    const { policy, errors } = policyToEvaluate(labels, this.#config.defaults);
    const warnings: string[] = errors.map((e) => `${e} (falling back as upstream does)`);
    if (a.operation !== 'UPDATE' || this.#config.exemptions.namespaces.includes(a.name)) return { allowed: true, warnings };
    const oldLabels = (a.oldObject as Obj)?.metadata?.labels ?? {};
    if (oldLabels[ENFORCE_LEVEL_LABEL] === labels[ENFORCE_LEVEL_LABEL] && oldLabels[ENFORCE_VERSION_LABEL] === labels[ENFORCE_VERSION_LABEL]) return { allowed: true, warnings };
    if (policy.enforce.level === 'privileged') return { allowed: true, warnings };
    warnings.push(...(await this.#existingPodWarnings(a.name, policy.enforce)));
    return { allowed: true, warnings };
  }

  async #existingPodWarnings(ns: string, enforce: LevelVersion): Promise<string[]> {
    const pods = await this.#store.list<Obj>(builtinKey('', 'pods', ns, ''), { limit: NAMESPACE_POD_LIMIT });
    const out: string[] = [];
    for (const p of pods.items) {
      const r = evaluatePod(enforce.level, enforce.version, p.value.metadata, p.value.spec);
      if (!r.allowed) out.push(`${p.value.metadata.name}: ${r.results.map((x) => x.reason).join(', ')}`);
    }
    if (out.length === 0) return [];
    return [`existing pods in namespace "${ns}" violate the new PodSecurity enforce level "${levelVersionString(enforce)}"`, ...out];
  }
}
