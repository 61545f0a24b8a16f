/**
 * PodSecurityPolicy (policy/v1beta1; plugin/pkg/admission/security/podsecuritypolicy, removed
 * upstream in 1.25): on create, the pod is defaulted by and checked against the policies its
 * creator or its service account may `use`, and the chosen one is recorded in the kubernetes.io/psp
 * annotation; on create and update the final pod must still pass a policy without mutation.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import { errorListString } from '../psp/field-error.ts';
import { selectPolicy } from '../psp/select.ts';
import { semanticEqual } from '../psp/semantic-equal.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

export const PSP_ANNOTATION = 'kubernetes.io/psp';
export const PSP_KEY_PREFIX = builtinPrefix('policy', 'podsecuritypolicies');
const AUDIT_PREFIX = 'podsecuritypolicy.admission.k8s.io';

/** An update that only touches owner references or finalizers (the garbage collector's) is not re-checked. */
function onlyGCFields(obj: Obj | undefined, old: Obj | undefined): boolean {
  if (!obj || !old) return false;
  const strip = (o: Obj): Obj => {
    const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _r, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  return semanticEqual(strip(obj), strip(old));
}

export class PodSecurityPolicy implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'PodSecurityPolicy';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource !== '' || !a.object) return false;
    return !(a.operation === 'UPDATE' && onlyGCFields(a.object, a.oldObject));
  }

  async #policies(): Promise<Obj[]> {
    const res = await this.#deps.store.list<Obj>(PSP_KEY_PREFIX);
    return res.items.map((i) => i.value);
  }

  async #select(a: AdmissionAttributes, mutationAllowed: boolean) {
    const pod = a.object!;
    return selectPolicy({
      pod,
      namespace: a.namespace,
      user: a.user,
      policies: await this.#policies(),
      mutationAllowed,
      hint: mutationAllowed ? undefined : pod.metadata?.annotations?.[PSP_ANNOTATION],
      authorizer: this.#deps.authorizer,
      onBadPolicy: (name, err) => this.#deps.log.warn({ psp: name, err: err.message }, 'unusable PodSecurityPolicy skipped'),
    });
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    // Only creates are mutated; updates are validated only.
    if (a.operation !== 'CREATE') return { allowed: true };
    const r = await this.#select(a, true);
    if (!r.pod) return { allowed: false, reason: `PodSecurityPolicy: unable to admit pod: ${errorListString(r.errors)}` };
    const pod = a.object!;
    for (const k of Object.keys(pod)) delete pod[k];
    Object.assign(pod, r.pod);
    pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [PSP_ANNOTATION]: r.policy } };
    return { allowed: true, reason: `admitted by PodSecurityPolicy ${JSON.stringify(r.policy)}`, auditAnnotations: { [`${AUDIT_PREFIX}/admit-policy`]: r.policy } };
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const r = await this.#select(a, false);
    if (!r.pod) return { allowed: false, reason: `PodSecurityPolicy: unable to validate pod: ${errorListString(r.errors)}` };
    return { allowed: true, auditAnnotations: { [`${AUDIT_PREFIX}/validate-policy`]: r.policy } };
  }
}
