/**
 * Defaults for networking, rbac, admissionregistration and apiextensions v1 (their defaults.go).
 */
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { ClusterRoleBinding, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type {
  MatchResources,
  MutatingWebhookConfiguration,
  ServiceReference,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingWebhookConfiguration,
} from 'kubernetes-types/admissionregistration/v1.js';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function defaultNetworkPolicy(np: NetworkPolicy): void {
  const spec = (np.spec ??= {} as NonNullable<NetworkPolicy['spec']>);
  for (const rule of spec.ingress ?? []) for (const p of rule.ports ?? []) p.protocol ??= 'TCP';
  for (const rule of spec.egress ?? []) for (const p of rule.ports ?? []) p.protocol ??= 'TCP';
  // Every policy isolates ingress; it isolates egress only when it says something about egress.
  if (!spec.policyTypes?.length) spec.policyTypes = spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

export function defaultRoleBinding(rb: RoleBinding | ClusterRoleBinding): void {
  if (rb.roleRef && !rb.roleRef.apiGroup) rb.roleRef.apiGroup = RBAC_GROUP;
  for (const s of rb.subjects ?? []) {
    if (s.apiGroup) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}

type Rule = { scope?: string };
type Hook = {
  failurePolicy?: string;
  matchPolicy?: string;
  namespaceSelector?: object;
  objectSelector?: object;
  timeoutSeconds?: number;
  reinvocationPolicy?: string;
  rules?: Rule[];
  clientConfig?: { service?: ServiceReference };
};

function defaultServiceRef(s: ServiceReference | undefined): void {
  if (s) s.port ??= 443;
}

function defaultHook(h: Hook, mutating: boolean): void {
  h.failurePolicy ??= 'Fail';
  h.matchPolicy ??= 'Equivalent';
  h.namespaceSelector ??= {};
  h.objectSelector ??= {};
  h.timeoutSeconds ??= 10;
  if (mutating) h.reinvocationPolicy ??= 'Never';
  for (const r of h.rules ?? []) r.scope ??= '*';
  defaultServiceRef(h.clientConfig?.service);
}

export function defaultValidatingWebhookConfiguration(cfg: ValidatingWebhookConfiguration): void {
  for (const h of (cfg.webhooks ?? []) as Hook[]) defaultHook(h, false);
}

export function defaultMutatingWebhookConfiguration(cfg: MutatingWebhookConfiguration): void {
  for (const h of (cfg.webhooks ?? []) as Hook[]) defaultHook(h, true);
}

function defaultMatchResources(m: MatchResources | undefined): void {
  if (!m) return;
  m.matchPolicy ??= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  for (const r of (m.resourceRules ?? []) as Rule[]) r.scope ??= '*';
  for (const r of (m.excludeResourceRules ?? []) as Rule[]) r.scope ??= '*';
}

export function defaultValidatingAdmissionPolicy(vap: ValidatingAdmissionPolicy): void {
  const spec = (vap.spec ??= {});
  spec.failurePolicy ??= 'Fail';
  defaultMatchResources(spec.matchConstraints);
}

export function defaultValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): void {
  defaultMatchResources(b.spec?.matchResources);
}

export function defaultCustomResourceDefinition(crd: CustomResourceDefinition): void {
  const spec = crd.spec;
  if (!spec) return;
  const names = spec.names;
  if (names) {
    if (!names.singular && names.kind) names.singular = names.kind.toLowerCase();
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
  defaultServiceRef(spec.conversion.webhook?.clientConfig?.service);
  const st = crd as { status?: { storedVersions?: string[] } };
  if (!st.status?.storedVersions?.length) {
    const storage = spec.versions?.find((v) => v.storage)?.name;
    if (storage) {
      st.status ??= {};
      st.status.storedVersions = [storage];
    }
  }
}
